package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// RemoteControl holds the organisation's policy of remote control of a
// shared screen (docs/security.md, "Remote control"). It is embedded in
// Config, so its keys sit at the top level of the TOML file.
type RemoteControl struct {
	// RemoteControl: the organisation allows remote control at all; each
	// meeting's host must still turn it on, and each sharer grants it.
	// Off by default: it is the most dangerous feature a meeting tool has.
	RemoteControl bool `toml:"remote_control"`
	// RemoteControlRoles are the meeting roles that may ask for control,
	// comma-separated: host, cohost, presenter, attendee, guest.
	RemoteControlRoles string `toml:"remote_control_roles"`
	// RemoteControlLimit is how long a grant lasts at most.
	RemoteControlLimit time.Duration `toml:"remote_control_limit"`
}

// Defaults and bounds of remote control.
const (
	DefaultRemoteControlRoles = "host,cohost,presenter"
	DefaultRemoteControlLimit = 30 * time.Minute
	MaxRemoteControlLimit     = 4 * time.Hour
	MinRemoteControlLimit     = time.Minute
)

// remoteControlRoleNames are the roles remote_control_roles may name: the
// admitted meeting roles (nobody waiting controls anything).
var remoteControlRoleNames = []string{"host", "cohost", "presenter", "attendee", "guest"}

// DefaultRemoteControl returns the remote control settings used when
// nothing is set: off; hosts, co-hosts and presenters may ask; 30 minutes.
func DefaultRemoteControl() RemoteControl {
	return RemoteControl{RemoteControlRoles: DefaultRemoteControlRoles, RemoteControlLimit: DefaultRemoteControlLimit}
}

// remoteControlOptions: load.go appends these to options.
var remoteControlOptions = []option{
	{"remote-control", "CONCLAVE_REMOTE_CONTROL", "true: hosts may turn on remote control of shared screens in their meetings, each grant given by the sharer (default false)",
		boolean(func(c *Config) *bool { return &c.RemoteControl.RemoteControl })},
	{"remote-control-roles", "CONCLAVE_REMOTE_CONTROL_ROLES", "meeting roles that may ask a sharer for control, comma-separated from host, cohost, presenter, attendee, guest (default " + DefaultRemoteControlRoles + ")",
		str(func(c *Config) *string { return &c.RemoteControlRoles })},
	{"remote-control-limit", "CONCLAVE_REMOTE_CONTROL_LIMIT", "longest a grant of control lasts, 1m-4h (default " + durationText(DefaultRemoteControlLimit) + ")",
		duration(func(c *Config) *time.Duration { return &c.RemoteControlLimit })},
}

// RemoteControlRoleList returns the roles of remote_control_roles, trimmed
// and without duplicates, in the order written. Validate has checked them.
func (c Config) RemoteControlRoleList() []string {
	var out []string
	for r := range strings.SplitSeq(c.RemoteControlRoles, ",") {
		r = strings.ToLower(strings.TrimSpace(r))
		if r != "" && !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

func (c Config) validateRemoteControl() error {
	var errs []error
	for _, r := range c.RemoteControlRoleList() {
		if !slices.Contains(remoteControlRoleNames, r) {
			errs = append(errs, fmt.Errorf("remote_control_roles: unknown role %q: name some of %s", r, strings.Join(remoteControlRoleNames, ", ")))
		}
	}
	if c.RemoteControlLimit < MinRemoteControlLimit || c.RemoteControlLimit > MaxRemoteControlLimit {
		errs = append(errs, fmt.Errorf("remote_control_limit %s out of range %s-%s", c.RemoteControlLimit,
			durationText(MinRemoteControlLimit), durationText(MaxRemoteControlLimit)))
	}
	return errors.Join(errs...)
}
