package sso_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/sso/ssotest"
	"github.com/conclave-meet/conclave/internal/store"
)

// TestCodeFlowThroughRealProvider: the authorisation request carries
// state, nonce and an S256 PKCE challenge; signing in at the provider
// creates the account just in time with the role its groups map to,
// audits both, and a second sign-in finds the same account through the
// linked identity.
func TestCodeFlowThroughRealProvider(t *testing.T) {
	e := newEnv(t)
	b := browser(t)
	to, err := e.op.AuthorizeVia(b, e.base+"/auth/oidc/corp/login")
	if err != nil {
		t.Fatal(err)
	}
	q := to.Query()
	for _, k := range []string{"state", "nonce", "code_challenge"} {
		if len(q.Get(k)) < 43 {
			t.Errorf("authorisation request: %s %q is missing or short", k, q.Get(k))
		}
	}
	if q.Get("code_challenge_method") != "S256" || q.Get("client_id") != "conclave-corp" || !strings.Contains(q.Get("scope"), "groups") {
		t.Errorf("authorisation request: %v", q)
	}
	cb, err := e.op.Authorize(b, to.String(), alice.Username, alice.Password)
	if err != nil {
		t.Fatal(err)
	}
	if got := finish(t, b, cb); got != "/" {
		t.Fatalf("signed in to %q, want /", got)
	}
	m, ok := e.me(t, b)
	if !ok || m.User.Email != alice.Email || m.User.Name != "Alice Doe" || m.User.Role != "admin" {
		t.Fatalf("signed in as %+v (%v), want Alice, admin", m.User, ok)
	}
	if v := e.lastEntry(t, audit.AuthLoginSuccess); v.Actor != m.User.ID || v.Details["method"] != "oidc" || v.Details["provider"] != "corp" {
		t.Errorf("login entry %+v", v)
	}
	if v := e.lastEntry(t, audit.UserCreate); v.Target != m.User.ID || v.Details["role"] != "admin" || v.Details["method"] != "oidc" {
		t.Errorf("user.create entry %+v", v)
	}

	again := browser(t)
	e.signIn(t, again, "corp", alice)
	if m2, _ := e.me(t, again); m2.User.ID != m.User.ID {
		t.Fatalf("second sign-in reached %q, want the same account %q", m2.User.ID, m.User.ID)
	}
	if n, _ := e.store.CountUsers(context.Background()); n != 1 {
		t.Errorf("%d accounts after two sign-ins, want 1", n)
	}
	creds, err := e.store.Credentials(context.Background(), m.User.ID)
	if err != nil || len(creds) != 1 || creds[0].Kind != store.CredentialOIDC || creds[0].Name != "corp" || creds[0].LastUsedAt.IsZero() {
		t.Errorf("credentials %+v, %v: want one used oidc identity", creds, err)
	}
	if v := e.lastEntry(t, audit.AuthLoginSuccess); v.Seq == 0 || v.Actor != m.User.ID {
		t.Errorf("second login entry %+v", v)
	}
}

// TestRoleMapping: groups map to the strongest configured role; no
// mapped group is member; the mapping follows the provider at each
// sign-in.
func TestRoleMapping(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		u    ssotest.User
		role string
	}{{alice, "admin"}, {dora, "privacy_officer"}, {maxu, "member"}} {
		b := browser(t)
		e.signIn(t, b, "corp", c.u)
		if m, _ := e.me(t, b); m.User.Role != c.role {
			t.Errorf("%s: role %q, want %q", c.u.Username, m.User.Role, c.role)
		}
	}
	// Dora's account made an admin in Conclave goes back to what the
	// provider says at her next sign-in.
	ctx := context.Background()
	u, err := e.store.UserByEmail(ctx, dora.Email)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.SetAccess(ctx, u.ID, store.RoleAdmin, false, u.CreatedAt); err != nil {
		t.Fatal(err)
	}
	b := browser(t)
	e.signIn(t, b, "corp", dora)
	if m, _ := e.me(t, b); m.User.Role != "privacy_officer" {
		t.Errorf("role %q after sign-in, want privacy_officer from the provider", m.User.Role)
	}
	if v := e.lastEntry(t, audit.UserRoleChange); v.Target != u.ID || v.Details["from"] != "admin" || v.Details["role"] != "privacy_officer" {
		t.Errorf("role change entry %+v", v)
	}
}

// refusedWith asserts that the callback was refused for reason: the
// browser goes to the sign-in page with it, has no session, and the
// refusal is audited.
func (e *env) refusedWith(t *testing.T, b *http.Client, got, reason string) {
	t.Helper()
	if got != "/login?sso_error="+reason {
		t.Errorf("sent to %q, want the sign-in page with %s", got, reason)
	}
	if m, ok := e.me(t, b); ok {
		t.Errorf("signed in as %+v after a refused sign-in", m.User)
	}
	if v := e.lastEntry(t, audit.AuthLoginFailure); v.Details["reason"] != reason || v.Details["method"] != "oidc" {
		t.Errorf("failure entry %+v, want reason %s", v, reason)
	}
}

// TestStateMismatchRefused: a callback whose state this server did not
// issue, issued to another browser (login CSRF), or already used.
func TestStateMismatchRefused(t *testing.T) {
	e := newEnv(t)
	t.Run("forged state", func(t *testing.T) {
		b := browser(t)
		cb := e.authorize(t, b, "corp", alice)
		q := cb.Query()
		q.Set("state", strings.Repeat("A", 43))
		cb.RawQuery = q.Encode()
		e.refusedWith(t, b, finish(t, b, cb), "state")
	})
	t.Run("another browser's state", func(t *testing.T) {
		attacker, victim := browser(t), browser(t)
		cb := e.authorize(t, attacker, "corp", maxu)
		// The victim has a binding cookie of their own, from a sign-in
		// they started themselves.
		if _, err := e.op.AuthorizeVia(victim, e.base+"/auth/oidc/corp/login"); err != nil {
			t.Fatal(err)
		}
		e.refusedWith(t, victim, finish(t, victim, cb), "state")
	})
	t.Run("state used twice", func(t *testing.T) {
		b := browser(t)
		cb := e.authorize(t, b, "corp", alice)
		if got := finish(t, b, cb); got != "/" {
			t.Fatalf("first use: %q", got)
		}
		fresh := browser(t)
		for _, c := range b.Jar.Cookies(cb) {
			fresh.Jar.SetCookies(cb, []*http.Cookie{c})
		}
		e.refusedWith(t, fresh, finish(t, fresh, cb), "state")
	})
	t.Run("state of another provider", func(t *testing.T) {
		b := browser(t)
		cb := e.authorize(t, b, "corp", alice)
		cb.Path = strings.Replace(cb.Path, "/corp/", "/mfa/", 1)
		e.refusedWith(t, b, finish(t, b, cb), "state")
	})
}

// TestNonceMismatchRefused: a real ID token of this provider and client,
// but from another sign-in, handed to the callback in place of the one
// the code was exchanged for (token injection).
func TestNonceMismatchRefused(t *testing.T) {
	e := newEnv(t)
	stolen := browser(t)
	e.signIn(t, stolen, "corp", maxu)
	e.tamper.swapNext(e.tamper.lastIDToken())
	b := browser(t)
	e.refusedWith(t, b, e.signIn(t, b, "corp", alice), "nonce")
}

// TestForeignAudienceRefused: an ID token the same provider issued to
// another application (client "other") is refused, although its
// signature, issuer and expiry are good.
func TestForeignAudienceRefused(t *testing.T) {
	e := newEnv(t)
	other := e.otherClientToken(t, alice)
	e.tamper.swapNext(other)
	b := browser(t)
	e.refusedWith(t, b, e.signIn(t, b, "corp", alice), "id_token")
}

// otherClientToken signs u in to the application "other" and returns the
// ID token it gets.
func (e *env) otherClientToken(t *testing.T, u ssotest.User) string {
	t.Helper()
	cfg := oauth2.Config{ClientID: "other", ClientSecret: secret, RedirectURL: "http://127.0.0.1:1/other/callback",
		Endpoint: oauth2.Endpoint{AuthURL: e.op.Issuer + "/auth", TokenURL: e.op.Issuer + "/oauth/token"},
		Scopes:   []string{"openid", "email"}}
	verifier := oauth2.GenerateVerifier()
	start := cfg.AuthCodeURL("other-state", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "other-nonce"))
	cb, err := e.op.Authorize(browser(t), start, u.Username, u.Password)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cfg.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		t.Fatal("no ID token for the other client")
	}
	return raw
}

// TestUnknownIdentityWithoutJIT: a provider without just-in-time
// creation refuses an identity no account has, and creates nothing.
func TestUnknownIdentityWithoutJIT(t *testing.T) {
	e := newEnv(t)
	b := browser(t)
	e.refusedWith(t, b, e.signIn(t, b, "strict", alice), "no_account")
	if n, _ := e.store.CountUsers(context.Background()); n != 0 {
		t.Errorf("%d accounts, want none", n)
	}
	if v := e.lastEntry(t, audit.AuthLoginFailure); v.Outcome != "denied" || v.Details["provider"] != "strict" {
		t.Errorf("entry %+v", v)
	}
}

// TestRequireMFA: with require_mfa, a token whose amr shows only a
// password is refused; one showing a one-time code signs in.
func TestRequireMFA(t *testing.T) {
	e := newEnv(t)
	b := browser(t)
	e.refusedWith(t, b, e.signIn(t, b, "mfa", maxu), "mfa")
	b = browser(t)
	if got := e.signIn(t, b, "mfa", otto); got != "/" {
		t.Fatalf("otto (pwd+otp) sent to %q", got)
	}
	if m, ok := e.me(t, b); !ok || m.User.Email != otto.Email {
		t.Errorf("signed in as %+v", m.User)
	}
}

// TestProviderErrorAndUnknownProvider: the person cancelling at the
// provider comes back with an error, which is refused and audited; an
// unconfigured provider is not found.
func TestProviderErrorAndUnknownProvider(t *testing.T) {
	e := newEnv(t)
	b := browser(t)
	to, err := e.op.AuthorizeVia(b, e.base+"/auth/oidc/corp/login")
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := url.Parse(e.base + "/auth/oidc/corp/callback")
	cb.RawQuery = url.Values{"error": {"access_denied"}, "state": {to.Query().Get("state")}}.Encode()
	e.refusedWith(t, b, finish(t, b, cb), "provider_error")
	resp, err := b.Get(e.base + "/auth/oidc/nope/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown provider: status %d", resp.StatusCode)
	}
}
