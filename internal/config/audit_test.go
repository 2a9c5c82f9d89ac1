package config

import (
	"strings"
	"testing"
	"time"
)

// auditAnchorKeys are the TOML keys of audit.go's options, by flag.
var auditAnchorKeys = map[string]string{
	"audit-anchor-file": "audit_anchor_file", "audit-anchor-interval": "audit_anchor_interval",
	"audit-anchor-every": "audit_anchor_every", "audit-anchor-syslog": "audit_anchor_syslog",
	"audit-anchor-webhook": "audit_anchor_webhook",
}

func TestAuditAnchorFromEverySource(t *testing.T) {
	path := writeFile(t, `
audit_anchor_file = "/mnt/elsewhere/conclave-heads"
audit_anchor_interval = "15m"
audit_anchor_every = 50
audit_anchor_webhook = "https://audit.example.org/heads?token=x"
`)
	cfg := mustLoad(t, []string{"--config", path, "--audit-anchor-every", "20"},
		env(map[string]string{"CONCLAVE_AUDIT_ANCHOR_SYSLOG": "true", "CONCLAVE_AUDIT_ANCHOR_INTERVAL": "30m"}))
	want := AuditAnchor{AuditAnchorFile: "/mnt/elsewhere/conclave-heads", AuditAnchorInterval: 30 * time.Minute,
		AuditAnchorEvery: 20, AuditAnchorSyslog: true, AuditAnchorWebhook: "https://audit.example.org/heads?token=x"}
	if cfg.AuditAnchor != want {
		t.Fatalf("got %+v", cfg.AuditAnchor)
	}
	if d := mustLoad(t, nil, noEnv).AuditAnchor; d != DefaultAuditAnchor() || d.AuditAnchorFile != "" || d.AuditAnchorWebhook != "" || d.AuditAnchorSyslog {
		t.Fatalf("default must publish to the server log only: %+v", d)
	}
}

func TestValidateAuditAnchor(t *testing.T) {
	cases := []struct {
		set  func(*Config)
		want string
	}{
		{func(c *Config) { c.AuditAnchorFile = "heads.log" }, "audit_anchor_file"},
		{func(c *Config) { c.AuditAnchorInterval = time.Second }, "audit_anchor_interval"},
		{func(c *Config) { c.AuditAnchorInterval = 48 * time.Hour }, "audit_anchor_interval"},
		{func(c *Config) { c.AuditAnchorEvery = 0 }, "audit_anchor_every"},
		{func(c *Config) { c.AuditAnchorEvery = MaxAuditAnchorEvery + 1 }, "audit_anchor_every"},
		{func(c *Config) { c.AuditAnchorWebhook = "ftp://x/?token=s3cret" }, "absolute http(s)"},
		{func(c *Config) { c.AuditAnchorWebhook = "http://audit.example.org/?token=s3cret" }, "https"},
	}
	for _, tc := range cases {
		cfg := mustLoad(t, nil, noEnv)
		tc.set(&cfg)
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%+v: %v", cfg.AuditAnchor, err)
		}
	}
	cfg := mustLoad(t, nil, noEnv)
	cfg.AuditAnchorWebhook = "http://127.0.0.1:9000/heads"
	cfg.AuditAnchorFile = "/var/log/conclave/heads"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("loopback webhook: %v", err)
	}
}
