package web

import (
	"net/http"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testclock"
)

const maxAge = 90 * 24 * time.Hour

// agingEnv is a server with a maximum password age of 90 days whose
// clock (accounts, sessions and factors alike) is the test's.
func agingEnv(t *testing.T, age time.Duration) (*mfaEnv, *testclock.Clock) {
	t.Helper()
	clock := testclock.New(time.Now().UTC())
	e := newTestEnv(t, func(o *Options) {
		o.Accounts = auth.NewAccounts(sqliteOf(o), auth.NewHasher(cheap, 2), clock.Now)
		o.Sessions = auth.NewSessions(sqliteOf(o), auth.SessionOptions{PasswordMaxAge: age, Now: clock.Now, Idle: -1})
		o.Factors = auth.NewFactors(o.Store.(auth.CredentialStore), auth.FactorOptions{
			Required: []store.Role{store.RoleAdmin}, Now: clock.Now})
	})
	return &mfaEnv{testEnv: e, clock: clock}, clock
}

func (e *mfaEnv) changeExpired(t *testing.T, c *http.Client, current, next string) response {
	t.Helper()
	return do(t, c, "POST", e.srv.URL+"/api/login/password-change", `{"current":"`+current+`","new":"`+next+`"}`)
}

// TestExpiredPasswordMustBeChanged: past the maximum age a right password
// leads to a session that can only choose a new password; the new one must
// be acceptable and different, the change ends the account's other
// sessions, is audited, and then the account signs in as usual.
func TestExpiredPasswordMustBeChanged(t *testing.T) {
	e, clock := agingEnv(t, maxAge)
	e.user(t, "ana@example.org", store.RoleMember)
	elsewhere := e.client(t)
	expectStatus(t, e.login(t, elsewhere, "ana@example.org"), http.StatusOK) // fresh: signed in at once
	expectStatus(t, do(t, elsewhere, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)

	clock.Advance(maxAge)
	elsewhere = e.client(t)
	expectStatus(t, e.login(t, elsewhere, "ana@example.org"), http.StatusOK)
	c := e.client(t)
	r := e.login(t, c, "ana@example.org")
	expectStatus(t, r, http.StatusOK)
	var p pendingResponse
	r.json(t, &p)
	if p.Pending != store.SessionPasswordChange || len(p.Methods) != 0 {
		t.Fatalf("login with an expired password answered %s", r.body)
	}
	// The page learns what is owed; nothing else answers.
	expectError(t, do(t, c, "GET", e.srv.URL+"/api/me", ""), http.StatusUnauthorized, "password_expired")
	for _, call := range [][3]string{
		{"GET", "/api/meetings", ""}, {"POST", "/api/meetings", `{"title":"x"}`}, {"GET", "/api/account/security", ""},
		{"POST", "/api/me/password", `{"current":"` + password + `","new":"a brand new passphrase"}`},
		{"POST", "/api/login/second-factor", `{"code":"123456"}`},
	} {
		if r := do(t, c, call[0], e.srv.URL+call[1], call[2]); r.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s owing a new password: %d %s", call[0], call[1], r.StatusCode, r.body)
		}
	}
	// A signed-in session cannot take this step.
	signedIn := e.signedIn(t, "bo@example.org")
	expectError(t, e.changeExpired(t, signedIn, password, "a brand new passphrase"), http.StatusUnauthorized, "unauthorized")

	expectError(t, e.changeExpired(t, c, "not the password", "a brand new passphrase"), http.StatusBadRequest, "wrong_password")
	expectError(t, e.changeExpired(t, c, password, password), http.StatusBadRequest, "bad_request")
	expectError(t, e.changeExpired(t, c, password, "password1234"), http.StatusBadRequest, "bad_request")
	pending := sessionCookie(c, e.srv.URL)
	expectStatus(t, e.changeExpired(t, c, password, "a brand new passphrase"), http.StatusOK)
	if got := sessionCookie(c, e.srv.URL); got == pending || got == "" {
		t.Error("the cookie did not rotate with the new password")
	}
	expectStatus(t, do(t, c, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)
	expectStatus(t, do(t, elsewhere, "GET", e.srv.URL+"/api/me", ""), http.StatusUnauthorized)
	if n := e.auditCount(t, "user.password.change", "success"); n != 1 {
		t.Errorf("%d password changes recorded, want 1", n)
	}
	if n := e.auditCount(t, "user.password.change", "failure"); n != 1 {
		t.Errorf("%d wrong current passwords recorded, want 1", n)
	}
	// The new password is fresh; the old one is gone.
	again := e.client(t)
	r = do(t, again, "POST", e.srv.URL+"/api/login", `{"email":"ana@example.org","password":"a brand new passphrase"}`)
	expectStatus(t, r, http.StatusOK)
	var u userResponse
	r.json(t, &u)
	if u.User.Email != "ana@example.org" {
		t.Fatalf("sign-in with the new password answered %s", r.body)
	}
	expectStatus(t, e.login(t, e.client(t), "ana@example.org"), http.StatusUnauthorized)
}

// TestExpiredPasswordAfterSecondFactor: the second factor comes first; the
// new password is owed after it, and a wrong code gets nowhere near it.
func TestExpiredPasswordAfterSecondFactor(t *testing.T) {
	e, clock := agingEnv(t, maxAge)
	secret, _ := e.memberWithTOTP(t, "ana@example.org")
	clock.Advance(maxAge + time.Hour)
	c := e.client(t)
	var p pendingResponse
	e.login(t, c, "ana@example.org").json(t, &p)
	if p.Pending != store.SessionSecondFactor {
		t.Fatalf("pending %q, want the second factor first", p.Pending)
	}
	expectError(t, e.changeExpired(t, c, password, "a brand new passphrase"), http.StatusUnauthorized, "unauthorized")
	r := do(t, c, "POST", e.srv.URL+"/api/login/second-factor", `{"code":"`+e.nextCode(secret)+`"}`)
	expectStatus(t, r, http.StatusOK)
	r.json(t, &p)
	if p.Pending != store.SessionPasswordChange {
		t.Fatalf("after the second factor: %s", r.body)
	}
	expectError(t, do(t, c, "GET", e.srv.URL+"/api/me", ""), http.StatusUnauthorized, "password_expired")
	expectStatus(t, e.changeExpired(t, c, password, "a brand new passphrase"), http.StatusOK)
	expectStatus(t, do(t, c, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)
}

// TestPasswordsDoNotExpireByDefault: with no maximum age, a password of
// ten years signs in as ever.
func TestPasswordsDoNotExpireByDefault(t *testing.T) {
	e, clock := agingEnv(t, 0)
	e.user(t, "ana@example.org", store.RoleMember)
	clock.Advance(10 * 366 * 24 * time.Hour)
	r := e.login(t, e.client(t), "ana@example.org")
	expectStatus(t, r, http.StatusOK)
	var u userResponse
	r.json(t, &u)
	if u.User.Email != "ana@example.org" {
		t.Fatalf("login answered %s", r.body)
	}
}

// TestSignedInStage: only sign-ins that used an expired password owe a new
// one; passkeys and single sign-on never use it.
func TestSignedInStage(t *testing.T) {
	clock := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	s := auth.NewSessions(openStore(t), auth.SessionOptions{PasswordMaxAge: maxAge, Now: clock.Now})
	old := store.User{PasswordHash: "h", PasswordChangedAt: clock.Now().Add(-maxAge)}
	young := store.User{PasswordHash: "h", PasswordChangedAt: clock.Now().Add(-maxAge + time.Minute)}
	none := store.User{}
	for _, c := range []struct {
		u      store.User
		method string
		want   string
	}{
		{old, auth.MethodPassword, store.SessionPasswordChange},
		{old, auth.MethodPasswordTOTP, store.SessionPasswordChange},
		{old, auth.MethodPasswordPasskey, store.SessionPasswordChange},
		{old, auth.MethodPasskey, store.SessionSignedIn},
		{old, "oidc", store.SessionSignedIn},
		{young, auth.MethodPassword, store.SessionSignedIn},
		{none, auth.MethodPasskey, store.SessionSignedIn},
	} {
		if got := s.SignedInStage(c.u, c.method); got != c.want {
			t.Errorf("%s with a password changed %s ago: %q, want %q", c.method, clock.Now().Sub(c.u.PasswordChangedAt), got, c.want)
		}
	}
}
