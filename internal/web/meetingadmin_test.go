package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/store"
)

// TestRegeneratePasscode: the host gets a new passcode; a join with the old
// one is refused at once and the new one admits; the audit entry does not
// carry the passcode.
func TestRegeneratePasscode(t *testing.T) {
	e := newTestEnv(t)
	host := e.signedIn(t, "host@example.org")
	m := createMeeting(t, host, e.srv.URL, `{"title":"Board"}`)

	r := do(t, host, "POST", e.srv.URL+"/api/meetings/"+m.ID+"/passcode", "")
	expectStatus(t, r, http.StatusOK)
	var got meetingJSON
	r.json(t, &got)
	if got.ID != m.ID || got.Passcode == m.Passcode || len(got.Passcode) != 12 {
		t.Fatalf("after regeneration %+v (old passcode %s)", got, m.Passcode)
	}
	if want := publicURL + "/m/" + m.ID + "#pwd=" + got.Passcode; got.JoinURL != want {
		t.Fatalf("join_url %q, want %q", got.JoinURL, want)
	}
	// Signalling's hello authorises through the same service.
	ctx := context.Background()
	if _, err := e.opts.Meetings.Authorize(ctx, m.ID, m.Passcode); !errors.Is(err, meeting.ErrJoinRefused) {
		t.Fatalf("old passcode: %v, want ErrJoinRefused", err)
	}
	if _, err := e.opts.Meetings.Authorize(ctx, m.ID, got.Passcode); err != nil {
		t.Fatalf("new passcode: %v", err)
	}
	entry := e.lastAudit(t, audit.MeetingPasscodeRegenerate)
	if entry.Outcome != string(audit.Success) || entry.Meeting != m.ID {
		t.Fatalf("audit %+v", entry)
	}
	for k, v := range entry.Details {
		if strings.Contains(v, got.Passcode) || strings.Contains(v, m.Passcode) {
			t.Fatalf("audit detail %s carries a passcode", k)
		}
	}
}

// TestMeetingAdminRefusals: another member is told the meeting does not
// exist and the refusal is recorded; without a session nothing happens; an
// administrator may manage any meeting.
func TestMeetingAdminRefusals(t *testing.T) {
	e := newTestEnv(t)
	host := e.signedIn(t, "host@example.org")
	m := createMeeting(t, host, e.srv.URL, `{"title":"Board"}`)
	u, other := e.signIn(t, "other@example.org", store.RoleMember)
	_, officer := e.signIn(t, "officer@example.org", store.RolePrivacyOfficer)

	for _, c := range []struct {
		method, path string
		action       audit.Action
	}{
		{"POST", "/passcode", audit.MeetingPasscodeRegenerate},
		{"DELETE", "", audit.MeetingDelete},
	} {
		url := e.srv.URL + "/api/meetings/" + m.ID + c.path
		expectError(t, do(t, other, c.method, url, ""), http.StatusNotFound, "not_found")
		entry := e.lastAudit(t, c.action)
		if entry.Outcome != string(audit.Denied) || entry.Actor != u.ID || entry.Meeting != m.ID || entry.Details["reason"] != "not_host" {
			t.Fatalf("%s refusal recorded as %+v", c.action, entry)
		}
		expectError(t, do(t, officer, c.method, url, ""), http.StatusNotFound, "not_found")
		expectError(t, do(t, e.client(t), c.method, url, ""), http.StatusUnauthorized, "unauthorized")
		expectError(t, do(t, other, c.method, e.srv.URL+"/api/meetings/zzzz-zzzz-zzzz-zzzz"+c.path, ""),
			http.StatusNotFound, "not_found")
	}
	if _, err := e.opts.Meetings.Authorize(context.Background(), m.ID, m.Passcode); err != nil {
		t.Fatalf("refused requests changed the meeting: %v", err)
	}

	_, admin := e.signIn(t, "admin@example.org", store.RoleAdmin)
	expectStatus(t, do(t, admin, "POST", e.srv.URL+"/api/meetings/"+m.ID+"/passcode", ""), http.StatusOK)
	expectStatus(t, do(t, admin, "DELETE", e.srv.URL+"/api/meetings/"+m.ID, ""), http.StatusNoContent)
}

type fakeLive struct {
	mu           sync.Mutex
	ended        []string
	disconnected []string
	withdrawn    []string
}

func (f *fakeLive) DisconnectDisabled(userID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.disconnected = append(f.disconnected, userID)
	return 1
}

func (f *fakeLive) WithdrawRecording(userID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.withdrawn = append(f.withdrawn, userID)
	return 1
}

func (f *fakeLive) EndMeeting(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ended = append(f.ended, id)
	return true
}

// TestDeleteMeeting: the meeting, its retention periods and its key go,
// the live meeting is ended, joins are refused and the deletion is audited.
func TestDeleteMeeting(t *testing.T) {
	live := &fakeLive{}
	e := newTestEnv(t, func(o *Options) { o.Live = live })
	host := e.signedIn(t, "host@example.org")
	m := createMeeting(t, host, e.srv.URL, `{"title":"Board"}`)
	ctx := context.Background()
	if err := e.store.SetMeetingRetention(ctx, m.ID, map[string]time.Duration{"chat": time.Hour}); err != nil {
		t.Fatal(err)
	}

	expectStatus(t, do(t, host, "DELETE", e.srv.URL+"/api/meetings/"+m.ID, ""), http.StatusNoContent)
	if _, err := e.store.MeetingByID(ctx, m.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("meeting after deletion: %v", err)
	}
	if own, err := e.store.MeetingRetention(ctx, m.ID); err != nil || len(own) != 0 {
		t.Fatalf("retention after deletion: %v %v", own, err)
	}
	if _, err := e.opts.Meetings.Authorize(ctx, m.ID, m.Passcode); !errors.Is(err, meeting.ErrJoinRefused) {
		t.Fatalf("join after deletion: %v", err)
	}
	if len(live.ended) != 1 || live.ended[0] != m.ID {
		t.Fatalf("live meetings ended: %v", live.ended)
	}
	entry := e.lastAudit(t, audit.MeetingDelete)
	if entry.Outcome != string(audit.Success) || entry.Meeting != m.ID || entry.Details["deleted"] != "1" ||
		entry.Details["ended_live"] != "true" {
		t.Fatalf("audit %+v", entry)
	}
	expectError(t, do(t, host, "DELETE", e.srv.URL+"/api/meetings/"+m.ID, ""), http.StatusNotFound, "not_found")
	r := do(t, host, "GET", e.srv.URL+"/api/meetings", "")
	if strings.Contains(string(r.body), m.ID) {
		t.Fatalf("deleted meeting still listed: %s", r.body)
	}
}

// TestMeetingAdminUnknownRole: the table's refusal comes before any
// lookup: an account whose role this build does not know is answered 403
// for its own meeting, and the refusal is recorded.
func TestMeetingAdminUnknownRole(t *testing.T) {
	e := newTestEnv(t, func(o *Options) {
		o.Sessions = auth.NewSessions(unmappedRoleStore{sqliteOf(o)}, auth.SessionOptions{Logger: o.Logger})
	})
	c, u := e.signedInAs(t, "host@example.org", store.RoleMember)
	m, err := e.opts.Meetings.Create(context.Background(), u.ID, meeting.Options{Title: "Board"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c2 := range []struct {
		method, path string
		action       audit.Action
	}{{"POST", "/passcode", audit.MeetingPasscodeRegenerate}, {"DELETE", "", audit.MeetingDelete}} {
		expectError(t, do(t, c, c2.method, e.srv.URL+"/api/meetings/"+m.ID+c2.path, ""), http.StatusForbidden, "forbidden")
		if got := e.lastAudit(t, c2.action); got.Outcome != string(audit.Denied) || got.Details["role"] != "auditor" {
			t.Fatalf("%s refusal recorded as %+v", c2.action, got)
		}
	}
	if _, err := e.opts.Meetings.Authorize(context.Background(), m.ID, m.Passcode); err != nil {
		t.Fatalf("refused requests changed the meeting: %v", err)
	}
}

// TestCreateSignedInOnly: the option round-trips through the API, and a
// server requiring sign-in refuses a meeting open to guests.
func TestCreateSignedInOnly(t *testing.T) {
	e := newTestEnv(t)
	c := e.signedIn(t, "host@example.org")
	if m := createMeeting(t, c, e.srv.URL, `{"title":"Members","signed_in_only":true}`); !m.SignedInOnly {
		t.Fatalf("signed_in_only not kept: %+v", m)
	}
	if m := createMeeting(t, c, e.srv.URL, `{"title":"Open"}`); m.SignedInOnly {
		t.Fatalf("signed_in_only on by default: %+v", m)
	}

	strict := newTestEnv(t, func(o *Options) {
		o.Meetings = &meeting.Service{Store: sqliteOf(o), Policy: meeting.Policy{RequireSignedIn: true}}
	})
	sc := strict.signedIn(t, "host@example.org")
	if m := createMeeting(t, sc, strict.srv.URL, `{"title":"Members"}`); !m.SignedInOnly {
		t.Fatalf("policy not applied: %+v", m)
	}
	r := do(t, sc, "POST", strict.srv.URL+"/api/meetings", `{"title":"Open","signed_in_only":false}`)
	expectError(t, r, http.StatusBadRequest, "bad_request")
	if !strings.Contains(string(r.body), "signed_in_only") {
		t.Fatalf("refusal does not name the field: %s", r.body)
	}
}
