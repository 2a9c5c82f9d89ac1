package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// MaxParticipantsLimit bounds max_participants; one SFU process cannot
// usefully forward to more.
const MaxParticipantsLimit = 10000

// Bounds of the meeting lifetimes. Under an hour is surely a unit mistake
// (a bare TOML number is nanoseconds); beyond ten years an invite link is
// as good as permanent, which is what the lifetime exists to prevent.
const (
	MinMeetingLifetime   = time.Hour
	MeetingLifetimeLimit = 10 * 366 * 24 * time.Hour
)

// Validate checks the configuration and reports every problem at once, each
// naming the option to fix.
func (c Config) Validate() error {
	return errors.Join(
		c.validateListen(),
		c.validateTLS(),
		c.validatePublicURL(),
		c.validateMedia(),
		c.validatePorts(),
		c.validateMisc(),
		c.validateMeetings(),
		c.validateMetrics(),
		c.validatePrivacy(),
		c.validateAuditAnchor(),
		c.validateReleaseFeed(),
		c.validateFiles(),
		c.validateRecording(),
		c.validateTranscription(),
		c.validateRemoteControl(),
		c.validateSecrets(),
		c.validateCluster(),
		c.validateAccounts(),
		c.validateOIDC(),
		c.validateStore(),
	)
}

func (c Config) listenPort() (int, error) {
	_, port, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return 0, fmt.Errorf("port %q out of range", port)
	}
	return n, nil
}

func (c Config) validateListen() error {
	if _, err := c.listenPort(); err != nil {
		return fmt.Errorf("listen %q must be host:port: %w", c.Listen, err)
	}
	return nil
}

// validateTLS enforces HTTPS off loopback: cookies, the camera and the
// microphone all need a secure context, and passwords must not cross the
// network in clear.
func (c Config) validateTLS() error {
	var errs []error
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("tls_cert and tls_key must be set together"))
	}
	if c.TLSCert != "" && c.ACMEDomain != "" {
		errs = append(errs, errors.New("set either tls_cert/tls_key or acme_domain, not both"))
	}
	if c.ACMEEmail != "" && c.ACMEDomain == "" {
		errs = append(errs, errors.New("acme_email needs acme_domain"))
	}
	if c.ACMEDomain != "" && !validDomain(c.ACMEDomain) {
		errs = append(errs, fmt.Errorf("acme_domain %q must be a bare DNS name (no scheme, port or IP)", c.ACMEDomain))
	}
	if !IsLoopback(c) && !c.TLSEnabled() {
		errs = append(errs, c.tlsRequiredError())
	}
	return errors.Join(errs...)
}

func (c Config) tlsRequiredError() error {
	host := c.listenHost()
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return fmt.Errorf("listen %q accepts connections on every interface and therefore requires HTTPS: "+
			"set tls_cert and tls_key, or acme_domain, or listen on localhost", c.Listen)
	}
	return fmt.Errorf("listen %q is not loopback and therefore requires HTTPS: "+
		"set tls_cert and tls_key, or acme_domain", c.Listen)
}

func validDomain(d string) bool {
	if d == "" || len(d) > 253 || net.ParseIP(d) != nil || strings.ContainsAny(d, ":/ \t") {
		return false
	}
	return strings.Contains(d, ".") || strings.EqualFold(d, "localhost")
}

func (c Config) validatePublicURL() error {
	if c.PublicURL == "" {
		return fmt.Errorf("public_url is required when listen %q names no host (set --public-url)", c.Listen)
	}
	u, err := url.Parse(c.PublicURL)
	if err != nil {
		return fmt.Errorf("public_url: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("public_url %q must be an absolute http(s) URL", c.PublicURL)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("public_url %q must be an origin only (no path, query or credentials)", c.PublicURL)
	}
	if c.Secure() && u.Scheme != "https" {
		return fmt.Errorf("public_url %q must use https because the server uses HTTPS", c.PublicURL)
	}
	return nil
}

// validateMedia requires a concrete bind address: ICE host candidates
// advertise it, and an unspecified address would advertise nothing usable.
func (c Config) validateMedia() error {
	var errs []error
	ip := net.ParseIP(c.MediaAddr)
	switch {
	case c.MediaAddr == "":
		errs = append(errs, fmt.Errorf("media_addr is required when listen %q names no IP address: "+
			"set --media-addr to the IP of the interface media should use", c.Listen))
	case ip == nil || ip.IsUnspecified():
		errs = append(errs, fmt.Errorf("media_addr %q must be a concrete IP address", c.MediaAddr))
	}
	if c.PublicIP != "" {
		pip := net.ParseIP(c.PublicIP)
		if pip == nil || pip.IsUnspecified() || pip.IsLoopback() {
			errs = append(errs, fmt.Errorf("public_ip %q must be a routable IP address", c.PublicIP))
		}
	}
	return errors.Join(errs...)
}

func (c Config) validatePorts() error {
	var errs []error
	if c.MediaPort < 0 || c.MediaPort > 65535 {
		errs = append(errs, fmt.Errorf("media_port %d out of range 0-65535 (0 picks a free port)", c.MediaPort))
	}
	if c.TURNPort < 0 || c.TURNPort > 65535 {
		errs = append(errs, fmt.Errorf("turn_port %d out of range 0-65535 (0 disables TURN)", c.TURNPort))
	}
	if c.TURNMaxPerCredential < 1 || c.TURNMaxPerCredential > 64 {
		errs = append(errs, fmt.Errorf("turn_max_per_credential %d out of range 1-64", c.TURNMaxPerCredential))
	}
	if c.TURNMaxPerAddress < 1 || c.TURNMaxPerAddress > 65535 {
		errs = append(errs, fmt.Errorf("turn_max_per_address %d out of range 1-65535", c.TURNMaxPerAddress))
	}
	if c.TURNPort != 0 && c.TURNPort == c.MediaPort && c.MediaPort != 0 {
		errs = append(errs, fmt.Errorf("turn_port and media_port must differ (both %d)", c.MediaPort))
	}
	if lp, err := c.listenPort(); err == nil && lp != 0 && (lp == c.MediaPort || lp == c.TURNPort) {
		errs = append(errs, fmt.Errorf("listen port %d collides with media_port or turn_port", lp))
	}
	return errors.Join(errs...)
}

func (c Config) validateMisc() error {
	var errs []error
	if strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, errors.New("data_dir must not be empty"))
	}
	if c.MinFreeMB < 0 || c.MinFreeMB > MaxMinFreeMB {
		errs = append(errs, fmt.Errorf("min_free_mb %d out of range 0-%d (0 disables the check)", c.MinFreeMB, MaxMinFreeMB))
	}
	switch strings.ToLower(c.LogLevel) {
	case "debug", "info", "warn", "warning", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level %q must be debug, info, warn or error", c.LogLevel))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("log_format %q must be text or json", c.LogFormat))
	}
	if c.JoinsPerAddress < 1 || c.JoinsPerAddress > 100_000 {
		errs = append(errs, fmt.Errorf("joins_per_address %d out of range 1-100000", c.JoinsPerAddress))
	}
	if c.JoinsPerMeeting < 1 || c.JoinsPerMeeting > 100_000 {
		errs = append(errs, fmt.Errorf("joins_per_meeting %d out of range 1-100000", c.JoinsPerMeeting))
	}
	if c.MaxParticipants < 1 || c.MaxParticipants > MaxParticipantsLimit {
		errs = append(errs, fmt.Errorf("max_participants %d out of range 1-%d", c.MaxParticipants, MaxParticipantsLimit))
	}
	return errors.Join(errs...)
}

func (c Config) validateMeetings() error {
	var errs []error
	if c.ResumeGrace != 0 && (c.ResumeGrace < time.Second || c.ResumeGrace > MaxResumeGrace) {
		errs = append(errs, fmt.Errorf("resume_grace %s out of range: 0s (off) or 1s-%s", c.ResumeGrace, durationText(MaxResumeGrace)))
	}
	if c.MaxMeetingLifetime < MinMeetingLifetime || c.MaxMeetingLifetime > MeetingLifetimeLimit {
		errs = append(errs, fmt.Errorf("max_meeting_lifetime %s out of range %s-%s (write durations as strings such as \"8784h\")",
			c.MaxMeetingLifetime, durationText(MinMeetingLifetime), durationText(MeetingLifetimeLimit)))
	}
	if c.MeetingLifetime < MinMeetingLifetime || c.MeetingLifetime > c.MaxMeetingLifetime {
		errs = append(errs, fmt.Errorf("meeting_lifetime %s must be at least %s and at most max_meeting_lifetime (%s)",
			c.MeetingLifetime, durationText(MinMeetingLifetime), durationText(c.MaxMeetingLifetime)))
	}
	return errors.Join(errs...)
}

// validateMetrics keeps /metrics off the public listener: a separate
// address, loopback unless a bearer token protects it.
func (c Config) validateMetrics() error {
	if c.MetricsListen == "" {
		if c.MetricsToken != "" {
			return errors.New("metrics_token needs metrics_listen")
		}
		return nil
	}
	host, port, err := net.SplitHostPort(c.MetricsListen)
	if err != nil {
		return fmt.Errorf("metrics_listen %q must be host:port: %w", c.MetricsListen, err)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("metrics_listen port %q out of range", port)
	}
	if c.MetricsListen == c.Listen && port != "0" {
		return errors.New("metrics_listen must differ from listen: metrics stay off the public listener")
	}
	if !isLoopbackHost(host) && c.MetricsToken == "" {
		return fmt.Errorf("metrics_listen %q is not loopback and therefore requires metrics_token", c.MetricsListen)
	}
	return nil
}
