package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testlog"
)

// entries returns the whole audit log in chain order.
func (e *testEnv) entries(t *testing.T) []audit.Entry {
	t.Helper()
	es, err := e.opts.Audit.Entries(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// lastEntry returns the newest audit entry.
func (e *testEnv) lastEntry(t *testing.T) audit.Entry {
	t.Helper()
	h, ok, err := e.opts.Audit.Head(context.Background())
	if err != nil || !ok {
		t.Fatalf("no audit entry: %v", err)
	}
	return h
}

// signedInAs returns a client signed in as a new user with role.
func (e *testEnv) signedInAs(t *testing.T, email string, role store.Role) (*http.Client, store.User) {
	t.Helper()
	u := e.user(t, email, role)
	c := e.client(t)
	expectStatus(t, do(t, c, "POST", e.srv.URL+"/api/login", `{"email":"`+email+`","password":"`+password+`"}`), http.StatusOK)
	return c, u
}

type wantEntry struct {
	action, actor, target, outcome string
	meeting                        bool
}

func TestAuditRecordsAccountActions(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(t)
	url := e.srv.URL
	token, _, err := e.opts.Setup.EnsureSetupToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	setup := func(tok string) string {
		return `{"token":"` + tok + `","email":"ada@example.org","name":"Ada","password":"` + password + `"}`
	}
	expectStatus(t, do(t, c, "POST", url+"/api/setup", setup("wrong")), 401)
	r := do(t, c, "POST", url+"/api/setup", setup(token))
	expectStatus(t, r, 201)
	var admin userResponse
	r.json(t, &admin)
	expectStatus(t, do(t, c, "POST", url+"/api/setup", setup(token)), 409)
	m := createMeeting(t, c, url, `{"title":"Board"}`)
	expectStatus(t, do(t, c, "POST", url+"/api/logout", ""), 204)
	expectStatus(t, do(t, c, "POST", url+"/api/logout", ""), 204) // no session: nothing to record
	login := func(email, pw string) string { return `{"email":"` + email + `","password":"` + pw + `"}` }
	expectStatus(t, do(t, c, "POST", url+"/api/login", login("ada@example.org", "wrong password!")), 401)
	expectStatus(t, do(t, c, "POST", url+"/api/login", login("ghost@example.org", "wrong password!")), 401)
	expectStatus(t, do(t, c, "POST", url+"/api/login", login("ADA@example.org", password)), 200)

	id := admin.User.ID
	want := []wantEntry{
		{"auth.setup", "", "", "failure", false},
		{"auth.setup", id, id, "success", false},
		{"meeting.create", id, "", "success", true},
		{"auth.logout", id, "", "success", false},
		{"auth.login.failure", "", id, "failure", false},
		{"auth.login.failure", "", "", "failure", false},
		{"auth.login.success", id, "", "success", false},
	}
	got := e.entries(t)
	if len(got) != len(want) {
		t.Fatalf("%d entries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Action != w.action || g.Actor != w.actor || g.Target != w.target || g.Outcome != w.outcome ||
			(g.Meeting == m.ID) != w.meeting || g.ClientAddr != "127.0.0.1" {
			t.Errorf("entry %d: %+v, want %+v", i+1, g, w)
		}
	}
	if got[1].Details["role"] != "admin" {
		t.Errorf("setup details %v", got[1].Details)
	}
	raw, _ := json.Marshal(got)
	for _, secret := range []string{"ada@example.org", "ghost@example.org", "Ada\"", password, token, m.Passcode} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("audit log contains %q", secret)
		}
	}
	if r, err := e.opts.Audit.Verify(context.Background(), nil); err != nil || !r.OK() {
		t.Fatalf("chain: %+v %v", r, err)
	}
}

// TestAuditAPIRefusals: signed out is 401 and unrecorded; a member is 403,
// recorded as denied, and sees no entry.
func TestAuditAPIRefusals(t *testing.T) {
	e := newTestEnv(t)
	member, u := e.signedInAs(t, "m@example.org", store.RoleMember)
	anon := e.client(t)
	before := len(e.entries(t))
	for _, path := range []string{"/api/audit", "/api/audit/export?format=csv", "/api/audit?limit=5"} {
		expectError(t, do(t, anon, "GET", e.srv.URL+path, ""), 401, "unauthorized")
		r := do(t, member, "GET", e.srv.URL+path, "")
		expectError(t, r, 403, "forbidden")
		if strings.Contains(string(r.body), "auth.login") {
			t.Fatalf("refusal leaked entries: %s", r.body)
		}
	}
	// The second audit.view refusal repeats the first: it is counted, not
	// written, until the window closes (TestRepeatedDenialsCoalesced).
	got := e.entries(t)[before:]
	if len(got) != 2 {
		t.Fatalf("%d entries for 3 member refusals (and none for signed-out), want 2", len(got))
	}
	for i, g := range got {
		want := []string{"audit.view", "audit.export"}[i]
		if g.Action != want || g.Actor != u.ID || g.Outcome != "denied" {
			t.Errorf("refusal %d recorded as %+v", i, g)
		}
	}
	expectError(t, do(t, member, "POST", e.srv.URL+"/api/audit", "{}"), 405, "method_not_allowed")
}

func TestAuditAPIList(t *testing.T) {
	e := newTestEnv(t)
	admin, a := e.signedInAs(t, "a@example.org", store.RoleAdmin)
	_, m := e.signedInAs(t, "m@example.org", store.RoleMember)
	createMeeting(t, admin, e.srv.URL, `{}`)

	var resp auditListResponse
	r := do(t, admin, "GET", e.srv.URL+"/api/audit", "")
	expectStatus(t, r, 200)
	r.json(t, &resp)
	if len(resp.Entries) != 3 || resp.Entries[0].Action != "meeting.create" || resp.Entries[2].Actor != a.ID {
		t.Fatalf("entries %+v", resp.Entries)
	}
	if !resp.Chain.Intact || resp.Chain.Checked != 3 || resp.Chain.Head == nil || resp.Chain.Head.Seq != 3 || len(resp.Chain.Head.Hash) != 64 {
		t.Fatalf("chain %+v", resp.Chain)
	}
	view := e.lastEntry(t)
	if view.Seq != 4 || view.Action != "audit.view" || view.Actor != a.ID || view.Details["returned"] != "3" {
		t.Fatalf("view recorded as %+v", view)
	}

	q := url.Values{"actor": {m.ID}, "action": {"auth.login.success"}, "order": {"oldest"}, "limit": {"1"},
		"since": {"2000-01-01T00:00:00Z"}}
	r = do(t, admin, "GET", e.srv.URL+"/api/audit?"+q.Encode(), "")
	expectStatus(t, r, 200)
	r.json(t, &resp)
	if len(resp.Entries) != 1 || resp.Entries[0].Seq != 2 || !resp.Chain.Intact {
		t.Fatalf("filtered %+v %+v", resp.Entries, resp.Chain)
	}
	if d := e.lastEntry(t).Details; d["filter.actor"] != m.ID || d["filter.action"] != "auth.login.success" || d["returned"] != "1" {
		t.Fatalf("view details %v", d)
	}
	r = do(t, admin, "GET", e.srv.URL+"/api/audit?limit=2&offset=1&order=oldest", "")
	r.json(t, &resp)
	if len(resp.Entries) != 2 || resp.Entries[0].Seq != 2 || resp.Entries[1].Seq != 3 {
		t.Fatalf("page %+v", resp.Entries)
	}
	r = do(t, admin, "GET", e.srv.URL+"/api/audit?actor=u_nobody", "")
	if !strings.Contains(string(r.body), `"entries":[]`) || !strings.Contains(string(r.body), `"problems":[]`) {
		t.Fatalf("empty result must be arrays: %s", r.body)
	}
}

func TestAuditAPIBadParameters(t *testing.T) {
	e := newTestEnv(t)
	admin, _ := e.signedInAs(t, "a@example.org", store.RoleAdmin)
	before := len(e.entries(t))
	for _, q := range []string{
		"bogus=1", "action=auth.nothing", "outcome=ok", "actor=a@example.org", "target=Ada",
		"meeting=../../x", "since=yesterday", "until=2025-13-01T00:00:00Z", "limit=0", "limit=1001",
		"limit=x", "offset=-1", "order=random", "action=auth.logout&action=auth.setup", "format=csv",
	} {
		r := do(t, admin, "GET", e.srv.URL+"/api/audit?"+q, "")
		expectError(t, r, 400, "bad_request")
		if strings.Contains(string(r.body), "a@example.org") {
			t.Errorf("%s: error echoes the value: %s", q, r.body)
		}
	}
	for _, q := range []string{"", "format=xml", "format=csv&limit=5", "format=json&order=newest"} {
		expectError(t, do(t, admin, "GET", e.srv.URL+"/api/audit/export?"+q, ""), 400, "bad_request")
	}
	if n := len(e.entries(t)); n != before {
		t.Fatalf("bad requests recorded %d entries", n-before)
	}
}

func TestAuditExportAPI(t *testing.T) {
	e := newTestEnv(t)
	admin, a := e.signedInAs(t, "a@example.org", store.RoleAdmin)
	createMeeting(t, admin, e.srv.URL, `{}`)

	r := do(t, admin, "GET", e.srv.URL+"/api/audit/export?format=csv", "")
	expectStatus(t, r, 200)
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("content type %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="conclave-audit-`) || !strings.HasSuffix(cd, `.csv"`) {
		t.Fatalf("disposition %q", cd)
	}
	if r.Header.Get("Cache-Control") != "no-store" {
		t.Fatal("export may be cached")
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// login, meeting, and the export itself (recorded before it streamed).
	if len(rows) != 4 || rows[0][0] != "seq" || rows[3][2] != "audit.export" || rows[3][3] != a.ID {
		t.Fatalf("rows %v", rows)
	}

	r = do(t, admin, "GET", e.srv.URL+"/api/audit/export?format=json&action=meeting.create", "")
	expectStatus(t, r, 200)
	var recs []audit.Record
	r.json(t, &recs)
	if len(recs) != 1 || recs[0].Action != "meeting.create" || recs[0].ClientAddr != "127.0.0.1" {
		t.Fatalf("records %+v", recs)
	}
	if d := e.lastEntry(t).Details; d["format"] != "json" || d["filter.action"] != "meeting.create" {
		t.Fatalf("export details %v", d)
	}
}

// tamperStore shows entry 2 with another actor, as if edited in the file.
type tamperStore struct{ store.Store }

func (s tamperStore) AuditEntries(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error) {
	es, err := s.Store.AuditEntries(ctx, f)
	for i := range es {
		if es[i].Seq == 2 {
			es[i].Actor = "u_mallory"
		}
	}
	return es, err
}

func TestAuditAPIChainStatusShowsTampering(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Audit = audit.New(tamperStore{sqliteOf(o)}, audit.Options{Key: auditKey}) })
	admin, _ := e.signedInAs(t, "a@example.org", store.RoleAdmin)
	createMeeting(t, admin, e.srv.URL, `{}`)
	createMeeting(t, admin, e.srv.URL, `{}`)
	var resp auditListResponse
	r := do(t, admin, "GET", e.srv.URL+"/api/audit", "")
	expectStatus(t, r, 200)
	r.json(t, &resp)
	if resp.Chain.Intact || len(resp.Chain.Problems) != 1 || resp.Chain.Problems[0].Seq != 2 ||
		resp.Chain.Problems[0].Kind != audit.Changed || !strings.Contains(resp.Chain.Problems[0].Message, "changed") {
		t.Fatalf("chain %+v", resp.Chain)
	}
}

// failingAuditStore cannot append audit entries.
type failingAuditStore struct{ store.Store }

func (failingAuditStore) AppendAudit(context.Context, store.AuditEntry, store.AuditSeal) (store.AuditEntry, error) {
	return store.AuditEntry{}, errors.New("disk I/O error at /var/lib/secret-path")
}

// TestAuditFailureFailsClosed: when the log cannot be written, successful
// actions are refused with a bare 500 (no session, no meeting data) and
// the cause is logged; refusals and logout keep their answers.
func TestAuditFailureFailsClosed(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Audit = audit.New(failingAuditStore{sqliteOf(o)}, audit.Options{Key: auditKey}) })
	e.user(t, "a@example.org", store.RoleAdmin)
	c := e.client(t)
	r := do(t, c, "POST", e.srv.URL+"/api/login", `{"email":"a@example.org","password":"`+password+`"}`)
	expectError(t, r, 500, "internal")
	if len(r.Cookies()) != 0 || strings.Contains(string(r.body), "secret-path") {
		t.Fatalf("login without audit entry: cookies %v body %s", r.Cookies(), r.body)
	}
	expectError(t, do(t, c, "GET", e.srv.URL+"/api/me", ""), 401, "unauthorized")
	expectError(t, do(t, c, "POST", e.srv.URL+"/api/login", `{"email":"a@example.org","password":"wrong password!"}`), 401, "unauthorized")
	if !strings.Contains(e.log.String(), "secret-path") || !strings.Contains(e.log.String(), "audit write failed") {
		t.Fatalf("failure not logged:\n%s", e.log.String())
	}
	if strings.Contains(e.log.String(), string(auditKey)) || strings.Contains(e.log.String(), password) {
		t.Fatal("secret in the log")
	}
}

func TestAuditFailureMeetingAndLogout(t *testing.T) {
	fail := false
	e := newTestEnv(t, func(o *Options) {
		o.Audit = audit.New(switchableStore{Store: sqliteOf(o), fail: &fail}, audit.Options{Key: auditKey})
	})
	c, _ := e.signedInAs(t, "a@example.org", store.RoleMember)
	fail = true
	r := do(t, c, "POST", e.srv.URL+"/api/meetings", `{"title":"Hidden"}`)
	expectError(t, r, 500, "internal")
	if strings.Contains(string(r.body), "passcode") {
		t.Fatalf("meeting data sent without an audit entry: %s", r.body)
	}
	expectStatus(t, do(t, c, "POST", e.srv.URL+"/api/logout", ""), 204)
	expectError(t, do(t, c, "GET", e.srv.URL+"/api/me", ""), 401, "unauthorized")
	if !strings.Contains(e.log.String(), "action=auth.logout") {
		t.Fatalf("lost logout entry not logged:\n%s", e.log.String())
	}
}

type switchableStore struct {
	store.Store
	fail *bool
}

func (s switchableStore) AppendAudit(ctx context.Context, e store.AuditEntry, seal store.AuditSeal) (store.AuditEntry, error) {
	if *s.fail {
		return store.AuditEntry{}, errors.New("database is locked")
	}
	return s.Store.AppendAudit(ctx, e, seal)
}

// TestAuditWriteOutlivesClientHangUp: the entry of a completed action is
// written even when the request's context is already cancelled.
func TestAuditWriteOutlivesClientHangUp(t *testing.T) {
	e := newTestEnv(t)
	s := &server{Options: e.opts}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("POST", "/api/logout", nil).WithContext(ctx)
	if err := s.appendAudit(r, audit.Event{Action: audit.AuthLogout, Actor: "u_a", Outcome: audit.Success}); err != nil {
		t.Fatalf("cancelled request lost its entry: %v", err)
	}
}

func TestClientAddr(t *testing.T) {
	cases := map[string]string{
		"192.0.2.1:1234":         "192.0.2.1",
		"[::ffff:192.0.2.1]:443": "192.0.2.1",
		"[2001:db8::1]:443":      "2001:db8::1",
		"[fe80::1%eth0]:443":     "fe80::1",
		"192.0.2.1":              "",
		"example.org:80":         "",
		"":                       "",
	}
	for in, want := range cases {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = in
		if got := clientAddr(r); got != want {
			t.Errorf("clientAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewRequiresAuditLog(t *testing.T) {
	defer func() {
		if r := recover(); r == nil || !strings.Contains(r.(string), "Audit") {
			t.Fatalf("recover = %v", r)
		}
	}()
	opts := newOptions(t, openStore(t), &testlog.Buffer{})
	opts.Audit = nil
	New(opts)
}

// brokenReadStore lets appends through but cannot read the log.
type brokenReadStore struct{ store.Store }

func (brokenReadStore) AuditEntries(context.Context, store.AuditFilter) ([]store.AuditEntry, error) {
	return nil, errors.New("disk I/O error at /var/lib/secret-path")
}

// TestAuditExportAbortsOnReadError: once the export is under way, a failure
// breaks the download instead of ending it like a complete file.
func TestAuditExportAbortsOnReadError(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Audit = audit.New(brokenReadStore{sqliteOf(o)}, audit.Options{Key: auditKey}) })
	admin, _ := e.signedInAs(t, "a@example.org", store.RoleAdmin)
	resp, err := admin.Get(e.srv.URL + "/api/audit/export?format=json")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Fatalf("export completed despite the read error: %d", resp.StatusCode)
	}
	if !strings.Contains(e.log.String(), "audit export failed") {
		t.Fatalf("not logged:\n%s", e.log.String())
	}
	expectError(t, do(t, admin, "GET", e.srv.URL+"/api/audit", ""), 500, "internal")
}
