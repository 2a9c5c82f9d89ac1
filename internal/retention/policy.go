// Package retention enforces storage limitation (GDPR Art. 5(1)(e)): it
// knows how long each category of personal data is kept — the
// organisation's periods from the configuration, and a meeting's own
// periods where its host chose them within the administrator's limits —
// and a sweeper that periodically asks every registered privacy.Kind to
// delete what has expired.
package retention

import (
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/privacy"
)

// Categories lists every retention category in the order reports show them.
var Categories = []privacy.Category{
	privacy.CatAccount, privacy.CatMeeting, privacy.CatRecording, privacy.CatTranscript,
	privacy.CatChat, privacy.CatFile, privacy.CatConsent, privacy.CatAudit, privacy.CatRequest,
}

// Overridable lists the categories a host may give a meeting-specific
// period: the meeting's own content, not the records kept about people.
var Overridable = []privacy.Category{privacy.CatRecording, privacy.CatTranscript, privacy.CatChat, privacy.CatFile}

// Policy holds the effective retention periods.
type Policy struct {
	// Periods is the organisation's period per category; 0 keeps forever.
	Periods map[privacy.Category]time.Duration
	// Limits is the longest period a host may set for one meeting, per
	// overridable category.
	Limits map[privacy.Category]time.Duration
}

// FromConfig returns the policy of the running configuration.
func FromConfig(p config.Privacy) Policy {
	pol := Policy{Periods: map[privacy.Category]time.Duration{}, Limits: map[privacy.Category]time.Duration{}}
	for cat, d := range p.Retention() {
		pol.Periods[privacy.Category(cat)] = d
	}
	for cat, d := range p.OverrideLimits() {
		pol.Limits[privacy.Category(cat)] = d
	}
	return pol
}

// Period returns the organisation's period for c; ok is false for a
// category the configuration does not know, whose data must not be
// touched rather than guessed at.
func (p Policy) Period(c privacy.Category) (d time.Duration, ok bool) {
	d, ok = p.Periods[c]
	return d, ok
}

// ErrOverride is wrapped by CheckOverride's refusals.
var ErrOverride = errors.New("retention: override refused")

// CheckOverride reports whether a host may keep category c of one meeting
// for d: only overridable categories, at least an hour, at most the limit.
func (p Policy) CheckOverride(c privacy.Category, d time.Duration) error {
	limit, ok := p.Limits[c]
	switch {
	case !ok:
		return fmt.Errorf("%w: %q cannot be set per meeting (only recording, transcript, chat, file)", ErrOverride, c)
	case d < config.MinRetention:
		return fmt.Errorf("%w: %s retention must be at least %s", ErrOverride, c, config.MinRetention)
	case d > limit:
		return fmt.Errorf("%w: %s retention must be at most %s, the organisation's limit", ErrOverride, c, Text(limit))
	}
	return nil
}

// Text writes a period the way people read it: whole days as "30 days",
// otherwise Go's duration syntax; 0 as "kept until deleted".
func Text(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d == 0:
		return "kept until deleted"
	case d%day == 0 && d == day:
		return "1 day"
	case d%day == 0:
		return fmt.Sprintf("%d days", d/day)
	}
	return d.String()
}
