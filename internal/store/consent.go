package store

import (
	"context"
	"time"
)

// Notice is one published version of the privacy notice. Versions are
// append-only: a change publishes a new version, so that every recorded
// acceptance still points at the exact text the person saw.
type Notice struct {
	Version   int // 1, 2, 3, ... assigned by AddNotice
	Markdown  string
	CreatedAt time.Time
	CreatedBy string // account ID of the publisher; "" for the built-in default
}

// Consent kinds.
const (
	ConsentNotice        = "notice"        // the privacy notice was read and accepted
	ConsentRecording     = "recording"     // being recorded
	ConsentTranscription = "transcription" // being transcribed
)

// Consent is one entry of the consent ledger: who (an account "u_…" or a
// guest participant "p_…") accepted or consented to what, and when.
type Consent struct {
	ID        int64
	SubjectID string
	Kind      string // ConsentNotice, ConsentRecording or ConsentTranscription
	Version   int    // the notice version for ConsentNotice; 0 otherwise
	MeetingID string // "" when not tied to a meeting
	GivenAt   time.Time
	// WithdrawnAt is zero while the consent stands.
	WithdrawnAt time.Time
}

// ConsentStore keeps the privacy notice versions and the consent ledger.
type ConsentStore interface {
	// AddNotice stores n as the next version (n.Version is ignored) and
	// returns it with its version.
	AddNotice(ctx context.Context, n Notice) (Notice, error)
	// CurrentNotice returns the highest version; ErrNotFound when none.
	CurrentNotice(ctx context.Context) (Notice, error)
	// Notices returns every version, newest first.
	Notices(ctx context.Context) ([]Notice, error)

	// AddConsent records c (c.ID is ignored) and returns it with its ID.
	AddConsent(ctx context.Context, c Consent) (Consent, error)
	// WithdrawConsent sets WithdrawnAt on the subject's standing consents
	// of kind in meetingID ("" for any) and returns how many it changed.
	WithdrawConsent(ctx context.Context, subjectID, kind, meetingID string, at time.Time) (int, error)
	// ConsentsBySubject returns the subject's ledger entries, oldest first.
	ConsentsBySubject(ctx context.Context, subjectID string) ([]Consent, error)
	// DeleteConsentsBefore deletes entries given before t and returns how
	// many.
	DeleteConsentsBefore(ctx context.Context, t time.Time) (int, error)
}
