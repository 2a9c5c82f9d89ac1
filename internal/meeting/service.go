package meeting

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/conclave-meet/conclave/internal/store"
)

// ErrJoinRefused covers both an unknown meeting and a wrong passcode, so a
// caller cannot probe which meeting IDs exist.
var ErrJoinRefused = errors.New("meeting: join refused")

// ErrMeetingExpired means the passcode was right but the meeting's end
// date has passed. Only someone holding the passcode learns this.
var ErrMeetingExpired = errors.New("meeting: expired")

// ErrBadTitle means the title is too long or contains control characters.
var ErrBadTitle = errors.New("title must be at most 120 characters without control characters")

// Title limits.
const (
	MaxTitleLen  = 120
	DefaultTitle = "Meeting"
)

// createAttempts bounds retries on an ID collision, which at 80 bits only
// a broken random source could cause.
const createAttempts = 3

// dummyPasscode is compared against when the meeting does not exist, so the
// refusal costs the same as a wrong passcode.
var dummyPasscode = strings.Repeat("0", passcodeChars)

// Store is what the service needs of the database.
type Store interface {
	CreateMeeting(ctx context.Context, m store.Meeting) error
	MeetingByID(ctx context.Context, id string) (store.Meeting, error)
	MeetingsByHost(ctx context.Context, hostID string) ([]store.Meeting, error)
	SetMeetingPasscode(ctx context.Context, id, passcode string) error
}

// Service creates and authorises meetings.
type Service struct {
	Store Store
	// Policy is the organisation's frame for meeting settings.
	Policy Policy
	// Clock returns the current time; nil means time.Now.
	Clock func() time.Time
}

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now().UTC()
	}
	return s.Clock().UTC()
}

// Create stores a new meeting hosted by hostID with the settings in o. The
// title is trimmed; empty becomes DefaultTitle. A bad title is ErrBadTitle,
// a setting the policy refuses an *OptionError.
func (s *Service) Create(ctx context.Context, hostID string, o Options) (store.Meeting, error) {
	now := s.now()
	m, err := s.Policy.apply(o, hostID, now)
	if err != nil {
		return store.Meeting{}, err
	}
	m.HostID, m.CreatedAt = hostID, now
	for range createAttempts {
		m.ID, m.Passcode = NewID(), NewPasscode()
		err = s.Store.CreateMeeting(ctx, m)
		if err == nil {
			return m, nil
		}
		if !errors.Is(err, store.ErrConflict) {
			break
		}
	}
	return store.Meeting{}, fmt.Errorf("create meeting: %w", err)
}

// ListByHost returns the host's meetings, newest first.
func (s *Service) ListByHost(ctx context.Context, hostID string) ([]store.Meeting, error) {
	ms, err := s.Store.MeetingsByHost(ctx, hostID)
	if err != nil {
		return nil, fmt.Errorf("list meetings: %w", err)
	}
	return ms, nil
}

// Authorize returns the meeting when id names one and passcode matches it.
// Unknown meeting, malformed ID and wrong passcode all yield ErrJoinRefused
// after one constant-time comparison; other errors are server faults. A
// right passcode for a meeting whose end date has passed (or that has
// none) yields ErrMeetingExpired.
func (s *Service) Authorize(ctx context.Context, id, passcode string) (store.Meeting, error) {
	given := NormalizePasscode(passcode)
	m, err := s.lookup(ctx, id)
	if errors.Is(err, ErrJoinRefused) {
		subtle.ConstantTimeCompare([]byte(given), []byte(dummyPasscode))
		return store.Meeting{}, ErrJoinRefused
	}
	if err != nil {
		return store.Meeting{}, err
	}
	if subtle.ConstantTimeCompare([]byte(given), []byte(m.Passcode)) != 1 {
		return store.Meeting{}, ErrJoinRefused
	}
	// Checked only after the passcode, so expiry reveals nothing to
	// someone without it. A zero EndsAt fails closed.
	if !s.now().Before(m.EndsAt) {
		return store.Meeting{}, ErrMeetingExpired
	}
	// The policy covers meetings created before it was turned on.
	m.SignedInOnly = m.SignedInOnly || s.Policy.RequireSignedIn
	m.E2EE = m.E2EE || s.Policy.RequireE2EE
	return m, nil
}

func (s *Service) lookup(ctx context.Context, id string) (store.Meeting, error) {
	norm, err := NormalizeID(id)
	if err != nil {
		return store.Meeting{}, ErrJoinRefused
	}
	m, err := s.Store.MeetingByID(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return store.Meeting{}, ErrJoinRefused
	}
	if err != nil {
		return store.Meeting{}, fmt.Errorf("authorize meeting: %w", err)
	}
	return m, nil
}

// NormalizeTitle trims t, defaults it and checks its length and characters.
func NormalizeTitle(t string) (string, error) {
	t = strings.TrimSpace(t)
	if t == "" {
		return DefaultTitle, nil
	}
	if !utf8.ValidString(t) || utf8.RuneCountInString(t) > MaxTitleLen {
		return "", ErrBadTitle
	}
	for _, r := range t {
		if unicode.IsControl(r) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
			return "", ErrBadTitle
		}
	}
	return t, nil
}

// JoinURL is the one-click link: the passcode rides in the fragment, which
// browsers never send to the server or in Referer headers.
func JoinURL(publicURL string, m store.Meeting) string {
	return strings.TrimRight(publicURL, "/") + "/m/" + m.ID + "#pwd=" + m.Passcode
}

// RegeneratePasscode gives the meeting a new passcode and returns the
// meeting with it. The old passcode stops admitting at once: Authorize
// reads the stored passcode on every join. ErrNotFound (wrapped) when the
// meeting does not exist.
func (s *Service) RegeneratePasscode(ctx context.Context, id string) (store.Meeting, error) {
	m, err := s.Store.MeetingByID(ctx, id)
	if err != nil {
		return store.Meeting{}, fmt.Errorf("regenerate passcode: %w", err)
	}
	m.Passcode = NewPasscode()
	if err := s.Store.SetMeetingPasscode(ctx, id, m.Passcode); err != nil {
		return store.Meeting{}, fmt.Errorf("regenerate passcode: %w", err)
	}
	return m, nil
}
