package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-webauthn/webauthn/protocol"

	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/auth/passkeytest"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testclock"
)

const (
	pkRPID   = "meet.example.org"
	pkOrigin = "https://meet.example.org"
)

func newPasskeyEnv(t *testing.T) *mfaEnv {
	t.Helper()
	clock := testclock.New(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	e := newTestEnv(t, func(o *Options) {
		o.Factors = auth.NewFactors(o.Store.(auth.CredentialStore), auth.FactorOptions{
			Required: []store.Role{store.RoleAdmin}, Now: clock.Now,
			Passkeys: auth.PasskeyOptions{PublicURL: pkOrigin}})
	})
	return &mfaEnv{testEnv: e, clock: clock}
}

// addPasskey registers a software passkey for c's session through the API.
func (e *mfaEnv) addPasskey(t *testing.T, c *http.Client, name string) (*passkeytest.Key, passkeyAddedJSON) {
	t.Helper()
	r := do(t, c, "POST", e.srv.URL+"/api/account/passkey-options", "")
	expectStatus(t, r, http.StatusOK)
	var opts protocol.CredentialCreation
	r.json(t, &opts)
	k := passkeytest.New(t, pkRPID, pkOrigin)
	body, _ := json.Marshal(map[string]any{"name": name, "credential": json.RawMessage(k.Create(&opts))})
	r = do(t, c, "POST", e.srv.URL+"/api/account/passkeys", string(body))
	expectStatus(t, r, http.StatusCreated)
	var added passkeyAddedJSON
	r.json(t, &added)
	return k, added
}

func (e *mfaEnv) assertion(t *testing.T, c *http.Client, path string) *protocol.CredentialAssertion {
	t.Helper()
	r := do(t, c, "POST", e.srv.URL+path, "")
	expectStatus(t, r, http.StatusOK)
	var opts protocol.CredentialAssertion
	r.json(t, &opts)
	return &opts
}

func passkeyBody(field string, answer []byte) string {
	b, _ := json.Marshal(map[string]json.RawMessage{field: answer})
	return string(b)
}

// TestPasskeyEnrolmentAndSignIn: an administrator who must enrol sets up
// a passkey instead of an app, then signs in with password + passkey and
// with the passkey alone; the methods are recorded.
func TestPasskeyEnrolmentAndSignIn(t *testing.T) {
	e := newPasskeyEnv(t)
	e.user(t, "admin@example.org", store.RoleAdmin)
	c := e.client(t)
	r := e.login(t, c, "admin@example.org")
	var p pendingResponse
	r.json(t, &p)
	if p.Pending != store.SessionEnrol || !strings.Contains(strings.Join(p.Methods, ","), "passkey") {
		t.Fatalf("pending %+v", p)
	}
	k, added := e.addPasskey(t, c, "Laptop")
	if len(added.RecoveryCodes) != auth.RecoveryCodes || added.Passkey.Name != "Laptop" {
		t.Fatalf("added %+v", added)
	}
	expectStatus(t, do(t, c, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)

	c2 := e.client(t)
	r = e.login(t, c2, "admin@example.org")
	r.json(t, &p)
	if p.Pending != store.SessionSecondFactor || strings.Join(p.Methods, ",") != "totp,passkey" {
		t.Fatalf("pending %+v", p)
	}
	// A session that owes its second factor may not add a passkey.
	expectError(t, do(t, c2, "POST", e.srv.URL+"/api/account/passkey-options", ""), http.StatusUnauthorized, "unauthorized")
	opts := e.assertion(t, c2, "/api/login/second-factor/passkey")
	expectStatus(t, do(t, c2, "POST", e.srv.URL+"/api/login/second-factor", passkeyBody("passkey", k.Get(opts))), http.StatusOK)
	expectStatus(t, do(t, c2, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)

	c3 := e.client(t)
	opts = e.assertion(t, c3, "/api/login/passkey/options")
	expectStatus(t, do(t, c3, "POST", e.srv.URL+"/api/login/passkey", passkeyBody("credential", k.Get(opts))), http.StatusOK)
	var sec securityJSON
	do(t, c3, "GET", e.srv.URL+"/api/account/security", "").json(t, &sec)
	methods := map[string]bool{}
	for _, s := range sec.Sessions {
		methods[s.Method] = true
	}
	if !methods["passkey"] || !methods["password+passkey"] || len(sec.Passkeys) != 1 {
		t.Fatalf("sessions %+v passkeys %+v", sec.Sessions, sec.Passkeys)
	}
}

// TestPasskeyFailuresThrottled: wrong passkey answers count on the login
// throttle and lock the address out; a stale sign count is refused.
func TestPasskeyFailuresThrottled(t *testing.T) {
	e := newPasskeyEnv(t)
	c := e.signedIn(t, "m@example.org")
	e.addPasskey(t, c, "Key")
	stranger := passkeytest.New(t, pkRPID, pkOrigin)
	stranger.UserHandle = []byte("u_nobody")
	locked := false
	for range 30 {
		g := e.client(t)
		r := do(t, g, "POST", e.srv.URL+"/api/login/passkey/options", "")
		if r.StatusCode == http.StatusTooManyRequests {
			locked = true
			break
		}
		var opts protocol.CredentialAssertion
		r.json(t, &opts)
		r = do(t, g, "POST", e.srv.URL+"/api/login/passkey", passkeyBody("credential", stranger.Get(&opts)))
		if r.StatusCode == http.StatusTooManyRequests {
			locked = true
			break
		}
		expectError(t, r, http.StatusUnauthorized, "wrong_passkey")
	}
	if !locked {
		t.Fatal("unknown passkeys never locked the address out")
	}
}

// TestPasskeyRemoval needs a fresh verification: the password, or an
// assertion by one of the account's own passkeys.
func TestPasskeyRemoval(t *testing.T) {
	e := newPasskeyEnv(t)
	c := e.signedIn(t, "m@example.org")
	k, added := e.addPasskey(t, c, "Key")
	url := e.srv.URL + "/api/account/passkeys/" + added.Passkey.ID
	expectError(t, do(t, c, "DELETE", url, `{"password":"wrong password here"}`), http.StatusBadRequest, "wrong_password")
	opts := e.assertion(t, c, "/api/login/second-factor/passkey")
	expectError(t, do(t, c, "DELETE", url, passkeyBody("passkey", passkeytest.New(t, pkRPID, pkOrigin).Get(opts))), http.StatusBadRequest, "wrong_code")
	opts = e.assertion(t, c, "/api/login/second-factor/passkey")
	expectStatus(t, do(t, c, "DELETE", url, passkeyBody("passkey", k.Get(opts))), http.StatusNoContent)
	expectError(t, do(t, c, "DELETE", url, `{"password":"`+password+`"}`), http.StatusNotFound, "not_found")
}
