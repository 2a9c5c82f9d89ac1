package privacy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// MeetingStore is what the meeting kind reads and erases (sqlite.Store
// implements it).
type MeetingStore interface {
	MeetingsByHost(ctx context.Context, hostID string) ([]store.Meeting, error)
	HostedMeetingIDs(ctx context.Context, hostID string) ([]string, error)
	MeetingIDsEndedBefore(ctx context.Context, t time.Time) ([]string, error)
	// DeleteMeetings deletes the meetings with their co-hosts and bans and
	// destroys their keys.
	DeleteMeetings(ctx context.Context, ids []string) (int, error)
}

// MeetingKind is the meetings a person hosts.
type MeetingKind struct{ Store MeetingStore }

// Declare implements Kind.
func (MeetingKind) Declare() Declaration {
	return Declaration{
		Name:     "meeting",
		Category: CatMeeting,
		Description: "Meetings an account created: title and passcode (encrypted under the meeting's key), " +
			"schedule, access policy and named co-hosts.",
		Purpose:    "Let the host's participants find, join and run the meeting.",
		LegalBasis: Contract,
		Storage:    "tables meetings, meeting_cohosts, meeting_bans; key in table data_keys",
		Fields: []string{"meeting ID (plain)", "host account ID (plain)", "title (sealed)", "passcode (sealed)",
			"created, starts, ends (plain)", "policy settings (plain)", "co-host account IDs (plain)"},
	}
}

type meetingRecord struct {
	ID              string    `json:"id"`
	Title           string    `json:"title"`
	CreatedAt       time.Time `json:"created_at"`
	StartsAt        time.Time `json:"starts_at,omitzero"`
	EndsAt          time.Time `json:"ends_at,omitzero"`
	Recurrence      string    `json:"recurrence"`
	WaitingRoom     bool      `json:"waiting_room"`
	JoinBeforeHost  bool      `json:"join_before_host"`
	ScreenShare     string    `json:"screen_share"`
	MaxParticipants int       `json:"max_participants"`
	Cohosts         []string  `json:"cohosts,omitempty"`
}

// Export implements Kind. Passcodes are left out: they are access
// secrets, not information about the person.
func (k MeetingKind) Export(ctx context.Context, s Subject) ([]Item, error) {
	if !strings.HasPrefix(s.ID, "u_") {
		return nil, nil // guests host nothing
	}
	ms, err := k.Store.MeetingsByHost(ctx, s.ID)
	if err != nil {
		return nil, fmt.Errorf("meeting: %w", err)
	}
	items := make([]Item, 0, len(ms))
	for _, m := range ms {
		items = append(items, Item{Record: meetingRecord{ID: m.ID, Title: m.Title, CreatedAt: m.CreatedAt,
			StartsAt: m.StartsAt, EndsAt: m.EndsAt, Recurrence: m.Recurrence, WaitingRoom: m.WaitingRoom,
			JoinBeforeHost: m.JoinBeforeHost, ScreenShare: m.ScreenShare, MaxParticipants: m.MaxParticipants,
			Cohosts: m.Cohosts}})
	}
	return items, nil
}

// Erase implements Kind: the subject's hosted meetings are deleted and
// their keys shredded, so their titles are unreadable in later backups too.
func (k MeetingKind) Erase(ctx context.Context, s Subject) (Erased, error) {
	if !strings.HasPrefix(s.ID, "u_") {
		return Erased{}, nil
	}
	ids, err := k.Store.HostedMeetingIDs(ctx, s.ID)
	if err != nil {
		return Erased{}, fmt.Errorf("meeting: %w", err)
	}
	n, err := k.Store.DeleteMeetings(ctx, ids)
	if err != nil {
		return Erased{}, fmt.Errorf("meeting: %w", err)
	}
	return Erased{Deleted: n, Shredded: n}, nil
}

// Expire implements Kind: meetings that ended before the cut-off are
// deleted with their keys. Meetings without an end are kept.
func (k MeetingKind) Expire(ctx context.Context, before time.Time) (int, error) {
	ids, err := k.Store.MeetingIDsEndedBefore(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("meeting: %w", err)
	}
	n, err := k.Store.DeleteMeetings(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("meeting: %w", err)
	}
	return n, nil
}

// DeleteMeeting erases one meeting the way expiry and erasure do (the
// same rows go, and its key is destroyed), for a host or administrator
// deleting it.
func (k MeetingKind) DeleteMeeting(ctx context.Context, id string) (Erased, error) {
	n, err := k.Store.DeleteMeetings(ctx, []string{id})
	if err != nil {
		return Erased{}, fmt.Errorf("meeting: %w", err)
	}
	return Erased{Deleted: n, Shredded: n}, nil
}
