package sso_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/sso"
	"github.com/conclave-meet/conclave/internal/store"
)

const maxPassword = "a long passphrase nobody would guess 7"

// TestLinkPasswordAccount: a person signed in with their password links
// their identity from the account page; afterwards the provider without
// just-in-time creation signs them in to that account. The same identity
// cannot be linked to a second account.
func TestLinkPasswordAccount(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, err := e.accounts.CreateUser(ctx, auth.NewUser{Email: "max.m@example.org", Name: "Max", Password: maxPassword, Role: store.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	b := browser(t)
	passwordSignIn(t, e, b, "max.m@example.org")
	cb := e.authorizeAt(t, b, e.base+"/auth/oidc/strict/login?link=1", maxu)
	if got := finish(t, b, cb); got != "/account" {
		t.Fatalf("linking sent the browser to %q", got)
	}
	if v := e.lastEntry(t, audit.UserIdentityLink); v.Actor != u.ID || v.Details["provider"] != "strict" {
		t.Errorf("link entry %+v", v)
	}
	var linked struct {
		Identities []sso.LinkedIdentity `json:"identities"`
		Providers  []sso.ProviderInfo   `json:"providers"`
	}
	getJSON(t, b, e.base+"/api/me/identities", &linked)
	if len(linked.Identities) != 1 || linked.Identities[0].Provider != "strict" || linked.Identities[0].Email != maxu.Email || len(linked.Providers) != 3 {
		t.Errorf("identities %+v", linked)
	}
	fresh := browser(t)
	if got := e.signIn(t, fresh, "strict", maxu); got != "/" {
		t.Fatalf("sign-in after linking sent to %q", got)
	}
	if m, _ := e.me(t, fresh); m.User.ID != u.ID {
		t.Fatalf("signed in as %q, want the linked account %q", m.User.ID, u.ID)
	}

	other, err := e.accounts.CreateUser(ctx, auth.NewUser{Email: "zoe@example.org", Name: "Zoe", Password: maxPassword, Role: store.RoleMember})
	if err != nil {
		t.Fatal(err)
	}
	zoe := browser(t)
	passwordSignIn(t, e, zoe, "zoe@example.org")
	if got := finish(t, zoe, e.authorizeAt(t, zoe, e.base+"/auth/oidc/strict/login?link=1", maxu)); got != "/login?sso_error=identity_linked" {
		t.Errorf("linking a taken identity sent to %q", got)
	}
	if v := e.lastEntry(t, audit.UserIdentityLink); v.Actor != other.ID || v.Outcome != "denied" || v.Details["reason"] != "identity_linked" {
		t.Errorf("refused link entry %+v", v)
	}
}

func getJSON(t *testing.T, b *http.Client, u string, v any) {
	t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// TestProvidersListed: the sign-in page's list, public, in configuration
// order with the display names.
func TestProvidersListed(t *testing.T) {
	e := newEnv(t)
	var r struct {
		Providers []sso.ProviderInfo `json:"providers"`
	}
	getJSON(t, browser(t), e.base+"/api/auth/providers", &r)
	if len(r.Providers) != 3 || r.Providers[0] != (sso.ProviderInfo{Name: "corp", Label: "Corp SSO"}) || r.Providers[1].Label != "strict" {
		t.Errorf("providers %+v", r.Providers)
	}
}

func passwordSignIn(t *testing.T, e *env, b *http.Client, email string) {
	t.Helper()
	resp, err := b.Post(e.base+"/api/login", "application/json",
		strings.NewReader(`{"email":"`+email+`","password":"`+maxPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("password sign-in: status %d", resp.StatusCode)
	}
}

// TestDisabledAccountRefused: the provider's answer checks out, but the
// linked account is disabled.
func TestDisabledAccountRefused(t *testing.T) {
	e := newEnv(t)
	e.signIn(t, browser(t), "corp", maxu)
	ctx := context.Background()
	u, err := e.store.UserByEmail(ctx, maxu.Email)
	if err != nil {
		t.Fatal(err)
	}
	// A second admin, so that the account may be disabled.
	e.signIn(t, browser(t), "corp", alice)
	if err := e.store.SetAccess(ctx, u.ID, u.Role, true, u.CreatedAt); err != nil {
		t.Fatal(err)
	}
	b := browser(t)
	e.refusedWith(t, b, e.signIn(t, b, "corp", maxu), "disabled")
	if v := e.lastEntry(t, audit.AuthLoginFailure); v.Target != u.ID || v.Outcome != "denied" {
		t.Errorf("entry %+v", v)
	}
}

// TestThrottled: failed callbacks count against the client address like
// failed passwords; once locked out, sign-in is refused before anything
// else and the lock-out is audited.
func TestThrottled(t *testing.T) {
	e := newEnv(t)
	b := browser(t)
	cb, _ := url.Parse(e.base + "/auth/oidc/corp/callback?state=forged&code=forged")
	for range 20 {
		finish(t, b, cb)
	}
	if got := finish(t, b, cb); got != "/login?sso_error=throttled" {
		t.Errorf("after 20 failures: %q", got)
	}
	if v := e.lastEntry(t, audit.AuthLockout); v.Details["scope"] != "ip" {
		t.Errorf("lock-out entry %+v", v)
	}
	if _, err := e.op.AuthorizeVia(b, e.base+"/auth/oidc/corp/login"); err == nil {
		t.Error("a locked-out address may start a sign-in")
	}
}

// fakeFactors says every account has an authenticator.
type fakeFactors struct{}

func (fakeFactors) Status(context.Context, store.User) (auth.FactorStatus, error) {
	return auth.FactorStatus{TOTP: true}, nil
}

// TestSecondFactorStillOwed: an account with its own second factor owes
// it after a sign-in whose provider showed no MFA (the session is
// pending, not signed in); a provider that showed MFA has done it.
func TestSecondFactorStillOwed(t *testing.T) {
	e := newEnv(t, func(o *sso.Options) { o.Factors = fakeFactors{} })
	b := browser(t)
	if got := e.signIn(t, b, "corp", maxu); got != "/login?pending=second_factor" {
		t.Errorf("sign-in without provider MFA sent to %q, want the second factor step", got)
	}
	if m, ok := e.me(t, b); ok {
		t.Errorf("signed in as %+v before the second factor", m.User)
	}
	if v := e.lastEntry(t, audit.AuthLoginSuccess); v.Details["stage"] != store.SessionSecondFactor {
		t.Errorf("entry %+v, want stage second_factor", v)
	}
	b = browser(t)
	if got := e.signIn(t, b, "mfa", otto); got != "/" {
		t.Errorf("sign-in with provider MFA sent to %q", got)
	}
	if _, ok := e.me(t, b); !ok {
		t.Error("provider MFA did not sign in")
	}
	if v := e.lastEntry(t, audit.AuthLoginSuccess); v.Details["mfa"] != "provider" || v.Details["stage"] != "" {
		t.Errorf("entry %+v", v)
	}
}
