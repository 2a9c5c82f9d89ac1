package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Accounts holds the settings of sign-in security (docs/security.md,
// "Accounts"; docs/operations.md, "Accounts and sessions"). It is embedded
// in Config, so its keys sit at the top level of the TOML file.
type Accounts struct {
	// MFARoles are the roles whose accounts must have a second factor: a
	// first sign-in is walked through enrolling one, and nothing else is
	// possible until it is.
	MFARoles RoleList `toml:"mfa_roles"`
	// SessionLifetime is the absolute timeout of a sign-in.
	SessionLifetime time.Duration `toml:"session_lifetime"`
	// SessionIdle ends a session unused this long; 0 turns the idle
	// timeout off.
	SessionIdle time.Duration `toml:"session_idle_timeout"`
	// BreachedPasswords is a local breached-password list (Have I Been
	// Pwned's SHA-1 download: one sorted file, or a directory of range
	// files); empty: none. Nothing is ever fetched.
	BreachedPasswords string `toml:"breached_passwords"`
	// PasswordMaxAge is the maximum password age: a sign-in with an older
	// password must choose a new one first. 0 (the default) turns it off,
	// as NIST SP 800-63B advises: forced changes breed weaker passwords.
	PasswordMaxAge time.Duration `toml:"password_max_age"`
}

// Defaults and bounds of the account settings.
const (
	DefaultSessionLifetime = 7 * 24 * time.Hour
	DefaultSessionIdle     = 12 * time.Hour
	MaxSessionLifetime     = 366 * 24 * time.Hour
	MinPasswordMaxAge      = 24 * time.Hour
	MaxPasswordMaxAge      = 10 * 366 * 24 * time.Hour
)

// DefaultMFARoles are the roles that must have a second factor by default:
// those that can read everyone's data.
var DefaultMFARoles = []string{"admin", "privacy_officer"}

// accountRoles are the role names mfa_roles accepts (store.Roles; not
// imported, config depends on nothing of ours).
var accountRoles = []string{"admin", "privacy_officer", "member"}

// DefaultAccounts returns the account settings used when nothing is set.
func DefaultAccounts() Accounts {
	return Accounts{MFARoles: RoleList(strings.Join(DefaultMFARoles, ",")), SessionLifetime: DefaultSessionLifetime,
		SessionIdle: DefaultSessionIdle}
}

// RoleList is a set of role names, kept comma-separated so that Config
// stays comparable; in TOML it is an array (mfa_roles = ["admin"]), on
// the command line and in the environment a comma-separated list, where
// "none" (or nothing) is the empty list.
type RoleList string

// Roles returns the names.
func (l RoleList) Roles() []string {
	var roles []string
	for r := range strings.SplitSeq(string(l), ",") {
		if r = strings.TrimSpace(r); r != "" && r != "none" {
			roles = append(roles, r)
		}
	}
	return roles
}

// UnmarshalTOML accepts an array of strings, or one string.
func (l *RoleList) UnmarshalTOML(v any) error {
	switch v := v.(type) {
	case string:
		*l = RoleList(strings.Join(RoleList(v).Roles(), ","))
	case []any:
		var names []string
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("mfa_roles: %v is not a role name", e)
			}
			names = append(names, s)
		}
		*l = RoleList(strings.Join(names, ","))
	default:
		return fmt.Errorf("mfa_roles: want an array of role names")
	}
	return nil
}

func roleList(field func(*Config) *RoleList) func(*Config, string) error {
	return func(c *Config, v string) error {
		*field(c) = RoleList(strings.Join(RoleList(v).Roles(), ","))
		return nil
	}
}

// accountOptions: load.go appends these to options.
var accountOptions = []option{
	{"mfa-roles", "CONCLAVE_MFA_ROLES", "roles that must have a second factor, comma-separated, or none (default " + strings.Join(DefaultMFARoles, ",") + ")",
		roleList(func(c *Config) *RoleList { return &c.MFARoles })},
	{"session-lifetime", "CONCLAVE_SESSION_LIFETIME", "absolute timeout of a sign-in (default " + durationText(DefaultSessionLifetime) + ")",
		duration(func(c *Config) *time.Duration { return &c.SessionLifetime })},
	{"session-idle-timeout", "CONCLAVE_SESSION_IDLE_TIMEOUT", "sign a session out after this long unused; 0s: never (default " + durationText(DefaultSessionIdle) + ")",
		duration(func(c *Config) *time.Duration { return &c.SessionIdle })},
	{"breached-passwords", "CONCLAVE_BREACHED_PASSWORDS", "local breached-password list (HIBP SHA-1 file or directory of range files) new passwords are checked against (default none)",
		str(func(c *Config) *string { return &c.BreachedPasswords })},
	{"password-max-age", "CONCLAVE_PASSWORD_MAX_AGE", "make a sign-in choose a new password when its password is older than this, e.g. 2160h; 0s: never (default 0s)",
		duration(func(c *Config) *time.Duration { return &c.PasswordMaxAge })},
}

func (c Config) validateAccounts() error {
	var errs []error
	for _, r := range c.MFARoles.Roles() {
		if !slices.Contains(accountRoles, r) {
			errs = append(errs, fmt.Errorf("mfa_roles: unknown role %q (want %s)", r, strings.Join(accountRoles, ", ")))
		}
	}
	if c.SessionLifetime < time.Minute || c.SessionLifetime > MaxSessionLifetime {
		errs = append(errs, fmt.Errorf("session_lifetime %s out of range 1m-%s", c.SessionLifetime, durationText(MaxSessionLifetime)))
	}
	if c.SessionIdle < 0 || (c.SessionIdle > 0 && c.SessionIdle < time.Minute) {
		errs = append(errs, fmt.Errorf("session_idle_timeout %s must be 0s or at least 1m", c.SessionIdle))
	}
	if c.PasswordMaxAge != 0 && (c.PasswordMaxAge < MinPasswordMaxAge || c.PasswordMaxAge > MaxPasswordMaxAge) {
		errs = append(errs, fmt.Errorf("password_max_age %s must be 0s or between %s and %s", c.PasswordMaxAge,
			durationText(MinPasswordMaxAge), durationText(MaxPasswordMaxAge)))
	}
	return errors.Join(errs...)
}
