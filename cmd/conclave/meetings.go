package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/store"
)

// meetingPolicy is the organisation policy the configuration sets; serve
// and meeting create share it so that both refuse the same settings.
func meetingPolicy(cfg config.Config) meeting.Policy {
	return meeting.Policy{
		ForceWaitingRoom: cfg.ForceWaitingRoom,
		RequireSignedIn:  cfg.RequireSignedIn,
		LockScreenShare:  cfg.LockScreenShare,
		MaxParticipants:  cfg.MaxParticipants,
		DefaultLifetime:  cfg.MeetingLifetime,
		MaxLifetime:      cfg.MaxMeetingLifetime,
		Recording:        cfg.Recording.Recording,
		Transcription:    cfg.Transcription.Transcription,
		RequireE2EE:      cfg.RequireE2EE,
	}
}

// meetingFlags are meeting create's settings flags.
type meetingFlags struct {
	noWaitingRoom, joinBeforeHost bool
	recording, transcription      bool
	sensitive                     bool
	e2ee                          optionalBool
	screenShare, recurrence       string
	starts, ends                  string
	maxParticipants               int
	cohosts                       []string

	// Filled by parse.
	startsAt, endsAt time.Time
}

func (f *meetingFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.noWaitingRoom, "no-waiting-room", false, "let people in without admitting them (refused if the server forces a waiting room)")
	fs.BoolVar(&f.joinBeforeHost, "join-before-host", false, "without a waiting room, let people in before the host or a co-host")
	fs.Var(&f.e2ee, "e2ee", "end-to-end encrypt the meeting's media; --e2ee=false turns it off in a --sensitive meeting (default: on if --sensitive or required by the server)")
	fs.BoolVar(&f.sensitive, "sensitive", false, "mark the meeting sensitive (telehealth, counselling): end-to-end encrypted unless --e2ee=false")
	fs.BoolVar(&f.recording, "recording", false, "let hosts and co-hosts record, each participant consenting (refused unless the server allows recording)")
	fs.BoolVar(&f.transcription, "transcription", false, "let hosts and co-hosts transcribe, each participant consenting (refused unless the server allows transcription)")
	fs.StringVar(&f.screenShare, "screen-share", store.ScreenSharePresenters, "who may share the screen: presenters or everyone")
	fs.IntVar(&f.maxParticipants, "max-participants", 0, "participant limit of this meeting (default: the server's)")
	fs.StringVar(&f.recurrence, "recurrence", store.RecurrenceNone, "none, daily or weekly (daily and weekly need --ends)")
	fs.StringVar(&f.starts, "starts", "", "first start, RFC 3339 such as 2025-06-02T09:00:00Z (default: ad hoc)")
	fs.StringVar(&f.ends, "ends", "", "RFC 3339 time after which nobody joins (default: start or now plus meeting_lifetime)")
	fs.Func("cohost", "e-mail of an account to make co-host (repeatable)", func(v string) error {
		f.cohosts = append(f.cohosts, v)
		return nil
	})
}

// parse checks what needs no database: times and e-mail syntax.
func (f *meetingFlags) parse() error {
	var err error
	if f.startsAt, err = parseFlagTime("--starts", f.starts); err != nil {
		return err
	}
	if f.endsAt, err = parseFlagTime("--ends", f.ends); err != nil {
		return err
	}
	for i, email := range f.cohosts {
		norm, err := auth.NormalizeEmail(email)
		if err != nil {
			return usageError{"meeting create: --cohost: " + err.Error()}
		}
		f.cohosts[i] = norm
	}
	return nil
}

func parseFlagTime(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, usageError{fmt.Sprintf("meeting create: %s %q is not an RFC 3339 time such as 2025-06-02T09:00:00Z", name, v)}
	}
	return t, nil
}

// options resolves the co-hosts' e-mails to accounts and returns the
// settings for meeting.Service.Create.
func (f *meetingFlags) options(ctx context.Context, st serverStore, title string) (meeting.Options, error) {
	o := meeting.Options{
		Title: title, JoinBeforeHost: f.joinBeforeHost, ScreenShare: f.screenShare,
		MaxParticipants: f.maxParticipants, Recurrence: f.recurrence,
		StartsAt: f.startsAt, EndsAt: f.endsAt, Recording: f.recording, Transcription: f.transcription,
		Sensitive: f.sensitive, E2EE: f.e2ee.v,
	}
	if f.noWaitingRoom {
		off := false
		o.WaitingRoom = &off
	}
	for _, email := range f.cohosts {
		u, err := st.UserByEmail(ctx, email)
		if errors.Is(err, store.ErrNotFound) {
			return meeting.Options{}, fmt.Errorf("--cohost: no account with e-mail %s", email)
		}
		if err != nil {
			return meeting.Options{}, err
		}
		o.Cohosts = append(o.Cohosts, u.ID)
	}
	return o, nil
}

// optionFlags names the flag behind each meeting.OptionError field.
var optionFlags = map[string]string{
	"waiting_room": "--no-waiting-room", "join_before_host": "--join-before-host",
	"screen_share": "--screen-share", "max_participants": "--max-participants",
	"recurrence": "--recurrence", "starts_at": "--starts", "ends_at": "--ends", "cohosts": "--cohost",
	"e2ee": "--e2ee", "recording": "--recording", "transcription": "--transcription",
}

// optionalBool is a boolean flag that knows whether it was given:
// --e2ee, --e2ee=true and --e2ee=false differ from leaving it out.
type optionalBool struct{ v *bool }

func (b *optionalBool) String() string {
	if b == nil || b.v == nil {
		return ""
	}
	return strconv.FormatBool(*b.v)
}

func (b *optionalBool) Set(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.v = &v
	return nil
}

func (b *optionalBool) IsBoolFlag() bool { return true }

// asUsageError turns a refused setting into a usage error naming its flag.
func asUsageError(err error) error {
	var oe *meeting.OptionError
	if !errors.As(err, &oe) {
		return err
	}
	name, ok := optionFlags[oe.Field]
	if !ok {
		name = oe.Field
	}
	return usageError{"meeting create: " + name + ": " + oe.Message}
}

// meetingSettings is the policy part of meeting create's --json output.
type meetingSettings struct {
	WaitingRoom     bool       `json:"waiting_room"`
	JoinBeforeHost  bool       `json:"join_before_host"`
	ScreenShare     string     `json:"screen_share"`
	MaxParticipants int        `json:"max_participants"`
	Recurrence      string     `json:"recurrence"`
	StartsAt        *time.Time `json:"starts_at"` // null for an ad-hoc meeting
	EndsAt          time.Time  `json:"ends_at"`
	Cohosts         []string   `json:"cohosts"` // e-mail addresses
	E2EE            bool       `json:"e2ee"`
	Sensitive       bool       `json:"sensitive"`
}

func settingsOf(m store.Meeting, cohostEmails []string) meetingSettings {
	s := meetingSettings{
		WaitingRoom: m.WaitingRoom, JoinBeforeHost: m.JoinBeforeHost, ScreenShare: m.ScreenShare,
		MaxParticipants: m.MaxParticipants, Recurrence: m.Recurrence, EndsAt: m.EndsAt.UTC(),
		Cohosts: append([]string{}, cohostEmails...), E2EE: m.E2EE, Sensitive: m.Sensitive,
	}
	if !m.StartsAt.IsZero() {
		starts := m.StartsAt.UTC()
		s.StartsAt = &starts
	}
	return s
}

// printSettings writes the settings in printMeeting's layout, leaving out
// the ones an ad-hoc meeting does not have.
func printSettings(w io.Writer, s meetingSettings) error {
	lines := [][2]string{
		{"Waiting:", waitingRoom(s)},
		{"Sharing:", s.ScreenShare},
		{"Limit:", participantLimit(s.MaxParticipants)},
		{"Media:", mediaEncryption(s)},
	}
	if s.StartsAt != nil {
		lines = append(lines, [2]string{"Starts:", s.StartsAt.Format(time.RFC3339)})
	}
	if s.Recurrence != store.RecurrenceNone {
		lines = append(lines, [2]string{"Repeats:", s.Recurrence})
	}
	lines = append(lines, [2]string{"Ends:", s.EndsAt.Format(time.RFC3339)})
	if len(s.Cohosts) > 0 {
		lines = append(lines, [2]string{"Co-hosts:", strings.Join(s.Cohosts, ", ")})
	}
	for _, l := range lines {
		if _, err := fmt.Fprintf(w, "  %-9s %s\n", l[0], l[1]); err != nil {
			return err
		}
	}
	return nil
}

// waitingRoom describes the waiting room and, when it is off, whether
// people may get in before the host (which only matters then).
func waitingRoom(s meetingSettings) string {
	switch {
	case s.WaitingRoom:
		return "on"
	case s.JoinBeforeHost:
		return "off, people may join before the host"
	default:
		return "off, people wait for the host"
	}
}

// mediaEncryption says who could see and hear the meeting, and whether
// it is marked sensitive.
func mediaEncryption(s meetingSettings) string {
	out := "encrypted to the server (the server could see and hear it)"
	if s.E2EE {
		out = "end-to-end encrypted"
	}
	if s.Sensitive {
		out += "; sensitive"
	}
	return out
}

func participantLimit(n int) string {
	if n == 0 {
		return "server default"
	}
	return fmt.Sprintf("%d participants", n)
}
