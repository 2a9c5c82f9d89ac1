package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/notice"
	"github.com/conclave-meet/conclave/internal/store"
)

// TestPrivacyOfficerReadsAndExportsAudit: the role reads and exports the
// log like an administrator, and both are recorded under its ID.
func TestPrivacyOfficerReadsAndExportsAudit(t *testing.T) {
	e := newTestEnv(t)
	dpo, u := e.signedInAs(t, "dpo@example.org", store.RolePrivacyOfficer)

	var resp auditListResponse
	r := do(t, dpo, "GET", e.srv.URL+"/api/audit?action=auth.login.success", "")
	expectStatus(t, r, http.StatusOK)
	r.json(t, &resp)
	if len(resp.Entries) != 1 || resp.Entries[0].Actor != u.ID || !resp.Chain.Intact {
		t.Fatalf("list %+v %+v", resp.Entries, resp.Chain)
	}
	if !slices.Equal(resp.Actions, audit.Actions) {
		t.Fatalf("actions %v, want every audit action", resp.Actions)
	}
	if v := e.lastEntry(t); v.Action != "audit.view" || v.Actor != u.ID || v.Outcome != "success" {
		t.Fatalf("view recorded as %+v", v)
	}

	r = do(t, dpo, "GET", e.srv.URL+"/api/audit/export?format=csv", "")
	expectStatus(t, r, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Header, login, view, and the export itself.
	if len(rows) != 4 || rows[3][2] != "audit.export" || rows[3][3] != u.ID {
		t.Fatalf("csv rows %v", rows)
	}
	expectStatus(t, do(t, dpo, "GET", e.srv.URL+"/api/audit/export?format=json", ""), http.StatusOK)
}

// TestAuditRefusalNamesRoleAndReason: a member's 403 says who may read the
// log, and the denial records the member's role.
func TestAuditRefusalNamesRoleAndReason(t *testing.T) {
	e := newTestEnv(t)
	member, u := e.signedInAs(t, "m@example.org", store.RoleMember)
	r := do(t, member, "GET", e.srv.URL+"/api/audit", "")
	expectError(t, r, http.StatusForbidden, "forbidden")
	if !strings.Contains(string(r.body), "privacy officers") {
		t.Fatalf("refusal message %s", r.body)
	}
	got := e.lastEntry(t)
	if got.Action != "audit.view" || got.Actor != u.ID || got.Outcome != "denied" || got.Details["role"] != "member" {
		t.Fatalf("denial recorded as %+v", got)
	}
}

// TestMeetingCreateAuthorized: every organisation role may create meetings;
// without a session it is 401 and nothing is recorded.
func TestMeetingCreateAuthorized(t *testing.T) {
	e := newTestEnv(t)
	for _, role := range store.Roles {
		c, _ := e.signedInAs(t, string(role)+"@example.org", role)
		expectStatus(t, do(t, c, "POST", e.srv.URL+"/api/meetings", `{"title":"x"}`), http.StatusCreated)
	}
	before := len(e.entries(t))
	expectError(t, do(t, e.client(t), "POST", e.srv.URL+"/api/meetings", `{"title":"x"}`), http.StatusUnauthorized, "unauthorized")
	if n := len(e.entries(t)); n != before {
		t.Fatalf("signed-out attempt recorded %d entries", n-before)
	}
}

// unmappedRoleStore hands out accounts with a role this build does not
// know, as a newer schema or a hand-edited row could.
type unmappedRoleStore struct{ store.Store }

func (s unmappedRoleStore) UserByID(ctx context.Context, id string) (store.User, error) {
	u, err := s.Store.UserByID(ctx, id)
	u.Role = "auditor"
	return u, err
}

// TestUnknownRoleFailsClosed: an account whose role authorize cannot map
// is refused everything, and the refusal is recorded.
func TestUnknownRoleFailsClosed(t *testing.T) {
	e := newTestEnv(t, withPrivacy(time.Now()), func(o *Options) {
		o.Notices = &notice.Service{Store: sqliteOf(o)}
		o.Sessions = auth.NewSessions(unmappedRoleStore{sqliteOf(o)}, auth.SessionOptions{Logger: o.Logger})
	})
	c, u := e.signedInAs(t, "x@example.org", store.RoleAdmin)
	expectError(t, do(t, c, "POST", e.srv.URL+"/api/meetings", `{"title":"x"}`), http.StatusForbidden, "forbidden")
	if got := e.lastEntry(t); got.Action != "meeting.create" || got.Actor != u.ID || got.Outcome != "denied" || got.Details["role"] != "auditor" {
		t.Fatalf("denial recorded as %+v", got)
	}
	expectError(t, do(t, c, "GET", e.srv.URL+"/api/audit", ""), http.StatusForbidden, "forbidden")
	// Reading one's own data needs a known role too, not just a session.
	for _, path := range []string{"/api/meetings", "/api/me/export", "/api/me/consents", "/api/me/notice", "/api/meetings/zzzz-zzzz-zzzz-zzzz/retention"} {
		expectError(t, do(t, c, "GET", e.srv.URL+path, ""), http.StatusForbidden, "forbidden")
		if got := e.lastEntry(t); got.Outcome != "denied" || got.Actor != u.ID || got.Details["role"] != "auditor" {
			t.Fatalf("%s: denial recorded as %+v", path, got)
		}
	}
}

// TestEveryOrgActionHasARefusalText: a refused account is told why, in
// words, whichever action it was refused.
func TestEveryOrgActionHasARefusalText(t *testing.T) {
	for _, a := range authz.OrgActions {
		if forbidden[a] == "" {
			t.Errorf("no refusal text for %s", a)
		}
	}
}

// TestOrgRoleCoversStoreRoles: every stored role has its own row in the
// permission table, so none falls through to Anonymous by mistake.
func TestOrgRoleCoversStoreRoles(t *testing.T) {
	seen := map[authz.Role]bool{}
	for _, r := range store.Roles {
		got := orgRole(r)
		if got == authz.Anonymous || seen[got] || !slices.Contains(authz.OrgRoles, got) {
			t.Errorf("orgRole(%q) = %q", r, got)
		}
		seen[got] = true
	}
	if orgRole("") != authz.Anonymous {
		t.Error("an empty role must map to Anonymous")
	}
}

// TestAuditPageServed: /admin/audit is a client page like the others.
func TestAuditPageServed(t *testing.T) {
	e := newTestEnv(t)
	index := string(embedded(t, "index.html"))
	r := do(t, e.client(t), "GET", e.srv.URL+"/admin/audit", "")
	expectStatus(t, r, http.StatusOK)
	if string(r.body) != index {
		t.Fatal("/admin/audit did not serve index.html")
	}
}
