package meeting

import (
	"fmt"
	"slices"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Lifetime defaults, used when the Policy leaves them zero.
const (
	DefaultLifetime    = 30 * 24 * time.Hour
	DefaultMaxLifetime = 366 * 24 * time.Hour
)

// MaxCohosts bounds the co-hosts named in advance; more belong in a group
// feature, not a list on every meeting.
const MaxCohosts = 20

// Policy is the organisation's frame for every meeting's settings.
type Policy struct {
	// ForceWaitingRoom refuses meetings without a waiting room.
	ForceWaitingRoom bool
	// RequireSignedIn makes every meeting signed-in participants only:
	// new meetings are stored so, asking otherwise is refused, and
	// Authorize treats older meetings so too.
	RequireSignedIn bool
	// LockScreenShare refuses meetings that open screen sharing to
	// everyone: the organisation locked it to hosts, co-hosts and
	// presenters (room.OrgPolicy enforces it live).
	LockScreenShare bool
	// MaxParticipants is the organisation's cap on a meeting's own limit;
	// 0 means no cap.
	MaxParticipants int
	// DefaultLifetime is how long a meeting without an end date lasts,
	// from its start (or creation); 0 means DefaultLifetime.
	DefaultLifetime time.Duration
	// MaxLifetime is how far ahead of now a meeting may end; 0 means
	// DefaultMaxLifetime.
	MaxLifetime time.Duration
	// Recording: the organisation allows recording (config `recording`);
	// without it a meeting asking to be recordable is refused.
	Recording bool
	// Transcription: the organisation allows transcription (config
	// `transcription`); without it a meeting asking to be transcribable
	// is refused.
	Transcription bool
	// RequireE2EE makes every meeting end-to-end encrypted (config
	// `require_e2ee`): new meetings are stored so, asking otherwise is
	// refused, and Authorize treats older meetings so too.
	RequireE2EE bool
}

func (p Policy) defaultLifetime() time.Duration {
	if p.DefaultLifetime <= 0 {
		return DefaultLifetime
	}
	return p.DefaultLifetime
}

func (p Policy) maxLifetime() time.Duration {
	if p.MaxLifetime <= 0 {
		return DefaultMaxLifetime
	}
	return p.MaxLifetime
}

// Options are a new meeting's settings as the host asks for them; zero
// values mean the defaults.
type Options struct {
	Title string
	// WaitingRoom nil means on: admitting people is the safe default.
	WaitingRoom *bool
	// JoinBeforeHost only matters without a waiting room; it is stored
	// either way so that turning the waiting room off later keeps it.
	JoinBeforeHost bool
	// ScreenShare is store.ScreenSharePresenters (default) or
	// store.ScreenShareEveryone.
	ScreenShare string
	// MaxParticipants is the meeting's own limit, 0 for the organisation's.
	MaxParticipants int
	// Recurrence is store.RecurrenceNone (default), RecurrenceDaily or
	// RecurrenceWeekly.
	Recurrence string
	// StartsAt is the first scheduled start; zero for an ad-hoc meeting.
	StartsAt time.Time
	// EndsAt is when the meeting expires; zero means StartsAt (or now)
	// plus the policy's default lifetime.
	EndsAt time.Time
	// Cohosts are user IDs; callers resolve e-mail addresses first.
	Cohosts []string
	// SignedInOnly refuses guests; nil means the policy's default (off
	// unless RequireSignedIn).
	SignedInOnly *bool
	// ChatHistory shows late joiners the earlier messages to everyone;
	// ChatAfter lets participants with an account read the chat they were
	// part of after the meeting. Both off unless asked for: each keeps
	// chat readable for longer or by more people.
	ChatHistory, ChatAfter bool
	// Recording lets hosts and co-hosts record the meeting (each
	// participant is still asked); refused where the organisation does
	// not allow recording.
	Recording bool
	// Transcription lets hosts and co-hosts transcribe the meeting (each
	// participant is still asked); refused where the organisation does
	// not allow transcription.
	Transcription bool
	// E2EE encrypts media end to end (docs/e2ee.md); nil means the
	// default: on in a sensitive meeting or under RequireE2EE, else off.
	E2EE *bool
	// Sensitive marks a meeting such as telehealth: E2EE defaults to on
	// (an explicit E2EE false still turns it off, unless RequireE2EE).
	Sensitive bool
}

// OptionError is a setting the policy or common sense refuses. Field names
// the option as the HTTP API spells it; Message is fit to show the user.
type OptionError struct {
	Field   string
	Message string
}

func (e *OptionError) Error() string { return e.Field + ": " + e.Message }

func optionErr(field, format string, args ...any) error {
	return &OptionError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// apply validates o against the policy at time now and returns the meeting
// it describes, without ID, passcode, host or creation time.
func (p Policy) apply(o Options, hostID string, now time.Time) (store.Meeting, error) {
	title, err := NormalizeTitle(o.Title)
	if err != nil {
		return store.Meeting{}, err
	}
	m := store.Meeting{
		Title: title, WaitingRoom: o.WaitingRoom == nil || *o.WaitingRoom, JoinBeforeHost: o.JoinBeforeHost,
		ScreenShare: orDefault(o.ScreenShare, store.ScreenSharePresenters), MaxParticipants: o.MaxParticipants,
		Recurrence:   orDefault(o.Recurrence, store.RecurrenceNone),
		SignedInOnly: p.RequireSignedIn || (o.SignedInOnly != nil && *o.SignedInOnly),
		ChatHistory:  o.ChatHistory, ChatAfter: o.ChatAfter, Recording: o.Recording,
		Transcription: o.Transcription,
		E2EE:          p.RequireE2EE || (o.E2EE == nil && o.Sensitive) || (o.E2EE != nil && *o.E2EE),
		Sensitive:     o.Sensitive,
	}
	if o.E2EE != nil && !*o.E2EE && p.RequireE2EE {
		return store.Meeting{}, optionErr("e2ee", "this server end-to-end encrypts every meeting")
	}
	if err := p.checkCapture(m); err != nil {
		return store.Meeting{}, err
	}
	if o.SignedInOnly != nil && !*o.SignedInOnly && p.RequireSignedIn {
		return store.Meeting{}, optionErr("signed_in_only", "this server admits only signed-in participants to every meeting")
	}
	if len(o.Cohosts) > 0 {
		m.Cohosts = slices.Clone(o.Cohosts) // the caller keeps its slice
	}
	if err := p.checkSettings(m); err != nil {
		return store.Meeting{}, err
	}
	if m.StartsAt, m.EndsAt, err = p.schedule(o, m.Recurrence, now); err != nil {
		return store.Meeting{}, err
	}
	if err := checkCohosts(o.Cohosts, hostID); err != nil {
		return store.Meeting{}, err
	}
	return m, nil
}

// checkCapture refuses what the server cannot or may not take of the
// meeting's media: recording and transcription each need the
// organisation's permission, and neither works on media encrypted end to
// end (the server has none to read).
func (p Policy) checkCapture(m store.Meeting) error {
	if m.E2EE && m.Recording {
		return optionErr("recording", "an end-to-end encrypted meeting cannot be recorded by the server")
	}
	if m.Recording && !p.Recording {
		return optionErr("recording", "this server does not allow recording meetings")
	}
	if m.E2EE && m.Transcription {
		return optionErr("transcription", "an end-to-end encrypted meeting cannot be transcribed by the server: it has no audio to transcribe")
	}
	if m.Transcription && !p.Transcription {
		return optionErr("transcription", "this server does not allow transcribing meetings")
	}
	return nil
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (p Policy) checkSettings(m store.Meeting) error {
	if !m.WaitingRoom && p.ForceWaitingRoom {
		return optionErr("waiting_room", "this server requires a waiting room in every meeting")
	}
	if m.ScreenShare != store.ScreenSharePresenters && m.ScreenShare != store.ScreenShareEveryone {
		return optionErr("screen_share", "must be %q or %q", store.ScreenSharePresenters, store.ScreenShareEveryone)
	}
	if m.ScreenShare == store.ScreenShareEveryone && p.LockScreenShare {
		return optionErr("screen_share", "locked by your organisation: only hosts, co-hosts and presenters share the screen")
	}
	switch m.Recurrence {
	case store.RecurrenceNone, store.RecurrenceDaily, store.RecurrenceWeekly:
	default:
		return optionErr("recurrence", "must be %q, %q or %q", store.RecurrenceNone, store.RecurrenceDaily, store.RecurrenceWeekly)
	}
	if m.MaxParticipants < 0 {
		return optionErr("max_participants", "must not be negative (0 means the server's limit)")
	}
	if p.MaxParticipants > 0 && m.MaxParticipants > p.MaxParticipants {
		return optionErr("max_participants", "must be at most %d, this server's limit", p.MaxParticipants)
	}
	return nil
}

// schedule works out the start and end in UTC. The end bounds how long a
// leaked invite link stays useful, so it is never open-ended.
func (p Policy) schedule(o Options, recurrence string, now time.Time) (starts, ends time.Time, err error) {
	starts, ends = utcOrZero(o.StartsAt), utcOrZero(o.EndsAt)
	field := "ends_at"
	if ends.IsZero() {
		if recurrence != store.RecurrenceNone {
			return starts, ends, optionErr("ends_at", "a recurring meeting needs an end date")
		}
		// Without an explicit end, a start too far ahead is what is wrong.
		field = "starts_at"
		from := now
		if !starts.IsZero() {
			from = starts
		}
		ends = from.Add(p.defaultLifetime())
	}
	if !ends.After(now) {
		return starts, ends, optionErr(field, "the meeting would end in the past")
	}
	if ends.After(now.Add(p.maxLifetime())) {
		return starts, ends, optionErr(field, "the meeting must end within %s from now", days(p.maxLifetime()))
	}
	if !starts.IsZero() && !starts.Before(ends) {
		return starts, ends, optionErr("ends_at", "must be after starts_at")
	}
	return starts, ends, nil
}

func utcOrZero(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// days writes d in days, as people think of meeting lifetimes, when it is
// a whole number of them.
func days(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d%day != 0:
		return d.String()
	case d == day:
		return "1 day"
	default:
		return fmt.Sprintf("%d days", d/day)
	}
}

func checkCohosts(ids []string, hostID string) error {
	if len(ids) > MaxCohosts {
		return optionErr("cohosts", "at most %d co-hosts", MaxCohosts)
	}
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		switch {
		case id == "":
			return optionErr("cohosts", "a co-host is empty")
		case id == hostID:
			return optionErr("cohosts", "the host is already in charge and cannot also be a co-host")
		case seen[id]:
			return optionErr("cohosts", "a co-host is named twice")
		}
		seen[id] = true
	}
	return nil
}
