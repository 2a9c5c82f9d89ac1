package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// OIDCProvider is one single sign-on provider ([[oidc]] in the TOML file;
// docs/operations.md, "Single sign-on"). Providers exist only in the file:
// a list of tables has no sensible flag or environment spelling.
type OIDCProvider struct {
	// Name identifies the provider in URLs (/auth/oidc/NAME/...), in
	// the audit log and in stored identities: lower-case letters,
	// digits and dashes. Renaming it unlinks nobody (identities are
	// keyed by issuer and subject) but old audit entries keep the old
	// name.
	Name string `toml:"name"`
	// DisplayName is shown on the sign-in button ("Sign in with …");
	// Name when empty.
	DisplayName string `toml:"display_name"`
	// Issuer is the provider's issuer URL, exactly as its discovery
	// document and ID tokens spell it.
	Issuer string `toml:"issuer"`
	// ClientID and the secret are the client registered at the provider
	// for this server. Prefer ClientSecretFile: the file is read at start.
	ClientID         string `toml:"client_id"`
	ClientSecret     string `toml:"client_secret"`
	ClientSecretFile string `toml:"client_secret_file"`
	// Scopes are requested besides openid, email and profile (e.g.
	// "groups" where the provider needs a scope for the groups claim).
	Scopes []string `toml:"scopes"`
	// RoleClaim names the ID token claim (a string or a list of
	// strings, e.g. "groups") that Roles maps to Conclave roles. When it
	// is set the provider manages the role of every account that signs
	// in through it: the strongest mapped role, or member when no value
	// maps.
	RoleClaim string            `toml:"role_claim"`
	Roles     map[string]string `toml:"roles"`
	// JIT creates an account on the first sign-in of an identity that no
	// account has; off, such a sign-in is refused.
	JIT bool `toml:"jit"`
	// RequireMFA refuses ID tokens that do not show multi-factor
	// authentication: amr naming a second factor, or acr one of MFAACR.
	RequireMFA bool     `toml:"require_mfa"`
	MFAACR     []string `toml:"mfa_acr"`
	// AllowedDomains, when not empty, admits only verified e-mail
	// addresses in these domains.
	AllowedDomains []string `toml:"allowed_domains"`
}

// Label is what the sign-in button names.
func (p OIDCProvider) Label() string {
	if p.DisplayName != "" {
		return p.DisplayName
	}
	return p.Name
}

var oidcName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

func (c Config) validateOIDC() error {
	var errs []error
	seen := map[string]bool{}
	for i, p := range c.OIDC {
		if seen[p.Name] {
			errs = append(errs, fmt.Errorf("oidc[%d]: name %q is used twice", i, p.Name))
		}
		seen[p.Name] = true
		if err := p.validate(); err != nil {
			errs = append(errs, fmt.Errorf("oidc[%d] (%s): %w", i, p.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (p OIDCProvider) validate() error {
	errs := []error{validateIssuer(p.Issuer)}
	if !oidcName.MatchString(p.Name) {
		errs = append(errs, errors.New("name must be 1-32 lower-case letters, digits or dashes"))
	}
	if len(p.DisplayName) > 64 || strings.ContainsFunc(p.DisplayName, isControl) {
		errs = append(errs, errors.New("display_name must be at most 64 characters without control characters"))
	}
	if strings.TrimSpace(p.ClientID) == "" {
		errs = append(errs, errors.New("client_id is required"))
	}
	if (p.ClientSecret == "") == (p.ClientSecretFile == "") {
		errs = append(errs, errors.New("set exactly one of client_secret and client_secret_file"))
	}
	errs = append(errs, p.validateRoles(), p.validateDomains())
	if len(p.MFAACR) > 0 && !p.RequireMFA {
		errs = append(errs, errors.New("mfa_acr needs require_mfa = true"))
	}
	return errors.Join(errs...)
}

// validateIssuer demands HTTPS except on loopback, where a test or a
// provider on the same machine is not exposed to the network.
func validateIssuer(issuer string) error {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("issuer %q must be an absolute URL without query, fragment or credentials", issuer)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if isLoopbackHost(u.Hostname()) {
			return nil
		}
	}
	return fmt.Errorf("issuer %q must use https (http only on loopback)", issuer)
}

func (p OIDCProvider) validateRoles() error {
	var errs []error
	if len(p.Roles) > 0 && p.RoleClaim == "" {
		errs = append(errs, errors.New("roles needs role_claim"))
	}
	for value, role := range p.Roles {
		if !slices.Contains([]string{"admin", "privacy_officer", "member"}, role) {
			errs = append(errs, fmt.Errorf("roles: %q maps to %q, not admin, privacy_officer or member", value, role))
		}
	}
	return errors.Join(errs...)
}

func (p OIDCProvider) validateDomains() error {
	var errs []error
	for _, d := range p.AllowedDomains {
		if d != strings.ToLower(d) || net.ParseIP(d) != nil || !validDomain(d) {
			errs = append(errs, fmt.Errorf("allowed_domains: %q must be a lower-case DNS name", d))
		}
	}
	return errors.Join(errs...)
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }
