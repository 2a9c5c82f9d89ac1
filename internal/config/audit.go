package config

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"time"
)

// AuditAnchor configures where the server publishes the audit log's sealed
// head (docs/security.md, "Published heads"). The server log always gets
// it; the rest is off unless set. It is embedded in Config, so its keys sit
// at the top level of the TOML file.
type AuditAnchor struct {
	// AuditAnchorFile is a file the heads are appended to, one per line.
	// It is only worth having out of reach of whoever can write the
	// database: on another volume, not in the data dir.
	AuditAnchorFile string `toml:"audit_anchor_file"`
	// AuditAnchorInterval is how often the head is published.
	AuditAnchorInterval time.Duration `toml:"audit_anchor_interval"`
	// AuditAnchorEvery publishes the head after this many new entries.
	AuditAnchorEvery int `toml:"audit_anchor_every"`
	// AuditAnchorSyslog also sends heads to the local syslog (journald).
	AuditAnchorSyslog bool `toml:"audit_anchor_syslog"`
	// AuditAnchorWebhook is a URL the heads are POSTed to as JSON. It may
	// hold a token: prefer the file or the environment to the flag.
	AuditAnchorWebhook string `toml:"audit_anchor_webhook"`
}

// Defaults and bounds of the publication schedule: an hour bounds how long
// a cut-off tail can go unnoticed on a quiet server, a thousand entries on a
// busy one; more than a head a minute, or fewer than one a day, is surely a
// mistake.
const (
	DefaultAuditAnchorInterval = time.Hour
	DefaultAuditAnchorEvery    = 1000
	MinAuditAnchorInterval     = time.Minute
	MaxAuditAnchorInterval     = day
	MaxAuditAnchorEvery        = 1_000_000
)

// DefaultAuditAnchor returns the publication settings used when nothing is
// set: the server log only.
func DefaultAuditAnchor() AuditAnchor {
	return AuditAnchor{AuditAnchorInterval: DefaultAuditAnchorInterval, AuditAnchorEvery: DefaultAuditAnchorEvery}
}

// auditAnchorOptions are the flags and variables of AuditAnchor; load.go
// appends them to options.
var auditAnchorOptions = []option{
	{"audit-anchor-file", "CONCLAVE_AUDIT_ANCHOR_FILE", "absolute path of a file, on another volume than the data dir, that audit log heads are appended to (default off)",
		str(func(c *Config) *string { return &c.AuditAnchorFile })},
	{"audit-anchor-interval", "CONCLAVE_AUDIT_ANCHOR_INTERVAL", "how often the audit log head is published (default " + durationText(DefaultAuditAnchorInterval) + ")",
		duration(func(c *Config) *time.Duration { return &c.AuditAnchorInterval })},
	{"audit-anchor-every", "CONCLAVE_AUDIT_ANCHOR_EVERY", "publish the audit log head after this many new entries (default " + strconv.Itoa(DefaultAuditAnchorEvery) + ")",
		num(func(c *Config) *int { return &c.AuditAnchorEvery })},
	{"audit-anchor-syslog", "CONCLAVE_AUDIT_ANCHOR_SYSLOG", "true: also send audit log heads to the local syslog/journald (default false)",
		boolean(func(c *Config) *bool { return &c.AuditAnchorSyslog })},
	{"audit-anchor-webhook", "CONCLAVE_AUDIT_ANCHOR_WEBHOOK", "URL that audit log heads are POSTed to as JSON (default off; https unless loopback)",
		str(func(c *Config) *string { return &c.AuditAnchorWebhook })},
}

// validateAuditAnchor checks the schedule's bounds, that the anchor file
// names one file wherever the command runs (the server writes it, `audit
// verify` reads it), and that the webhook is a URL heads may go to.
func (c Config) validateAuditAnchor() error {
	var errs []error
	if f := c.AuditAnchorFile; f != "" && !filepath.IsAbs(f) {
		errs = append(errs, fmt.Errorf("audit_anchor_file %q must be an absolute path", f))
	}
	if d := c.AuditAnchorInterval; d < MinAuditAnchorInterval || d > MaxAuditAnchorInterval {
		errs = append(errs, fmt.Errorf("audit_anchor_interval %s out of range %s-%s",
			d, MinAuditAnchorInterval, durationText(MaxAuditAnchorInterval)))
	}
	if n := c.AuditAnchorEvery; n < 1 || n > MaxAuditAnchorEvery {
		errs = append(errs, fmt.Errorf("audit_anchor_every %d out of range 1-%d", n, MaxAuditAnchorEvery))
	}
	if c.AuditAnchorWebhook != "" {
		errs = append(errs, validateWebhook(c.AuditAnchorWebhook))
	}
	return errors.Join(errs...)
}

// validateWebhook accepts an absolute http(s) URL, plain http only to
// loopback. Errors do not quote the URL: it may carry a token.
func validateWebhook(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("audit_anchor_webhook must be an absolute http(s) URL")
	}
	if u.Scheme == "http" && !isLoopbackHost(u.Hostname()) {
		return errors.New("audit_anchor_webhook must use https unless it points at loopback")
	}
	return nil
}
