package web

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

// login signs email in on a new client and returns the answer.
func (e *testEnv) login(t *testing.T, email string, pw string) (*http.Client, response) {
	t.Helper()
	c := e.client(t)
	return c, do(t, c, "POST", e.srv.URL+"/api/login", `{"email":"`+email+`","password":"`+pw+`"}`)
}

func TestChangePassword(t *testing.T) {
	e := newTestEnv(t)
	current, u := e.signedInAs(t, "a@example.org", store.RoleMember)
	other, r := e.login(t, "a@example.org", password)
	expectStatus(t, r, http.StatusOK)
	url := e.srv.URL + "/api/me/password"
	const next = "an even longer passphrase"

	r = do(t, current, "POST", url, `{"current":"not my password","new":"`+next+`"}`)
	expectError(t, r, http.StatusBadRequest, "wrong_password")
	if v := e.lastEntry(t); v.Action != "user.password.change" || v.Outcome != "failure" || v.Actor != u.ID {
		t.Fatalf("wrong password recorded as %+v", v)
	}
	expectError(t, do(t, current, "POST", url, `{"current":"`+password+`","new":"short"}`), http.StatusBadRequest, "bad_request")
	expectStatus(t, do(t, other, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)

	expectStatus(t, do(t, current, "POST", url, `{"current":"`+password+`","new":"`+next+`"}`), http.StatusNoContent)
	if v := e.lastEntry(t); v.Action != "user.password.change" || v.Outcome != "success" || v.Actor != u.ID || len(v.Details) != 0 {
		t.Fatalf("change recorded as %+v", v)
	}
	expectStatus(t, do(t, current, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)
	expectError(t, do(t, other, "GET", e.srv.URL+"/api/me", ""), http.StatusUnauthorized, "unauthorized")
	_, r = e.login(t, "a@example.org", password)
	expectError(t, r, http.StatusUnauthorized, "unauthorized")
	_, r = e.login(t, "a@example.org", next)
	expectStatus(t, r, http.StatusOK)

	expectError(t, do(t, e.client(t), "POST", url, `{"current":"x","new":"y"}`), http.StatusUnauthorized, "unauthorized")
}

// TestChangePasswordThrottled: guessing the current password through a
// session is held to the login throttle.
func TestChangePasswordThrottled(t *testing.T) {
	e := newTestEnv(t)
	c, _ := e.signedInAs(t, "a@example.org", store.RoleMember)
	url := e.srv.URL + "/api/me/password"
	for i := 0; ; i++ {
		r := do(t, c, "POST", url, `{"current":"guess guess guess","new":"an even longer passphrase"}`)
		if r.StatusCode == http.StatusTooManyRequests {
			break
		}
		expectError(t, r, http.StatusBadRequest, "wrong_password")
		if i > 50 {
			t.Fatal("never throttled")
		}
	}
	// Locked now even for the right password, as on the login page.
	r := do(t, c, "POST", url, `{"current":"`+password+`","new":"an even longer passphrase"}`)
	expectError(t, r, http.StatusTooManyRequests, "too_many_attempts")
}

func TestDisableEnableAndRole(t *testing.T) {
	live := &fakeLive{}
	e := newTestEnv(t, func(o *Options) { o.Live = live })
	admin, a := e.signedInAs(t, "admin@example.org", store.RoleAdmin)
	member, m := e.signedInAs(t, "m@example.org", store.RoleMember)
	base := e.srv.URL + "/api/users/"

	var list struct{ Users []accountJSON }
	r := do(t, admin, "GET", e.srv.URL+"/api/users", "")
	expectStatus(t, r, http.StatusOK)
	r.json(t, &list)
	if len(list.Users) != 2 || list.Users[1].Email != "m@example.org" || list.Users[1].Disabled {
		t.Fatalf("list %+v", list.Users)
	}

	expectStatus(t, do(t, admin, "POST", base+m.ID+"/disable", ""), http.StatusOK)
	if v := e.lastEntry(t); v.Action != "user.disable" || v.Actor != a.ID || v.Target != m.ID || v.Outcome != "success" {
		t.Fatalf("disable recorded as %+v", v)
	}
	expectError(t, do(t, member, "GET", e.srv.URL+"/api/me", ""), http.StatusUnauthorized, "unauthorized")
	// Open meeting connections end too, not only the sessions.
	if !slices.Equal(live.disconnected, []string{m.ID}) {
		t.Fatalf("disconnected from live meetings: %v, want %s", live.disconnected, m.ID)
	}
	_, r = e.login(t, "m@example.org", password)
	expectError(t, r, http.StatusForbidden, "account_disabled")
	_, r = e.login(t, "m@example.org", "a wrong password")
	expectError(t, r, http.StatusUnauthorized, "unauthorized")

	expectStatus(t, do(t, admin, "POST", base+m.ID+"/enable", ""), http.StatusOK)
	if v := e.lastEntry(t); v.Action != "user.enable" || v.Target != m.ID {
		t.Fatalf("enable recorded as %+v", v)
	}
	member, r = e.login(t, "m@example.org", password)
	expectStatus(t, r, http.StatusOK)

	r = do(t, admin, "POST", base+m.ID+"/role", `{"role":"privacy_officer"}`)
	expectStatus(t, r, http.StatusOK)
	if v := e.lastEntry(t); v.Action != "user.role.change" || v.Details["role"] != "privacy_officer" || v.Details["from"] != "member" {
		t.Fatalf("role change recorded as %+v", v)
	}
	expectError(t, do(t, member, "GET", e.srv.URL+"/api/me", ""), http.StatusUnauthorized, "unauthorized")
	expectError(t, do(t, admin, "POST", base+m.ID+"/role", `{"role":"root"}`), http.StatusBadRequest, "bad_request")
	expectError(t, do(t, admin, "POST", base+"nobody/disable", ""), http.StatusNotFound, "not_found")

	// The last enabled admin can neither disable nor demote themselves.
	expectError(t, do(t, admin, "POST", base+a.ID+"/disable", ""), http.StatusConflict, "conflict")
	expectError(t, do(t, admin, "POST", base+a.ID+"/role", `{"role":"member"}`), http.StatusConflict, "conflict")
	expectStatus(t, do(t, admin, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)
}

// TestMemberCannotManageAccounts: every account action, tried by the role
// that must be refused, answers 403 and changes nothing.
func TestMemberCannotManageAccounts(t *testing.T) {
	e := newTestEnv(t)
	_, a := e.signedInAs(t, "admin@example.org", store.RoleAdmin)
	adminAgain, _ := e.login(t, "admin@example.org", password)
	member, _ := e.signedInAs(t, "m@example.org", store.RoleMember)
	dpo, _ := e.signedInAs(t, "dpo@example.org", store.RolePrivacyOfficer)
	base := e.srv.URL + "/api/users/"
	for _, c := range []*http.Client{member, dpo} {
		expectError(t, do(t, c, "GET", e.srv.URL+"/api/users", ""), http.StatusForbidden, "forbidden")
		expectError(t, do(t, c, "POST", base+a.ID+"/disable", ""), http.StatusForbidden, "forbidden")
		expectError(t, do(t, c, "POST", base+a.ID+"/enable", ""), http.StatusForbidden, "forbidden")
		expectError(t, do(t, c, "POST", base+a.ID+"/role", `{"role":"member"}`), http.StatusForbidden, "forbidden")
	}
	if v := e.lastEntry(t); v.Outcome != "denied" {
		t.Fatalf("refusal recorded as %+v", v)
	}
	// The password endpoint has no target: a member who sends the
	// admin's password (all test accounts share one) changes only their own.
	expectStatus(t, do(t, member, "POST", e.srv.URL+"/api/me/password", `{"current":"`+password+`","new":"taken over admin!!"}`),
		http.StatusNoContent)
	expectStatus(t, do(t, adminAgain, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)
	_, r := e.login(t, "admin@example.org", password)
	expectStatus(t, r, http.StatusOK)
	if u, err := e.store.UserByID(context.Background(), a.ID); err != nil || u.Role != store.RoleAdmin || u.Disabled {
		t.Fatalf("admin changed by refused requests: %+v %v", u, err)
	}
}
