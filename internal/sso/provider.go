package sso

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/conclave-meet/conclave/internal/config"
)

// baseScopes are always requested: the identity, and the e-mail address
// and name a new account needs.
var baseScopes = []string{gooidc.ScopeOpenID, "email", "profile"}

// provider is one configured OpenID provider. Discovery happens on first
// use, not at start, so that a provider that is down does not keep the
// server from starting; a failed discovery is tried again next time.
type provider struct {
	cfg      config.OIDCProvider
	secret   string
	redirect string
	client   *http.Client

	mu   sync.Mutex
	disc *discovered
}

// discovered is what the provider's discovery document yields.
type discovered struct {
	oauth    oauth2.Config
	verifier *gooidc.IDTokenVerifier
	op       *gooidc.Provider
}

func newProvider(cfg config.OIDCProvider, publicURL string, client *http.Client) (*provider, error) {
	secret := cfg.ClientSecret
	if cfg.ClientSecretFile != "" {
		b, err := os.ReadFile(cfg.ClientSecretFile)
		if err != nil {
			return nil, fmt.Errorf("oidc %s: client_secret_file: %w", cfg.Name, err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if secret == "" {
		return nil, fmt.Errorf("oidc %s: the client secret is empty", cfg.Name)
	}
	return &provider{
		cfg: cfg, secret: secret, client: client,
		redirect: strings.TrimRight(publicURL, "/") + "/auth/oidc/" + cfg.Name + "/callback",
	}, nil
}

// ctx carries the HTTP client that go-oidc and oauth2 use for the
// provider's endpoints.
func (p *provider) ctx(ctx context.Context) context.Context {
	return gooidc.ClientContext(ctx, p.client)
}

func (p *provider) discover(ctx context.Context) (*discovered, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.disc != nil {
		return p.disc, nil
	}
	// The issuer in the discovery document must equal the configured one:
	// go-oidc refuses a mismatch, so one provider cannot speak for another.
	op, err := gooidc.NewProvider(p.ctx(ctx), p.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("oidc %s: discovery: %w", p.cfg.Name, err)
	}
	p.disc = &discovered{
		op: op,
		oauth: oauth2.Config{
			ClientID: p.cfg.ClientID, ClientSecret: p.secret, RedirectURL: p.redirect,
			Endpoint: op.Endpoint(), Scopes: p.scopes(),
		},
		// Checks the signature against the provider's keys, the issuer,
		// the audience (our client ID) and the expiry.
		verifier: op.Verifier(&gooidc.Config{ClientID: p.cfg.ClientID}),
	}
	return p.disc, nil
}

func (p *provider) scopes() []string {
	scopes := slices.Clone(baseScopes)
	for _, s := range p.cfg.Scopes {
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	return scopes
}

// authURL is where the browser goes to sign in: with the state, the
// nonce and the PKCE (S256) challenge of f, the ACR values that show MFA
// when the provider must assert it, and prompt=login for linking.
func (p *provider) authURL(d *discovered, state string, f flow) string {
	opts := []oauth2.AuthCodeOption{gooidc.Nonce(f.nonce), oauth2.S256ChallengeOption(f.verifier)}
	if p.cfg.RequireMFA && len(p.cfg.MFAACR) > 0 {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", strings.Join(p.cfg.MFAACR, " ")))
	}
	if f.linkUser != "" {
		// Linking binds an identity to an account for good: the person
		// signs in at the provider now, not through a session someone
		// else may have left there.
		opts = append(opts, oauth2.SetAuthURLParam("prompt", "login"))
	}
	return d.oauth.AuthCodeURL(state, opts...)
}

// Refusal reasons; they go into the audit log and, as sso_error, into the
// sign-in page's address.
const (
	reasonProvider   = "provider_error" // the provider answered with an error (e.g. the person cancelled)
	reasonState      = "state"          // unknown, used, expired or foreign state, or the browser binding is missing
	reasonExchange   = "code_exchange"  // the token endpoint refused the code
	reasonIDToken    = "id_token"       // missing, badly signed, wrong issuer, audience or expiry
	reasonNonce      = "nonce"          // the ID token was not issued for this sign-in
	reasonMFA        = "mfa"            // require_mfa and the token does not show MFA
	reasonDomain     = "email_domain"   // allowed_domains and the address is not in one (or unverified)
	reasonNoAccount  = "no_account"     // unknown identity and JIT is off
	reasonEmailInUse = "email_in_use"   // JIT, but an account already has the address
	reasonClaims     = "claims"         // JIT, but the token lacks a usable e-mail address or name
	reasonDisabled   = "disabled"
	reasonRestricted = "restricted"
	reasonLinked     = "identity_linked" // linking an identity that another account has
	reasonThrottled  = "throttled"
	reasonBusy       = "busy"
	reasonDown       = "unavailable"
)

// refusal is a sign-in refused for reason; err says more for the log.
type refusal struct {
	reason string
	err    error
}

func (r *refusal) Error() string {
	if r.err == nil {
		return "sso: refused: " + r.reason
	}
	return "sso: refused: " + r.reason + ": " + r.err.Error()
}

func refuse(reason string, err error) error { return &refusal{reason: reason, err: err} }

// exchange trades the code for tokens with the PKCE verifier and returns
// the verified ID token: signature, issuer, audience, expiry, the nonce
// of this flow, the authorised party when there are several audiences,
// and the access token's hash when the token carries one.
func (p *provider) exchange(ctx context.Context, d *discovered, code string, f flow) (*gooidc.IDToken, *oauth2.Token, error) {
	ctx = p.ctx(ctx)
	tok, err := d.oauth.Exchange(ctx, code, oauth2.VerifierOption(f.verifier))
	if err != nil {
		return nil, nil, refuse(reasonExchange, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, nil, refuse(reasonIDToken, errors.New("no id_token in the token response"))
	}
	idt, err := d.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, nil, refuse(reasonIDToken, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.nonce)) != 1 {
		return nil, nil, refuse(reasonNonce, errors.New("nonce does not match this sign-in"))
	}
	if err := p.checkAZP(idt); err != nil {
		return nil, nil, refuse(reasonIDToken, err)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return nil, nil, refuse(reasonIDToken, err)
		}
	}
	return idt, tok, nil
}

// checkAZP: a token for several audiences must name us as the party it
// was issued to (OpenID Connect Core 3.1.3.7).
func (p *provider) checkAZP(idt *gooidc.IDToken) error {
	if len(idt.Audience) <= 1 {
		return nil
	}
	var c struct {
		AZP string `json:"azp"`
	}
	if err := idt.Claims(&c); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	if c.AZP != p.cfg.ClientID {
		return errors.New("token for several audiences was not issued to this client")
	}
	return nil
}
