package audit

import (
	"errors"
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrInvalidEvent is wrapped by Append's validation errors.
var ErrInvalidEvent = errors.New("audit: invalid event")

// Limits on details: a handful of short facts, not a payload.
const (
	MaxDetails        = 16
	MaxDetailValueLen = 256
)

var (
	// subjectID is a prefix and an opaque ID ("u_...", "p_..."): it admits
	// no "@", ".", or space, so e-mail addresses and names are refused.
	subjectID = regexp.MustCompile(`^[a-z]{1,8}_[A-Za-z0-9_-]{1,64}$`)
	meetingID = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	detailKey = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,31}$`)
)

// ValidSubject reports whether s is a subject ID as entries require.
func ValidSubject(s string) bool { return subjectID.MatchString(s) }

// ValidMeetingID reports whether s is acceptable as an entry's meeting ID.
func ValidMeetingID(s string) bool { return meetingID.MatchString(s) }

// validate checks ev and returns its client address in canonical form.
func validate(ev Event) (string, error) {
	switch {
	case !ev.Action.Valid():
		return "", invalidf("unknown action %q", ev.Action)
	case !ev.Outcome.Valid():
		return "", invalidf("unknown outcome %q", ev.Outcome)
	case ev.Actor != "" && !ValidSubject(ev.Actor):
		return "", invalidf("actor is not a subject ID")
	case ev.Target != "" && !ValidSubject(ev.Target):
		return "", invalidf("target is not a subject ID")
	case ev.Meeting != "" && !ValidMeetingID(ev.Meeting):
		return "", invalidf("meeting is not a meeting ID")
	}
	if err := validateDetails(ev.Details); err != nil {
		return "", err
	}
	return canonicalAddr(ev.ClientAddr)
}

// canonicalAddr accepts an IP address only (no port, no host name) and
// returns it in one spelling, IPv4-mapped IPv6 as IPv4, without zone.
func canonicalAddr(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return "", invalidf("client address is not an IP address")
	}
	return ip.Unmap().WithZone("").String(), nil
}

// validateDetails refuses values that are long, contain control
// characters, or contain "@": a tripwire for e-mail addresses, which
// belong in erasable tables and never in the chain. Error messages do not
// repeat the values.
func validateDetails(d map[string]string) error {
	if len(d) > MaxDetails {
		return invalidf("more than %d details", MaxDetails)
	}
	for k, v := range d {
		if !detailKey.MatchString(k) {
			return invalidf("detail key %q is not a lower-case identifier", k)
		}
		if len(v) > MaxDetailValueLen || !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
			return invalidf("detail %s is too long or not plain text", k)
		}
		if strings.Contains(v, "@") {
			return invalidf("detail %s looks like an e-mail address", k)
		}
	}
	return nil
}

func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidEvent, fmt.Sprintf(format, args...))
}
