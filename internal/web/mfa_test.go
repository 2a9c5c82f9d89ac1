package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testclock"
	"github.com/conclave-meet/conclave/internal/totp"
)

// mfaEnv is a server whose administrators must have a second factor (the
// default), with the factors' clock in the test's hand.
type mfaEnv struct {
	*testEnv
	clock *testclock.Clock
}

func newMFAEnv(t *testing.T) *mfaEnv {
	t.Helper()
	clock := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	e := newTestEnv(t, func(o *Options) {
		o.Factors = auth.NewFactors(o.Store.(auth.CredentialStore), auth.FactorOptions{
			Required: []store.Role{store.RoleAdmin, store.RolePrivacyOfficer}, Now: clock.Now})
	})
	return &mfaEnv{testEnv: e, clock: clock}
}

// nextCode is the authenticator's code one step later than the last
// (each code is accepted once).
func (e *mfaEnv) nextCode(secret []byte) string {
	e.clock.Advance(totp.Period)
	return totp.Code(secret, e.clock.Now())
}

func (e *mfaEnv) login(t *testing.T, c *http.Client, email string) response {
	t.Helper()
	return do(t, c, "POST", e.srv.URL+"/api/login", `{"email":"`+email+`","password":"`+password+`"}`)
}

// enrolTOTP enrols an authenticator through the API for c's session and
// returns its secret and recovery codes.
func (e *mfaEnv) enrolTOTP(t *testing.T, c *http.Client) ([]byte, []string) {
	t.Helper()
	r := do(t, c, "POST", e.srv.URL+"/api/account/totp", "")
	expectStatus(t, r, http.StatusOK)
	var en enrolmentJSON
	r.json(t, &en)
	if !strings.HasPrefix(en.QR, "data:image/png;base64,") || !strings.HasPrefix(en.URI, "otpauth://totp/") {
		t.Fatalf("enrolment %+v", en)
	}
	secret, err := totp.Decode(en.Secret)
	if err != nil {
		t.Fatal(err)
	}
	r = do(t, c, "POST", e.srv.URL+"/api/account/totp/confirm", `{"code":"`+e.nextCode(secret)+`"}`)
	expectStatus(t, r, http.StatusOK)
	var rc recoveryCodesJSON
	r.json(t, &rc)
	if len(rc.RecoveryCodes) != auth.RecoveryCodes {
		t.Fatalf("recovery codes %v", rc.RecoveryCodes)
	}
	return secret, rc.RecoveryCodes
}

// memberWithTOTP is a member who enrolled an authenticator, signed out.
func (e *mfaEnv) memberWithTOTP(t *testing.T, email string) ([]byte, []string) {
	t.Helper()
	c := e.signedIn(t, email)
	secret, codes := e.enrolTOTP(t, c)
	expectStatus(t, do(t, c, "POST", e.srv.URL+"/api/logout", ""), http.StatusNoContent)
	return secret, codes
}

func sessionCookie(c *http.Client, url string) string {
	req, _ := http.NewRequest("GET", url, nil)
	for _, ck := range c.Jar.Cookies(req.URL) {
		if ck.Name == auth.CookieName {
			return ck.Value
		}
	}
	return ""
}

// TestPendingSessionCannotSkipTheSecondFactor: after the password, every
// API but the second factor and sign-out refuses the session.
func TestPendingSessionCannotSkipTheSecondFactor(t *testing.T) {
	e := newMFAEnv(t)
	secret, _ := e.memberWithTOTP(t, "ana@example.org")
	c := e.client(t)
	r := e.login(t, c, "ana@example.org")
	expectStatus(t, r, http.StatusOK)
	var p pendingResponse
	r.json(t, &p)
	if p.Pending != store.SessionSecondFactor || strings.Contains(string(r.body), "ana@") {
		t.Fatalf("login answered %s", r.body)
	}
	pending := sessionCookie(c, e.srv.URL)
	for _, call := range [][3]string{
		{"GET", "/api/me", ""}, {"GET", "/api/meetings", ""}, {"POST", "/api/meetings", `{"title":"x"}`},
		{"GET", "/api/account/security", ""}, {"POST", "/api/account/totp", ""},
		{"POST", "/api/account/totp/confirm", `{"code":"123456"}`}, {"DELETE", "/api/account/totp", `{"code":"123456"}`},
		{"POST", "/api/account/recovery-codes", `{"code":"123456"}`}, {"POST", "/api/me/password", `{"current":"x","new":"y"}`},
		{"DELETE", "/api/account/sessions", ""}, {"GET", "/api/users", ""}, {"GET", "/api/audit", ""},
	} {
		r := do(t, c, call[0], e.srv.URL+call[1], call[2])
		if r.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s with a pending session: %d %s", call[0], call[1], r.StatusCode, r.body)
		}
	}
	r = do(t, c, "POST", e.srv.URL+"/api/login/second-factor", `{"code":"`+e.nextCode(secret)+`"}`)
	expectStatus(t, r, http.StatusOK)
	if got := sessionCookie(c, e.srv.URL); got == pending || got == "" {
		t.Error("the cookie did not rotate at the second factor")
	}
	expectStatus(t, do(t, c, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)
	// The pending cookie is dead: replaying it gets nowhere.
	old := e.client(t)
	old.Jar.SetCookies(r.Request.URL, []*http.Cookie{{Name: auth.CookieName, Value: pending, Path: "/"}})
	expectStatus(t, do(t, old, "POST", e.srv.URL+"/api/login/second-factor", `{"code":"000000"}`), http.StatusUnauthorized)
	if e.auditCount(t, "auth.second_factor", "success") != 1 {
		t.Error("the second factor was not recorded")
	}
}

// TestReplayedTOTPCodeRefused: a code that signed in once does not again.
func TestReplayedTOTPCodeRefused(t *testing.T) {
	e := newMFAEnv(t)
	secret, _ := e.memberWithTOTP(t, "ana@example.org")
	code := e.nextCode(secret)
	c := e.client(t)
	expectStatus(t, e.login(t, c, "ana@example.org"), http.StatusOK)
	expectStatus(t, do(t, c, "POST", e.srv.URL+"/api/login/second-factor", `{"code":"`+code+`"}`), http.StatusOK)
	thief := e.client(t)
	expectStatus(t, e.login(t, thief, "ana@example.org"), http.StatusOK)
	expectError(t, do(t, thief, "POST", e.srv.URL+"/api/login/second-factor", `{"code":"`+code+`"}`), http.StatusUnauthorized, "wrong_code")
	expectStatus(t, do(t, thief, "GET", e.srv.URL+"/api/me", ""), http.StatusUnauthorized)
	if e.auditCount(t, "auth.second_factor", "failure") != 1 {
		t.Error("the replay was not recorded")
	}
}

// TestRecoveryCodeWorksOnce: a recovery code signs in once, then never.
func TestRecoveryCodeWorksOnce(t *testing.T) {
	e := newMFAEnv(t)
	_, codes := e.memberWithTOTP(t, "ana@example.org")
	body := `{"recovery_code":"` + codes[3] + `"}`
	c := e.client(t)
	expectStatus(t, e.login(t, c, "ana@example.org"), http.StatusOK)
	expectStatus(t, do(t, c, "POST", e.srv.URL+"/api/login/second-factor", body), http.StatusOK)
	again := e.client(t)
	expectStatus(t, e.login(t, again, "ana@example.org"), http.StatusOK)
	expectError(t, do(t, again, "POST", e.srv.URL+"/api/login/second-factor", body), http.StatusUnauthorized, "wrong_code")
	r := do(t, c, "GET", e.srv.URL+"/api/account/security", "")
	expectStatus(t, r, http.StatusOK)
	var sec securityJSON
	r.json(t, &sec)
	if sec.Factors.RecoveryLeft != auth.RecoveryCodes-1 {
		t.Errorf("recovery codes left: %d", sec.Factors.RecoveryLeft)
	}
}

// TestSecondFactorThrottled: wrong codes lock the account out like wrong
// passwords; a right code is then refused too.
func TestSecondFactorThrottled(t *testing.T) {
	e := newMFAEnv(t)
	secret, _ := e.memberWithTOTP(t, "ana@example.org")
	c := e.client(t)
	expectStatus(t, e.login(t, c, "ana@example.org"), http.StatusOK)
	locked := false
	for i := 0; i < 30 && !locked; i++ {
		r := do(t, c, "POST", e.srv.URL+"/api/login/second-factor", `{"code":"`+fmt.Sprintf("%06d", i)+`"}`)
		locked = r.StatusCode == http.StatusTooManyRequests
	}
	if !locked {
		t.Fatal("wrong codes never locked out")
	}
	expectStatus(t, do(t, c, "POST", e.srv.URL+"/api/login/second-factor", `{"code":"`+e.nextCode(secret)+`"}`), http.StatusTooManyRequests)
	if e.auditCount(t, "auth.lockout", "denied") == 0 {
		t.Error("the lock-out was not recorded")
	}
}

// TestAdminWalkedThroughEnrolment: an administrator without a second
// factor may only enrol one, and is signed in once it is confirmed.
func TestAdminWalkedThroughEnrolment(t *testing.T) {
	e := newMFAEnv(t)
	e.user(t, "root@example.org", store.RoleAdmin)
	c := e.client(t)
	r := e.login(t, c, "root@example.org")
	expectStatus(t, r, http.StatusOK)
	var p pendingResponse
	r.json(t, &p)
	if p.Pending != store.SessionEnrol {
		t.Fatalf("login answered %s", r.body)
	}
	expectStatus(t, do(t, c, "GET", e.srv.URL+"/api/users", ""), http.StatusUnauthorized)
	expectStatus(t, do(t, c, "GET", e.srv.URL+"/api/me", ""), http.StatusUnauthorized)
	before := sessionCookie(c, e.srv.URL)
	e.enrolTOTP(t, c)
	if sessionCookie(c, e.srv.URL) == before {
		t.Error("the cookie did not rotate at enrolment")
	}
	expectStatus(t, do(t, c, "GET", e.srv.URL+"/api/users", ""), http.StatusOK)
	// A required factor cannot be removed.
	expectStatus(t, do(t, c, "DELETE", e.srv.URL+"/api/account/totp", `{"code":"000000"}`), http.StatusConflict)
}

// TestSetupWalksTheFirstAdminThroughEnrolment.
func TestSetupWalksTheFirstAdminThroughEnrolment(t *testing.T) {
	e := newMFAEnv(t)
	token, _, err := e.opts.Setup.EnsureSetupToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := e.client(t)
	r := do(t, c, "POST", e.srv.URL+"/api/setup",
		`{"token":"`+token+`","email":"first@example.org","name":"First","password":"`+password+`"}`)
	expectStatus(t, r, http.StatusCreated)
	var p pendingResponse
	r.json(t, &p)
	if p.Pending != store.SessionEnrol {
		t.Fatalf("setup answered %s", r.body)
	}
	expectStatus(t, do(t, c, "GET", e.srv.URL+"/api/me", ""), http.StatusUnauthorized)
	e.enrolTOTP(t, c)
	expectStatus(t, do(t, c, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)
}

// TestWeakPasswordsRefusedAtSetup: the two examples.
func TestWeakPasswordsRefusedAtSetup(t *testing.T) {
	e := newMFAEnv(t)
	token, _, err := e.opts.Setup.EnsureSetupToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"aaaaaaaaaaaa", "password1234"} {
		r := do(t, e.client(t), "POST", e.srv.URL+"/api/setup",
			`{"token":"`+token+`","email":"first@example.org","name":"First","password":"`+pw+`"}`)
		expectError(t, r, http.StatusBadRequest, "bad_request")
		if !strings.Contains(string(r.body), "guess") && !strings.Contains(string(r.body), "common") {
			t.Errorf("%s refused with %s", pw, r.body)
		}
	}
}

// TestMFAResetAndSessionsAreAdminOnly: members cannot reset factors or
// end others' sessions; an administrator can, and the person is told.
func TestMFAResetAndSessionsAreAdminOnly(t *testing.T) {
	e := newMFAEnv(t)
	_, _ = e.memberWithTOTP(t, "ana@example.org")
	ana, err := e.store.UserByEmail(context.Background(), "ana@example.org")
	if err != nil {
		t.Fatal(err)
	}
	bob := e.signedIn(t, "bob@example.org")
	for _, path := range []string{"/mfa-reset", "/sessions/revoke"} {
		expectError(t, do(t, bob, "POST", e.srv.URL+"/api/users/"+ana.ID+path, ""), http.StatusForbidden, "forbidden")
	}
	e.user(t, "root@example.org", store.RoleAdmin)
	admin := e.client(t)
	expectStatus(t, e.login(t, admin, "root@example.org"), http.StatusOK)
	e.enrolTOTP(t, admin)
	r := do(t, admin, "POST", e.srv.URL+"/api/users/"+ana.ID+"/mfa-reset", "")
	expectStatus(t, r, http.StatusOK)
	if e.auditCount(t, "auth.factor.reset", "success") != 1 {
		t.Error("the reset was not recorded")
	}
	// Ana signs in with her password alone (members need no factor), and
	// is told once.
	c := e.client(t)
	r = e.login(t, c, "ana@example.org")
	expectStatus(t, r, http.StatusOK)
	var sec securityJSON
	r = do(t, c, "GET", e.srv.URL+"/api/account/security", "")
	expectStatus(t, r, http.StatusOK)
	r.json(t, &sec)
	if sec.MFAResetAt.IsZero() || sec.Factors.TOTP {
		t.Errorf("after reset: %s", r.body)
	}
	sec = securityJSON{}
	do(t, c, "GET", e.srv.URL+"/api/account/security", "").json(t, &sec)
	if !sec.MFAResetAt.IsZero() {
		t.Error("the reset notice was shown twice")
	}
	// The users list marks an administrator without a factor.
	e.user(t, "bare@example.org", store.RoleAdmin)
	var list struct {
		Users []accountJSON `json:"users"`
	}
	do(t, admin, "GET", e.srv.URL+"/api/users", "").json(t, &list)
	i := slices.IndexFunc(list.Users, func(a accountJSON) bool { return a.Email == "bare@example.org" })
	if i < 0 || !list.Users[i].LacksFactor || list.Users[slices.IndexFunc(list.Users, func(a accountJSON) bool { return a.Email == "root@example.org" })].LacksFactor {
		t.Errorf("users list: %+v", list.Users)
	}
}

// TestSessionsListedAndRevoked: a person sees their sessions and ends one.
func TestSessionsListedAndRevoked(t *testing.T) {
	e := newMFAEnv(t)
	c1 := e.signedIn(t, "ana@example.org")
	c2 := e.client(t)
	expectStatus(t, do(t, c2, "POST", e.srv.URL+"/api/login", `{"email":"ana@example.org","password":"`+password+`"}`,
		"User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"), http.StatusOK)
	var sec securityJSON
	do(t, c1, "GET", e.srv.URL+"/api/account/security", "").json(t, &sec)
	if len(sec.Sessions) != 2 {
		t.Fatalf("sessions %+v", sec.Sessions)
	}
	var other sessionJSON
	for _, s := range sec.Sessions {
		if !s.Current {
			other = s
		}
	}
	if other.Device != "Firefox on Linux" || other.Method != auth.MethodPassword {
		t.Errorf("other session %+v", other)
	}
	expectStatus(t, do(t, c1, "DELETE", e.srv.URL+"/api/account/sessions/"+other.ID, ""), http.StatusNoContent)
	expectStatus(t, do(t, c2, "GET", e.srv.URL+"/api/me", ""), http.StatusUnauthorized)
	expectStatus(t, do(t, c1, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)
	expectStatus(t, do(t, c1, "DELETE", e.srv.URL+"/api/account/sessions/"+other.ID, ""), http.StatusNotFound)
}
