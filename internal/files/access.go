package files

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Participant is someone admitted to a live meeting, as the signalling
// layer knows them.
type Participant struct {
	ID     string // participant ID, "p_…"
	UserID string // account ID; empty for guests
}

// Shared is a file just stored, as Access.Announce tells it to the
// recipients.
type Shared struct {
	ID        string
	Name      string // cleaned (SafeName)
	Size      int64
	Type      string // found in the content
	From      Participant
	To        []store.FileRecipient // empty: everyone in the meeting
	CreatedAt time.Time
}

// ErrRecipients is wrapped by Access.Recipients when `to` names someone
// who is not an admitted participant of the meeting, repeats someone,
// names only the sender, or is too long; its message is shown to the
// uploader.
var ErrRecipients = errors.New("recipients must be other participants in this meeting, each once")

// Access is the live meeting as the file routes need it. The signalling
// layer implements it: it hands every admitted participant a
// meeting-scoped capability (a random bearer token, valid while they are
// in the meeting), and answers from the room's state under its lock.
type Access interface {
	// Participant resolves a capability to the participant it was issued
	// to, or false: unknown token, another meeting's, expired, or the
	// participant left, was removed or put back in the waiting room, or
	// the meeting ended. Only admitted participants hold one.
	Participant(ctx context.Context, meetingID, token string) (Participant, bool)
	// MayShare reports whether p's current role may share a file now:
	// the permission table's file-sharing action for their role and the
	// meeting's settings (as chat.send and chat.private with chat on).
	// private is set when the file goes to named recipients.
	MayShare(ctx context.Context, meetingID string, p Participant, private bool) bool
	// Recipients checks to (participant IDs) as chat does: admitted
	// participants of the meeting other than from, each once, at most
	// the chat's limit, and returns them with their account IDs. Errors
	// the uploader caused wrap ErrRecipients.
	Recipients(ctx context.Context, meetingID string, from Participant, to []string) ([]store.FileRecipient, error)
	// Announce tells the recipients (everyone admitted when f.To is
	// empty) and the uploader, through the chat, that f was shared. It is
	// called once the file is stored; an error means nobody was told,
	// and the file is then deleted.
	Announce(ctx context.Context, meetingID string, f Shared) error
}

// mayDownload: the uploader, and the recipients, or everyone in the
// meeting for a file to everyone. A participant is matched by participant
// ID, and a signed-in one also by account, so that an account that
// rejoined (a new participant ID) still reaches what was sent to it.
func mayDownload(p Participant, f store.SharedFile) bool {
	if p.ID == f.UploaderID || (p.UserID != "" && p.UserID == f.UploaderUser) {
		return true
	}
	if f.ToEveryone() {
		return true
	}
	return slices.ContainsFunc(f.To, func(r store.FileRecipient) bool {
		return (r.ParticipantID == p.ID && r.ParticipantID != store.ErasedRecipient) || (p.UserID != "" && r.UserID == p.UserID)
	})
}
