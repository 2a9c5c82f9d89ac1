package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
)

// accountKeys are the account options' TOML keys, for TestOptionsMatchTOML.
var accountKeys = map[string]string{
	"mfa-roles": "mfa_roles", "session-lifetime": "session_lifetime",
	"session-idle-timeout": "session_idle_timeout", "breached-passwords": "breached_passwords",
	"password-max-age": "password_max_age",
}

func TestAccountDefaults(t *testing.T) {
	a := Default().Accounts
	if !slices.Equal(a.MFARoles.Roles(), []string{"admin", "privacy_officer"}) || a.SessionLifetime != 7*24*time.Hour ||
		a.SessionIdle != 12*time.Hour || a.BreachedPasswords != "" || a.PasswordMaxAge != 0 {
		t.Fatalf("defaults %+v", a)
	}
	if err := Default().validateAccounts(); err != nil {
		t.Fatal(err)
	}
}

func TestMFARolesFromEverySource(t *testing.T) {
	var fromFile struct {
		Accounts
	}
	if _, err := toml.Decode(`mfa_roles = ["admin", "member"]`, &fromFile); err != nil {
		t.Fatal(err)
	}
	if got := fromFile.MFARoles.Roles(); !slices.Equal(got, []string{"admin", "member"}) {
		t.Errorf("toml: %v", got)
	}
	c := Default()
	if err := roleList(func(c *Config) *RoleList { return &c.MFARoles })(&c, "none"); err != nil || len(c.MFARoles.Roles()) != 0 {
		t.Errorf("none: %v %v", c.MFARoles, err)
	}
}

func TestAccountValidation(t *testing.T) {
	for _, bad := range []Accounts{
		{MFARoles: "root", SessionLifetime: time.Hour},
		{SessionLifetime: 0},
		{SessionLifetime: time.Hour, SessionIdle: time.Second},
		{SessionLifetime: time.Hour, SessionIdle: -time.Hour},
		{SessionLifetime: time.Hour, PasswordMaxAge: time.Hour},
		{SessionLifetime: time.Hour, PasswordMaxAge: -24 * time.Hour},
		{SessionLifetime: time.Hour, PasswordMaxAge: 20 * 366 * 24 * time.Hour},
	} {
		c := Default()
		c.Accounts = bad
		if err := c.validateAccounts(); err == nil || !strings.Contains(err.Error(), "_") {
			t.Errorf("%+v accepted: %v", bad, err)
		}
	}
}
