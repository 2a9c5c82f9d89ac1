package store

import (
	"context"
	"time"
)

// MeetingBan is one row of a meeting's ban list (see BanUser, BanDevice).
type MeetingBan struct {
	MeetingID string
	Kind      string
	Subject   string
	CreatedAt time.Time
}

// Subject request kinds (GDPR Art. 15, 16, 17, 18, 20, 21) and states.
const (
	RequestAccess        = "access"
	RequestErasure       = "erasure"
	RequestRectification = "rectification"
	RequestPortability   = "portability"
	RequestRestriction   = "restriction"
	RequestObjection     = "objection"

	RequestOpen     = "open"
	RequestDone     = "done"
	RequestRejected = "rejected"
)

// SubjectRequest is a data subject's request, tracked against its legal
// deadline (Art. 12(3)).
type SubjectRequest struct {
	ID         int64
	Kind       string // RequestAccess, RequestErasure, ...
	SubjectRef string // a subject ID or a free note identifying the person
	ReceivedAt time.Time
	DueAt      time.Time
	Status     string    // RequestOpen, RequestDone or RequestRejected
	ClosedAt   time.Time // zero while open
	Notes      string
}

// Scrubber is implemented by a backend that can make deleted rows
// unreadable in its files: SQLite checkpoints and truncates its
// write-ahead log, whose old frames would otherwise keep copies of erased
// pages. It is maintenance of one backend, not part of Store: PostgreSQL
// has no equivalent, and erases by destroying data keys (docs/architecture.md,
// "Storage backends"). Callers that scrub check for it.
type Scrubber interface {
	ScrubDeleted(ctx context.Context) error
}

// PrivacyStore holds what the data-protection tooling (package privacy)
// needs beyond the core store: finding and removing one person's rows, and
// the register of subject requests.
type PrivacyStore interface {
	// SessionsByUser lists the user's login sessions, oldest first.
	SessionsByUser(ctx context.Context, userID string) ([]Session, error)
	// DeleteUserSessions removes all of the user's sessions.
	DeleteUserSessions(ctx context.Context, userID string) (int, error)
	// BansBySubject lists the bans of kind naming subject, in any meeting.
	BansBySubject(ctx context.Context, kind, subject string) ([]MeetingBan, error)
	// DeleteBansBySubject removes them.
	DeleteBansBySubject(ctx context.Context, kind, subject string) (int, error)
	// DeleteAuditAddrs removes the client addresses (and their salts) of
	// the given audit entries; the entries themselves stay.
	DeleteAuditAddrs(ctx context.Context, seqs []int64) (int, error)

	// CreateSubjectRequest stores r (ID is assigned) and returns it.
	CreateSubjectRequest(ctx context.Context, r SubjectRequest) (SubjectRequest, error)
	// SubjectRequests lists requests, open ones only when openOnly,
	// earliest deadline first.
	SubjectRequests(ctx context.Context, openOnly bool) ([]SubjectRequest, error)
	// CloseSubjectRequest sets an open request's status (done or rejected),
	// closing time and notes; ErrNotFound when no open request has the ID.
	CloseSubjectRequest(ctx context.Context, id int64, status string, at time.Time, notes string) (SubjectRequest, error)
}
