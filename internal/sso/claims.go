package sso

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/conclave-meet/conclave/internal/store"
)

// identity is what a verified sign-in says about the person.
type identity struct {
	Issuer  string
	Subject string
	Email   string // "" unless the provider says it is verified
	Name    string
	AMR     []string
	ACR     string
	// RoleValues are the values of the configured role claim.
	RoleValues []string
}

// tokenClaims are the ID token claims read besides iss, sub and aud.
type tokenClaims struct {
	Email             string   `json:"email"`
	EmailVerified     any      `json:"email_verified"` // some providers send "true"
	Name              string   `json:"name"`
	PreferredUsername string   `json:"preferred_username"`
	AMR               []string `json:"amr"`
	ACR               string   `json:"acr"`
}

// readIdentity takes the identity from the verified ID token. The e-mail
// address and name come from the userinfo endpoint when the token lacks
// them (providers often leave them out of ID tokens); what decides
// access (subject, amr, acr, the role claim) only ever comes from the
// signed token.
func (p *provider) readIdentity(ctx context.Context, d *discovered, idt *gooidc.IDToken, tok *oauth2.Token) (identity, error) {
	var c tokenClaims
	if err := idt.Claims(&c); err != nil {
		return identity{}, refuse(reasonIDToken, fmt.Errorf("claims: %w", err))
	}
	id := identity{Issuer: idt.Issuer, Subject: idt.Subject, Name: c.Name, AMR: c.AMR, ACR: c.ACR}
	if isTrue(c.EmailVerified) {
		id.Email = strings.ToLower(strings.TrimSpace(c.Email))
	}
	if id.Name == "" {
		id.Name = c.PreferredUsername
	}
	values, err := p.roleValues(idt)
	if err != nil {
		return identity{}, refuse(reasonIDToken, err)
	}
	id.RoleValues = values
	if id.Email == "" || id.Name == "" {
		p.fillFromUserinfo(ctx, d, tok, &id)
	}
	return id, nil
}

// fillFromUserinfo adds the e-mail address and name from the userinfo
// endpoint, if it answers for the same subject (OpenID Connect Core
// 5.3.2: a different sub must not be used).
func (p *provider) fillFromUserinfo(ctx context.Context, d *discovered, tok *oauth2.Token, id *identity) {
	if d.op.UserInfoEndpoint() == "" {
		return
	}
	ui, err := d.op.UserInfo(p.ctx(ctx), oauth2.StaticTokenSource(tok))
	if err != nil || ui.Subject != id.Subject {
		return
	}
	var c tokenClaims
	if err := ui.Claims(&c); err != nil {
		return
	}
	if id.Email == "" && ui.EmailVerified && ui.Email != "" {
		id.Email = strings.ToLower(strings.TrimSpace(ui.Email))
	}
	if id.Name == "" {
		id.Name = firstNonEmpty(c.Name, c.PreferredUsername)
	}
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func isTrue(v any) bool {
	switch b := v.(type) {
	case bool:
		return b
	case string:
		return strings.EqualFold(b, "true")
	}
	return false
}

// roleValues reads the role claim: a string or a list of strings.
func (p *provider) roleValues(idt *gooidc.IDToken) ([]string, error) {
	if p.cfg.RoleClaim == "" {
		return nil, nil
	}
	var all map[string]any
	if err := idt.Claims(&all); err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	switch v := all[p.cfg.RoleClaim].(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("claim %q is neither a string nor a list", p.cfg.RoleClaim)
}

// role maps the role claim to the strongest configured role; member when
// nothing maps. ok is false when the provider manages no roles.
func (p *provider) role(id identity) (store.Role, bool) {
	if p.cfg.RoleClaim == "" {
		return "", false
	}
	for _, r := range store.Roles { // strongest first
		for _, v := range id.RoleValues {
			if p.cfg.Roles[v] == string(r) {
				return r, true
			}
		}
	}
	return store.RoleMember, true
}

// mfaAMR are the RFC 8176 authentication methods that only a second
// factor (or a phishing-resistant key) produces. "pwd" alone is not MFA.
var mfaAMR = []string{"mfa", "otp", "hwk", "swk", "sms", "tel", "sc", "fpt", "face", "iris", "retina", "vbm", "pop"}

// showsMFA reports whether the token's amr names a second factor or its
// acr is one of mfa_acr.
func (p *provider) showsMFA(id identity) bool {
	for _, m := range id.AMR {
		if slices.Contains(mfaAMR, m) {
			return true
		}
	}
	return id.ACR != "" && slices.Contains(p.cfg.MFAACR, id.ACR)
}

// checkMFA refuses, when the provider must assert MFA, a token that does
// not show it.
func (p *provider) checkMFA(id identity) error {
	if !p.cfg.RequireMFA || p.showsMFA(id) {
		return nil
	}
	return refuse(reasonMFA, errors.New("the ID token does not show multi-factor authentication"))
}

// checkDomain admits only verified addresses in allowed_domains, when
// that is set.
func (p *provider) checkDomain(id identity) error {
	if len(p.cfg.AllowedDomains) == 0 {
		return nil
	}
	at := strings.LastIndexByte(id.Email, '@')
	if at < 0 || !slices.Contains(p.cfg.AllowedDomains, id.Email[at+1:]) {
		return refuse(reasonDomain, errors.New("no verified e-mail address in an allowed domain"))
	}
	return nil
}
