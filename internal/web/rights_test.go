package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/notice"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testclock"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// withRights mounts everything the data subjects' rights need, on one
// clock: the register, guest proofs, the notice and ledger (with the audit
// log, for withdrawals) and the guest throttle.
func withRights(clk *testclock.Clock) func(*Options) {
	return func(o *Options) {
		withPrivacy(clk.Now())(o)
		o.Privacy.Proofs = sqliteOf(o)
		o.Privacy.Now = clk.Now
		o.Requests.Now = clk.Now
		o.Notices = &notice.Service{Store: sqliteOf(o), Audit: o.Audit, Now: clk.Now}
		o.GuestThrottle = throttle.NewGuestRequests(clk.Now)
	}
}

func newRightsEnv(t *testing.T) (*testEnv, *testclock.Clock) {
	t.Helper()
	clk := testclock.New(time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC))
	return newTestEnv(t, withRights(clk)), clk
}

// TestOwnProfileCorrected: a member corrects their name at once, and their
// e-mail address with their password; the account is then found by the
// new address only, every session stays, and each change is audited
// with the fields, never the values.
func TestOwnProfileCorrected(t *testing.T) {
	e, _ := newRightsEnv(t)
	c, u := e.signedInAs(t, "ada@example.org", store.RoleMember)
	other, r := e.login(t, "ada@example.org", password)
	expectStatus(t, r, http.StatusOK)
	e.user(t, "taken@example.org", store.RoleMember)
	url := e.srv.URL + "/api/me/profile"

	r = do(t, c, "POST", url, `{"name":"Ada Lovelace"}`)
	expectStatus(t, r, http.StatusOK)
	var got userResponse
	r.json(t, &got)
	if got.User.Name != "Ada Lovelace" || got.User.Email != "ada@example.org" {
		t.Fatalf("answer %s", r.body)
	}
	if v := e.lastEntry(t); v.Action != "user.profile.change" || v.Actor != u.ID || v.Target != u.ID || v.Details["fields"] != "name" {
		t.Fatalf("name change recorded as %+v", v)
	}

	expectError(t, do(t, c, "POST", url, `{"email":"ada.l@example.org"}`), http.StatusBadRequest, "bad_request")
	expectError(t, do(t, c, "POST", url, `{"email":"ada.l@example.org","password":"not it"}`), http.StatusBadRequest, "wrong_password")
	if v := e.lastEntry(t); v.Action != "user.profile.change" || v.Outcome != "failure" {
		t.Fatalf("wrong password recorded as %+v", v)
	}
	expectError(t, do(t, c, "POST", url, `{"email":"not an address","password":"`+password+`"}`), http.StatusBadRequest, "bad_request")
	expectError(t, do(t, c, "POST", url, `{"email":"Taken@example.org","password":"`+password+`"}`), http.StatusConflict, "conflict")
	expectError(t, do(t, c, "POST", url, `{"name":"Ada Lovelace"}`), http.StatusBadRequest, "bad_request")

	r = do(t, c, "POST", url, `{"email":" Ada.L@Example.org ","password":"`+password+`"}`)
	expectStatus(t, r, http.StatusOK)
	if v := e.lastEntry(t); v.Action != "user.profile.change" || v.Outcome != "success" || v.Details["fields"] != "email" {
		t.Fatalf("e-mail change recorded as %+v", v)
	}
	for _, s := range []*http.Client{c, other} {
		r := do(t, s, "GET", e.srv.URL+"/api/me", "")
		expectStatus(t, r, http.StatusOK)
		if !strings.Contains(string(r.body), `"email":"ada.l@example.org"`) {
			t.Fatalf("/api/me after the change: %s", r.body)
		}
	}
	_, r = e.login(t, "ada@example.org", password)
	expectError(t, r, http.StatusUnauthorized, "unauthorized")
	_, r = e.login(t, "ada.l@example.org", password)
	expectStatus(t, r, http.StatusOK)

	expectError(t, do(t, e.client(t), "POST", url, `{"name":"x"}`), http.StatusUnauthorized, "unauthorized")
}

// TestMemberCannotRectifyOrRestrictAnother: the officers' routes refuse a
// member, record the refusal, and change nothing.
func TestMemberCannotRectifyOrRestrictAnother(t *testing.T) {
	e, _ := newRightsEnv(t)
	mc, member := e.signedInAs(t, "member@example.org", store.RoleMember)
	victim := e.user(t, "victim@example.org", store.RoleMember)
	for _, c := range []struct {
		path   string
		body   string
		action audit.Action
	}{
		{"/api/privacy/rectify", `{"subject":"` + victim.ID + `","email":"mine@example.org"}`, audit.DataRectify},
		{"/api/privacy/restrict", `{"subject":"` + victim.ID + `","restricted":true}`, audit.DataRestrict},
	} {
		expectError(t, do(t, mc, "POST", e.srv.URL+c.path, c.body), http.StatusForbidden, "forbidden")
		if v := e.lastAudit(t, c.action); v.Actor != member.ID || v.Outcome != "denied" || v.Details["role"] != "member" {
			t.Fatalf("%s refusal recorded as %+v", c.path, v)
		}
	}
	got, err := e.store.UserByID(context.Background(), victim.ID)
	if err != nil || got.Email != "victim@example.org" || got.Restricted {
		t.Fatalf("the victim changed: %+v %v", got, err)
	}
	// Nor through their own profile route, which only ever names them.
	expectError(t, do(t, mc, "POST", e.srv.URL+"/api/me/profile", `{"subject":"`+victim.ID+`","name":"x"}`), http.StatusBadRequest, "bad_request")
}

// TestOfficerRectifiesOnRequest: an officer corrects an account's details,
// citing the register's request; a request number that is not in the
// register, a guest and their own account are refused.
func TestOfficerRectifiesOnRequest(t *testing.T) {
	e, _ := newRightsEnv(t)
	oc, officer := e.signedInAs(t, "officer@example.org", store.RolePrivacyOfficer)
	member := e.user(t, "bo@example.org", store.RoleMember)
	r := do(t, oc, "POST", e.srv.URL+"/api/privacy/requests", `{"kind":"rectification","subject_ref":"`+member.ID+`"}`)
	expectStatus(t, r, http.StatusCreated)
	var req requestJSON
	r.json(t, &req)
	url := e.srv.URL + "/api/privacy/rectify"

	expectError(t, do(t, oc, "POST", url, `{"subject":"`+member.ID+`","name":"Bo","request":999}`), http.StatusBadRequest, "bad_request")
	expectError(t, do(t, oc, "POST", url, `{"subject":"p_guest","name":"Bo"}`), http.StatusBadRequest, "bad_request")
	expectError(t, do(t, oc, "POST", url, `{"subject":"`+officer.ID+`","name":"Me"}`), http.StatusConflict, "conflict")
	expectError(t, do(t, oc, "POST", url, `{"subject":"u_nobody","name":"Bo"}`), http.StatusNotFound, "not_found")

	id := strconv.FormatInt(req.ID, 10)
	r = do(t, oc, "POST", url, `{"subject":"`+member.ID+`","name":"Bo Berg","email":"bo.berg@example.org","request":`+id+`}`)
	expectStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), `"email":"bo.berg@example.org"`) {
		t.Fatalf("answer %s", r.body)
	}
	v := e.lastAudit(t, audit.DataRectify)
	if v.Actor != officer.ID || v.Target != member.ID || v.Details["request"] != id || v.Details["fields"] != "name,email" {
		t.Fatalf("rectification recorded as %+v", v)
	}
	if got, _ := e.store.UserByEmail(context.Background(), "bo.berg@example.org"); got.ID != member.ID || got.Name != "Bo Berg" {
		t.Fatalf("stored %+v", got)
	}
}

// TestOfficerRestrictsAccount: a restricted account is signed out, cannot
// sign in (told why only after the right password), and signs in again
// once the restriction is lifted; an officer cannot restrict themselves.
func TestOfficerRestrictsAccount(t *testing.T) {
	e, _ := newRightsEnv(t)
	oc, officer := e.signedInAs(t, "officer@example.org", store.RolePrivacyOfficer)
	mc, member := e.signedInAs(t, "member@example.org", store.RoleMember)
	url := e.srv.URL + "/api/privacy/restrict"

	expectError(t, do(t, oc, "POST", url, `{"subject":"`+officer.ID+`","restricted":true}`), http.StatusConflict, "conflict")
	expectError(t, do(t, oc, "POST", url, `{"subject":"p_guest","restricted":true}`), http.StatusBadRequest, "bad_request")

	r := do(t, oc, "POST", url, `{"subject":"`+member.ID+`","restricted":true}`)
	expectStatus(t, r, http.StatusOK)
	if !strings.Contains(string(r.body), `"restricted":true`) {
		t.Fatalf("answer %s", r.body)
	}
	if v := e.lastAudit(t, audit.DataRestrict); v.Actor != officer.ID || v.Target != member.ID || v.Details["restricted"] != "true" {
		t.Fatalf("restriction recorded as %+v", v)
	}
	expectError(t, do(t, mc, "GET", e.srv.URL+"/api/me", ""), http.StatusUnauthorized, "unauthorized")
	_, r = e.login(t, "member@example.org", "a wrong password!")
	expectError(t, r, http.StatusUnauthorized, "unauthorized")
	_, r = e.login(t, "member@example.org", password)
	expectError(t, r, http.StatusForbidden, "account_restricted")

	// The data is kept: the officer still exports it.
	expectStatus(t, do(t, oc, "POST", e.srv.URL+"/api/privacy/export", `{"subject":"`+member.ID+`"}`), http.StatusOK)

	expectStatus(t, do(t, oc, "POST", url, `{"subject":"`+member.ID+`","restricted":false}`), http.StatusOK)
	if v := e.lastAudit(t, audit.DataRestrict); v.Details["restricted"] != "false" {
		t.Fatalf("lifting recorded as %+v", v)
	}
	_, r = e.login(t, "member@example.org", password)
	expectStatus(t, r, http.StatusOK)
}

// TestConsentWithdrawnFromOwnPage: withdrawing the notice acceptance marks
// the ledger row and writes consent.withdrawn; the account is then asked
// to accept the notice again; nothing standing withdraws nothing and
// records nothing.
func TestConsentWithdrawnFromOwnPage(t *testing.T) {
	e, clk := newRightsEnv(t)
	c, u := e.signedInAs(t, "ada@example.org", store.RoleMember)
	ctx := context.Background()
	n, err := e.opts.Notices.EnsureDefault(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.AddConsent(ctx, store.Consent{SubjectID: u.ID, Kind: store.ConsentNotice, Version: n.Version,
		MeetingID: "k3m9-x2qa-7hvt-p4dz", GivenAt: clk.Now()}); err != nil {
		t.Fatal(err)
	}
	r := do(t, c, "GET", e.srv.URL+"/api/me/notice", "")
	if !strings.Contains(string(r.body), `"accepted":true`) {
		t.Fatalf("before: %s", r.body)
	}
	url := e.srv.URL + "/api/me/consents/withdraw"
	expectError(t, do(t, c, "POST", url, `{"kind":"gossip"}`), http.StatusBadRequest, "bad_request")

	clk.Advance(time.Hour)
	r = do(t, c, "POST", url, `{"kind":"notice"}`)
	expectStatus(t, r, http.StatusOK)
	var got struct {
		Withdrawn int `json:"withdrawn"`
		Consents  []struct {
			Kind        string     `json:"kind"`
			WithdrawnAt *time.Time `json:"withdrawn_at"`
		} `json:"consents"`
	}
	r.json(t, &got)
	if got.Withdrawn != 1 || len(got.Consents) != 1 || got.Consents[0].WithdrawnAt == nil || !got.Consents[0].WithdrawnAt.Equal(clk.Now()) {
		t.Fatalf("answer %s", r.body)
	}
	v := e.lastEntry(t)
	if v.Action != "consent.withdrawn" || v.Actor != u.ID || v.Target != u.ID || v.Details["kind"] != "notice" {
		t.Fatalf("withdrawal recorded as %+v", v)
	}
	r = do(t, c, "GET", e.srv.URL+"/api/me/notice", "")
	if !strings.Contains(string(r.body), `"accepted":false`) {
		t.Fatalf("after: %s", r.body)
	}

	before := len(e.entries(t))
	r = do(t, c, "POST", url, `{"kind":"notice"}`)
	expectStatus(t, r, http.StatusOK)
	r.json(t, &got)
	if got.Withdrawn != 0 || len(e.entries(t)) != before {
		t.Fatalf("withdrawing nothing: %s, %d new entries", r.body, len(e.entries(t))-before)
	}
	expectError(t, do(t, e.client(t), "POST", url, `{"kind":"notice"}`), http.StatusUnauthorized, "unauthorized")
}

// TestRecordingConsentWithdrawnFromOwnPage: withdrawing the recording
// consent also leaves the account out of any recording running now.
func TestRecordingConsentWithdrawnFromOwnPage(t *testing.T) {
	clk := testclock.New(time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC))
	live := &fakeLive{}
	e := newTestEnv(t, withRights(clk), func(o *Options) { o.Live = live })
	c, u := e.signedInAs(t, "ada@example.org", store.RoleMember)
	url := e.srv.URL + "/api/me/consents/withdraw"
	expectStatus(t, do(t, c, "POST", url, `{"kind":"notice"}`), http.StatusOK)
	if len(live.withdrawn) != 0 {
		t.Fatalf("a notice withdrawal touched recordings: %v", live.withdrawn)
	}
	expectStatus(t, do(t, c, "POST", url, `{"kind":"recording"}`), http.StatusOK)
	if len(live.withdrawn) != 1 || live.withdrawn[0] != u.ID {
		t.Fatalf("live recordings told %v, want %s", live.withdrawn, u.ID)
	}
}

// TestErasureRequestFromOwnPage: a member's erasure request lands in the
// officers' register as an open erasure request under their ID (nothing
// is erased), is listed on their own page without the officer's notes,
// and a second one while it is open is refused.
func TestErasureRequestFromOwnPage(t *testing.T) {
	e, clk := newRightsEnv(t)
	mc, member := e.signedInAs(t, "member@example.org", store.RoleMember)
	oc, _ := e.signedInAs(t, "officer@example.org", store.RolePrivacyOfficer)
	url := e.srv.URL + "/api/me/requests"

	expectError(t, do(t, mc, "POST", url, `{"kind":"gossip"}`), http.StatusBadRequest, "bad_request")
	r := do(t, mc, "POST", url, `{"kind":"erasure","notes":"I am leaving"}`)
	expectStatus(t, r, http.StatusCreated)
	var mine myRequestJSON
	r.json(t, &mine)
	if mine.Kind != "erasure" || mine.Status != "open" || !mine.DueAt.Equal(privacy.DueDate(clk.Now())) {
		t.Fatalf("answer %s", r.body)
	}
	v := e.lastAudit(t, audit.RequestCreate)
	if v.Actor != member.ID || v.Target != member.ID || v.Details["via"] != "self" || v.Details["kind"] != "erasure" {
		t.Fatalf("request recorded as %+v", v)
	}
	expectError(t, do(t, mc, "POST", url, `{"kind":"erasure"}`), http.StatusConflict, "conflict")
	expectStatus(t, do(t, mc, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)

	r = do(t, oc, "GET", e.srv.URL+"/api/privacy/requests", "")
	var list requestListResponse
	r.json(t, &list)
	if len(list.Requests) != 1 || list.Requests[0].SubjectRef != member.ID || list.Requests[0].Kind != "erasure" ||
		!strings.Contains(list.Requests[0].Notes, "I am leaving") {
		t.Fatalf("register %s", r.body)
	}
	r = do(t, mc, "GET", url, "")
	expectStatus(t, r, http.StatusOK)
	if strings.Contains(string(r.body), "leaving") || !strings.Contains(string(r.body), `"kind":"erasure"`) {
		t.Fatalf("own list %s", r.body)
	}
	// Another kind is another request.
	expectStatus(t, do(t, mc, "POST", url, `{"kind":"objection"}`), http.StatusCreated)
}

func guestRequest(participant, proof, kind string) string {
	return `{"participant":"` + participant + `","proof":"` + proof + `","kind":"` + kind + `"}`
}

// TestGuestRequestWithProof: a guest's proof works once, with the
// participant ID as subject; not twice, not for another participant ID,
// not after its expiry.
func TestGuestRequestWithProof(t *testing.T) {
	e, clk := newRightsEnv(t)
	ctx := context.Background()
	oc, _ := e.signedInAs(t, "officer@example.org", store.RolePrivacyOfficer)
	proof, err := e.opts.Privacy.IssueGuestProof(ctx, "p_guest1", "k3m9-x2qa-7hvt-p4dz")
	if err != nil {
		t.Fatal(err)
	}
	late, err := e.opts.Privacy.IssueGuestProof(ctx, "p_guest1", "k3m9-x2qa-7hvt-p4dz")
	if err != nil {
		t.Fatal(err)
	}
	url := e.srv.URL + "/api/privacy/guest-requests"
	guest := e.client(t)

	expectError(t, do(t, guest, "POST", url, guestRequest("p_guest2", proof, "erasure")), http.StatusForbidden, "invalid_proof")
	expectError(t, do(t, guest, "POST", url, guestRequest("p_guest1", proof, "gossip")), http.StatusBadRequest, "bad_request")
	r := do(t, guest, "POST", url, guestRequest("p_guest1", proof, "erasure"))
	expectStatus(t, r, http.StatusCreated)
	v := e.lastAudit(t, audit.RequestCreate)
	if v.Actor != "p_guest1" || v.Target != "p_guest1" || v.Details["via"] != "guest_proof" {
		t.Fatalf("guest request recorded as %+v", v)
	}
	expectError(t, do(t, guest, "POST", url, guestRequest("p_guest1", proof, "erasure")), http.StatusForbidden, "invalid_proof")

	r = do(t, oc, "GET", e.srv.URL+"/api/privacy/requests", "")
	var list requestListResponse
	r.json(t, &list)
	if len(list.Requests) != 1 || list.Requests[0].SubjectRef != "p_guest1" || list.Requests[0].Kind != "erasure" {
		t.Fatalf("register %s", r.body)
	}

	clk.Advance(privacy.GuestProofTTL)
	expectError(t, do(t, guest, "POST", url, guestRequest("p_guest1", late, "access")), http.StatusForbidden, "invalid_proof")
}

// TestGuestRequestsThrottled: every submission counts against the client
// address; past the limit the answer is 429 with Retry-After, right proof
// or wrong, until the lock-out ends.
func TestGuestRequestsThrottled(t *testing.T) {
	e, clk := newRightsEnv(t)
	proof, err := e.opts.Privacy.IssueGuestProof(context.Background(), "p_guest1", "k3m9-x2qa-7hvt-p4dz")
	if err != nil {
		t.Fatal(err)
	}
	url := e.srv.URL + "/api/privacy/guest-requests"
	c := e.client(t)
	wrong := strings.Repeat("A", 43)
	limit := throttle.GuestRequestPolicy().MaxFailures
	for range limit {
		expectError(t, do(t, c, "POST", url, guestRequest("p_guest1", wrong, "access")), http.StatusForbidden, "invalid_proof")
	}
	r := do(t, c, "POST", url, guestRequest("p_guest1", proof, "access"))
	expectError(t, r, http.StatusTooManyRequests, "too_many_attempts")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
	clk.Advance(throttle.GuestRequestPolicy().Lockout)
	expectStatus(t, do(t, c, "POST", url, guestRequest("p_guest1", proof, "access")), http.StatusCreated)
}

// TestUnknownRoleRefusedOwnRights: the own-rights routes need a known
// role, not just a session, like the rest of self-service.
func TestUnknownRoleRefusedOwnRights(t *testing.T) {
	clk := testclock.New(time.Date(2025, 3, 3, 9, 0, 0, 0, time.UTC))
	e := newTestEnv(t, withRights(clk), func(o *Options) {
		o.Sessions = auth.NewSessions(unmappedRoleStore{sqliteOf(o)}, auth.SessionOptions{Logger: o.Logger})
	})
	c, u := e.signedInAs(t, "x@example.org", store.RoleAdmin)
	for _, r := range []struct{ method, path, body string }{
		{"POST", "/api/me/profile", `{"name":"X"}`},
		{"POST", "/api/me/consents/withdraw", `{"kind":"notice"}`},
		{"POST", "/api/me/requests", `{"kind":"erasure"}`},
		{"GET", "/api/me/requests", ""},
	} {
		expectError(t, do(t, c, r.method, e.srv.URL+r.path, r.body), http.StatusForbidden, "forbidden")
		if got := e.lastEntry(t); got.Outcome != "denied" || got.Actor != u.ID || got.Details["role"] != "auditor" {
			t.Fatalf("%s: denial recorded as %+v", r.path, got)
		}
	}
}
