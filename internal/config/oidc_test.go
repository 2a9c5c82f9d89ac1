package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestLoadOIDCProviders: [[oidc]] tables in the file, with every key.
func TestLoadOIDCProviders(t *testing.T) {
	path := writeFile(t, `
[[oidc]]
name = "keycloak"
display_name = "Example Corp"
issuer = "https://sso.example.org/realms/corp"
client_id = "conclave"
client_secret_file = "/etc/conclave/oidc-secret"
scopes = ["groups"]
role_claim = "groups"
roles = { "conclave-admins" = "admin", "dpo" = "privacy_officer" }
jit = true
require_mfa = true
mfa_acr = ["gold"]
allowed_domains = ["example.org"]

[[oidc]]
name = "dev"
issuer = "http://127.0.0.1:9998"
client_id = "c"
client_secret = "s"
`)
	cfg := mustLoad(t, []string{"--config", path}, noEnv)
	want := []OIDCProvider{{
		Name: "keycloak", DisplayName: "Example Corp", Issuer: "https://sso.example.org/realms/corp", ClientID: "conclave",
		ClientSecretFile: "/etc/conclave/oidc-secret", Scopes: []string{"groups"}, RoleClaim: "groups",
		Roles: map[string]string{"conclave-admins": "admin", "dpo": "privacy_officer"}, JIT: true, RequireMFA: true,
		MFAACR: []string{"gold"}, AllowedDomains: []string{"example.org"},
	}, {Name: "dev", Issuer: "http://127.0.0.1:9998", ClientID: "c", ClientSecret: "s"}}
	if !reflect.DeepEqual(cfg.OIDC, want) {
		t.Fatalf("got %+v\nwant %+v", cfg.OIDC, want)
	}
	if cfg.OIDC[0].Label() != "Example Corp" || cfg.OIDC[1].Label() != "dev" {
		t.Error("labels")
	}
}

func TestValidateOIDC(t *testing.T) {
	ok := OIDCProvider{Name: "corp", Issuer: "https://sso.example.org", ClientID: "c", ClientSecret: "s"}
	for _, tc := range []struct {
		mod  func(*OIDCProvider)
		want string // "" for valid
	}{
		{func(*OIDCProvider) {}, ""},
		{func(p *OIDCProvider) { p.Issuer = "http://localhost:8080/realm" }, ""},
		{func(p *OIDCProvider) { p.Issuer = "http://sso.example.org" }, "https"},
		{func(p *OIDCProvider) { p.Issuer = "https://sso.example.org/?x=1" }, "issuer"},
		{func(p *OIDCProvider) { p.Name = "Corp" }, "name"},
		{func(p *OIDCProvider) { p.Name = "" }, "name"},
		{func(p *OIDCProvider) { p.ClientID = " " }, "client_id"},
		{func(p *OIDCProvider) { p.ClientSecretFile = "/x" }, "exactly one"},
		{func(p *OIDCProvider) { p.ClientSecret = "" }, "exactly one"},
		{func(p *OIDCProvider) { p.Roles = map[string]string{"g": "admin"} }, "role_claim"},
		{func(p *OIDCProvider) { p.RoleClaim, p.Roles = "groups", map[string]string{"g": "owner"} }, "owner"},
		{func(p *OIDCProvider) { p.MFAACR = []string{"gold"} }, "require_mfa"},
		{func(p *OIDCProvider) { p.AllowedDomains = []string{"Example.org"} }, "allowed_domains"},
		{func(p *OIDCProvider) { p.DisplayName = "a\nb" }, "display_name"},
	} {
		p := ok
		tc.mod(&p)
		cfg := valid()
		cfg.OIDC = []OIDCProvider{p}
		err := cfg.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", p, err, tc.want)
		}
	}
	cfg := valid()
	cfg.OIDC = []OIDCProvider{ok, ok}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate name: %v", err)
	}
}
