package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// remoteControlKeys are the TOML keys of remotecontrol.go's options, by flag.
var remoteControlKeys = map[string]string{"remote-control": "remote_control",
	"remote-control-roles": "remote_control_roles", "remote-control-limit": "remote_control_limit"}

// TestRemoteControlDefaults: off on a fresh install; hosts, co-hosts and
// presenters may ask; 30 minutes.
func TestRemoteControlDefaults(t *testing.T) {
	cfg := mustLoad(t, nil, noEnv)
	want := RemoteControl{RemoteControlRoles: "host,cohost,presenter", RemoteControlLimit: 30 * time.Minute}
	if cfg.RemoteControl != want {
		t.Fatalf("defaults: %+v, want %+v", cfg.RemoteControl, want)
	}
	if got := cfg.RemoteControlRoleList(); !slices.Equal(got, []string{"host", "cohost", "presenter"}) {
		t.Fatalf("default roles: %v", got)
	}
}

func TestLoadRemoteControlEverySource(t *testing.T) {
	want := RemoteControl{RemoteControl: true, RemoteControlRoles: "host,guest", RemoteControlLimit: 2 * time.Hour}
	flags := mustLoad(t, []string{"--remote-control", "true", "--remote-control-roles", "host,guest", "--remote-control-limit", "2h"}, noEnv)
	env := mustLoad(t, nil, env(map[string]string{"CONCLAVE_REMOTE_CONTROL": "1",
		"CONCLAVE_REMOTE_CONTROL_ROLES": "host,guest", "CONCLAVE_REMOTE_CONTROL_LIMIT": "2h"}))
	path := writeFile(t, "remote_control = true\nremote_control_roles = \"host,guest\"\nremote_control_limit = \"2h\"\n")
	file := mustLoad(t, []string{"--config", path}, noEnv)
	for name, cfg := range map[string]Config{"flags": flags, "env": env, "file": file} {
		if cfg.RemoteControl != want {
			t.Errorf("%s: %+v, want %+v", name, cfg.RemoteControl, want)
		}
	}
}

// TestRemoteControlRoleList: spaces, case and repeats are forgiven; the
// order written is kept.
func TestRemoteControlRoleList(t *testing.T) {
	cfg := Default()
	cfg.RemoteControlRoles = " Guest , host,guest,, attendee "
	if got := cfg.RemoteControlRoleList(); !slices.Equal(got, []string{"guest", "host", "attendee"}) {
		t.Fatalf("roles: %v", got)
	}
	cfg.RemoteControlRoles = ""
	if got := cfg.RemoteControlRoleList(); got != nil {
		t.Fatalf("no roles: %v", got)
	}
	if err := cfg.validateRemoteControl(); err != nil {
		t.Fatalf("no roles is valid (nobody may ask): %v", err)
	}
}

func TestValidateRemoteControl(t *testing.T) {
	cases := map[string]struct {
		roles string
		limit time.Duration
		want  string // "" valid, else a fragment of the error
	}{
		"defaults":       {DefaultRemoteControlRoles, DefaultRemoteControlLimit, ""},
		"every role":     {"host,cohost,presenter,attendee,guest", time.Hour, ""},
		"the maximum":    {"host", 4 * time.Hour, ""},
		"the minimum":    {"host", time.Minute, ""},
		"waiting":        {"host,waiting", time.Hour, `unknown role "waiting"`},
		"an org role":    {"admin", time.Hour, `unknown role "admin"`},
		"too long":       {"host", 4*time.Hour + time.Second, "remote_control_limit"},
		"too short":      {"host", 59 * time.Second, "remote_control_limit"},
		"zero":           {"host", 0, "remote_control_limit"},
		"negative":       {"host", -time.Hour, "remote_control_limit"},
		"typo in a role": {"host,cohosts", time.Hour, `unknown role "cohosts"`},
	}
	for name, c := range cases {
		cfg := Default()
		cfg.RemoteControlRoles, cfg.RemoteControlLimit = c.roles, c.limit
		err := cfg.validateRemoteControl()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want an error about %s", name, err, c.want)
		}
	}
}

func TestLoadRemoteControlRefusesBadLimit(t *testing.T) {
	if _, err := Load([]string{"--remote-control-limit", "soon"}, noEnv); err == nil || !strings.Contains(err.Error(), "duration") {
		t.Fatalf("bad duration: %v", err)
	}
}
