package config

import (
	"strings"
	"testing"
	"time"
)

// privacyKeys are the TOML keys of privacy.go's options, by flag.
var privacyKeys = map[string]string{
	"organisation": "organisation", "privacy-contact": "privacy_contact",
	"retention-recording": "retention_recording", "retention-transcript": "retention_transcript",
	"retention-chat": "retention_chat", "retention-file": "retention_file",
	"retention-meeting": "retention_meeting", "retention-account": "retention_account",
	"retention-consent": "retention_consent", "retention-audit-log": "retention_audit_log",
	"retention-subject-request": "retention_subject_request",
	"max-retention-recording":   "max_retention_recording", "max-retention-transcript": "max_retention_transcript",
	"max-retention-chat": "max_retention_chat", "max-retention-file": "max_retention_file",
	"retention-sweep": "retention_sweep",
}

func TestPrivacyFromEverySource(t *testing.T) {
	path := writeFile(t, `
organisation = "Example e.V."
privacy_contact = "dpo@example.org"
retention_recording = "48h"
retention_audit_log = "0s"
max_retention_recording = "96h"
retention_sweep = "15m"
`)
	cfg := mustLoad(t, []string{"--config", path, "--retention-chat", "24h"},
		env(map[string]string{"CONCLAVE_RETENTION_SUBJECT_REQUEST": "8760h", "CONCLAVE_PRIVACY_CONTACT": "privacy@example.org"}))
	p := cfg.Privacy
	if p.Organisation != "Example e.V." || p.PrivacyContact != "privacy@example.org" {
		t.Fatalf("names: %+v", p)
	}
	if p.RetentionRecording != 48*time.Hour || p.RetentionAuditLog != 0 || p.MaxRetentionRecording != 96*time.Hour ||
		p.RetentionChat != 24*time.Hour || p.RetentionSubjectRequest != 8760*time.Hour || p.RetentionSweep != 15*time.Minute {
		t.Fatalf("periods: %+v", p)
	}
	if r := p.Retention(); r["recording"] != 48*time.Hour || r["audit_log"] != 0 || len(r) != 9 {
		t.Fatalf("Retention() = %v", r)
	}
	if l := p.OverrideLimits(); l["recording"] != 96*time.Hour || len(l) != 4 {
		t.Fatalf("OverrideLimits() = %v", l)
	}
}

func TestValidatePrivacyRejects(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"recording forever", func(c *Config) { c.RetentionRecording = 0 }, "retention_recording must not be 0"},
		{"consent forever", func(c *Config) { c.RetentionConsent = 0 }, "retention_consent must not be 0"},
		{"nanoseconds", func(c *Config) { c.RetentionMeeting = 720 }, "retention_meeting"},
		{"over ten years", func(c *Config) { c.RetentionAccount = RetentionLimit + time.Hour }, "retention_account"},
		{"default above limit", func(c *Config) { c.RetentionFile = c.MaxRetentionFile + time.Hour }, "exceeds max_retention_file"},
		{"limit zero", func(c *Config) { c.MaxRetentionChat = 0 }, "max_retention_chat"},
		{"sweep too often", func(c *Config) { c.RetentionSweep = time.Second }, "retention_sweep"},
		{"sweep too rare", func(c *Config) { c.RetentionSweep = 48 * time.Hour }, "retention_sweep"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := valid()
			tc.mod(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestValidatePrivacyKeepForeverWhereAllowed(t *testing.T) {
	c := valid()
	c.RetentionAccount, c.RetentionAuditLog = 0, 0
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
