package config

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"
)

// Privacy holds the data-protection settings: who the controller is, whom
// data subjects contact, and how long each category of personal data is
// kept (docs/privacy.md). It is embedded in Config, so its keys sit at the
// top level of the TOML file.
type Privacy struct {
	// Organisation is the controller named in the records of processing
	// and on the transparency page.
	Organisation string `toml:"organisation"`
	// PrivacyContact is where data subjects send requests and questions
	// (an e-mail address, a postal address or a URL).
	PrivacyContact string `toml:"privacy_contact"`

	// Retention periods, one per privacy.Category; 0 keeps data forever,
	// which only account and audit_log allow (see zeroAllowed).
	RetentionRecording      time.Duration `toml:"retention_recording"`
	RetentionTranscript     time.Duration `toml:"retention_transcript"`
	RetentionChat           time.Duration `toml:"retention_chat"`
	RetentionFile           time.Duration `toml:"retention_file"`
	RetentionMeeting        time.Duration `toml:"retention_meeting"`
	RetentionAccount        time.Duration `toml:"retention_account"`
	RetentionConsent        time.Duration `toml:"retention_consent"`
	RetentionAuditLog       time.Duration `toml:"retention_audit_log"`
	RetentionSubjectRequest time.Duration `toml:"retention_subject_request"`

	// Upper limits a host may set for one meeting's recordings,
	// transcripts, chat and files (meeting retention overrides).
	MaxRetentionRecording  time.Duration `toml:"max_retention_recording"`
	MaxRetentionTranscript time.Duration `toml:"max_retention_transcript"`
	MaxRetentionChat       time.Duration `toml:"max_retention_chat"`
	MaxRetentionFile       time.Duration `toml:"max_retention_file"`

	// RetentionSweep is how often expired data is deleted.
	RetentionSweep time.Duration `toml:"retention_sweep"`
}

// Retention defaults: meeting content a month, meeting metadata a quarter,
// accounts after two years without sign-in, the audit log two years, and
// consent and subject-request records three years, the usual limitation
// period for claims that they would serve as evidence in.
const (
	day                            = 24 * time.Hour
	DefaultRetentionContent        = 30 * day
	DefaultRetentionMeeting        = 90 * day
	DefaultRetentionAccount        = 731 * day
	DefaultRetentionAuditLog       = 731 * day
	DefaultRetentionConsent        = 1096 * day
	DefaultRetentionSubjectRequest = 1096 * day
	DefaultMaxRetentionContent     = 90 * day
	DefaultRetentionSweep          = time.Hour
)

// Bounds of the retention settings. Under an hour is surely a unit mistake
// (a bare TOML number is nanoseconds); beyond ten years data is as good as
// kept forever, which only 0 may say, and only where it is allowed.
const (
	MinRetention   = time.Hour
	RetentionLimit = 10 * 366 * day
	MinSweep       = time.Minute
	MaxSweep       = day
)

// DefaultPrivacy returns the privacy settings used when nothing is set.
func DefaultPrivacy() Privacy {
	return Privacy{
		RetentionRecording:      DefaultRetentionContent,
		RetentionTranscript:     DefaultRetentionContent,
		RetentionChat:           DefaultRetentionContent,
		RetentionFile:           DefaultRetentionContent,
		RetentionMeeting:        DefaultRetentionMeeting,
		RetentionAccount:        DefaultRetentionAccount,
		RetentionConsent:        DefaultRetentionConsent,
		RetentionAuditLog:       DefaultRetentionAuditLog,
		RetentionSubjectRequest: DefaultRetentionSubjectRequest,
		MaxRetentionRecording:   DefaultMaxRetentionContent,
		MaxRetentionTranscript:  DefaultMaxRetentionContent,
		MaxRetentionChat:        DefaultMaxRetentionContent,
		MaxRetentionFile:        DefaultMaxRetentionContent,
		RetentionSweep:          DefaultRetentionSweep,
	}
}

// zeroAllowed names the categories that may be kept forever: accounts stay
// while their owner uses the service (an administrator deletes them), and
// an organisation may be obliged to keep its audit trail without limit.
// Everything else must expire.
var zeroAllowed = map[string]bool{"account": true, "audit_log": true}

// Retention returns the organisation's retention period per category
// name (the privacy.Category values); 0 means kept forever.
func (p Privacy) Retention() map[string]time.Duration {
	return map[string]time.Duration{
		"recording": p.RetentionRecording, "transcript": p.RetentionTranscript,
		"chat": p.RetentionChat, "file": p.RetentionFile, "meeting": p.RetentionMeeting,
		"account": p.RetentionAccount, "consent": p.RetentionConsent,
		"audit_log": p.RetentionAuditLog, "subject_request": p.RetentionSubjectRequest,
	}
}

// OverrideLimits returns, per category a host may override for one
// meeting, the longest period the host may choose.
func (p Privacy) OverrideLimits() map[string]time.Duration {
	return map[string]time.Duration{
		"recording": p.MaxRetentionRecording, "transcript": p.MaxRetentionTranscript,
		"chat": p.MaxRetentionChat, "file": p.MaxRetentionFile,
	}
}

// privacyOptions are the flags and variables of Privacy; load.go appends
// them to options.
var privacyOptions = []option{
	{"organisation", "CONCLAVE_ORGANISATION", "controller named in the records of processing and the privacy page",
		str(func(c *Config) *string { return &c.Organisation })},
	{"privacy-contact", "CONCLAVE_PRIVACY_CONTACT", "where people send data-protection requests (e-mail, address or URL)",
		str(func(c *Config) *string { return &c.PrivacyContact })},
	retentionOption("recording", func(c *Config) *time.Duration { return &c.RetentionRecording }),
	retentionOption("transcript", func(c *Config) *time.Duration { return &c.RetentionTranscript }),
	retentionOption("chat", func(c *Config) *time.Duration { return &c.RetentionChat }),
	retentionOption("file", func(c *Config) *time.Duration { return &c.RetentionFile }),
	retentionOption("meeting", func(c *Config) *time.Duration { return &c.RetentionMeeting }),
	retentionOption("account", func(c *Config) *time.Duration { return &c.RetentionAccount }),
	retentionOption("consent", func(c *Config) *time.Duration { return &c.RetentionConsent }),
	retentionOption("audit-log", func(c *Config) *time.Duration { return &c.RetentionAuditLog }),
	retentionOption("subject-request", func(c *Config) *time.Duration { return &c.RetentionSubjectRequest }),
	maxRetentionOption("recording", func(c *Config) *time.Duration { return &c.MaxRetentionRecording }),
	maxRetentionOption("transcript", func(c *Config) *time.Duration { return &c.MaxRetentionTranscript }),
	maxRetentionOption("chat", func(c *Config) *time.Duration { return &c.MaxRetentionChat }),
	maxRetentionOption("file", func(c *Config) *time.Duration { return &c.MaxRetentionFile }),
	{"retention-sweep", "CONCLAVE_RETENTION_SWEEP", "how often expired personal data is deleted (default " + durationText(DefaultRetentionSweep) + ")",
		duration(func(c *Config) *time.Duration { return &c.RetentionSweep })},
}

func retentionOption(cat string, field func(*Config) *time.Duration) option {
	return option{"retention-" + cat, "CONCLAVE_RETENTION_" + envName(cat),
		"how long " + cat + " data is kept (docs/privacy.md)", duration(field)}
}

func maxRetentionOption(cat string, field func(*Config) *time.Duration) option {
	return option{"max-retention-" + cat, "CONCLAVE_MAX_RETENTION_" + envName(cat),
		"longest " + cat + " retention a host may set for one meeting", duration(field)}
}

func envName(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c == '-':
			b[i] = '_'
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// validatePrivacy checks every period against its bounds, and that no
// default for a category hosts may override exceeds what a host may set.
func (c Config) validatePrivacy() error {
	var errs []error
	periods, limits := c.Retention(), c.OverrideLimits()
	for _, cat := range slices.Sorted(maps.Keys(periods)) {
		if d := periods[cat]; d != 0 || !zeroAllowed[cat] {
			errs = append(errs, checkPeriod("retention_"+cat, d))
		}
	}
	for _, cat := range slices.Sorted(maps.Keys(limits)) {
		limit := limits[cat]
		if err := checkPeriod("max_retention_"+cat, limit); err != nil {
			errs = append(errs, err)
		} else if d := periods[cat]; d > limit {
			errs = append(errs, fmt.Errorf("retention_%s %s exceeds max_retention_%s %s",
				cat, durationText(d), cat, durationText(limit)))
		}
	}
	if c.RetentionSweep < MinSweep || c.RetentionSweep > MaxSweep {
		errs = append(errs, fmt.Errorf("retention_sweep %s out of range %s-%s",
			c.RetentionSweep, MinSweep, durationText(MaxSweep)))
	}
	return errors.Join(errs...)
}

func checkPeriod(key string, d time.Duration) error {
	if d == 0 {
		return fmt.Errorf("%s must not be 0: only retention_account and retention_audit_log may keep data forever", key)
	}
	if d < MinRetention || d > RetentionLimit {
		return fmt.Errorf("%s %s out of range %s-%s (write durations as strings such as \"720h\")",
			key, d, durationText(MinRetention), durationText(RetentionLimit))
	}
	return nil
}
