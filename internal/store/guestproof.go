package store

import (
	"context"
	"time"
)

// GuestProof is a one-time proof handed to a guest participant: whoever
// presents the token later shows that the participant ID was theirs, and
// may make a data subject request about it. Only the SHA-256 of the token
// is stored, so a copy of the database cannot be used to make requests.
type GuestProof struct {
	TokenHash     []byte
	ParticipantID string // "p_…"
	MeetingID     string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

// GuestProofStore keeps the guest proofs (package privacy mints and
// checks them).
type GuestProofStore interface {
	// AddGuestProof stores p; ErrConflict when its hash is stored already.
	AddGuestProof(ctx context.Context, p GuestProof) error
	// ConsumeGuestProof deletes and returns the proof whose hash is
	// tokenHash, but only when it belongs to participantID and has not
	// expired at now; otherwise it changes nothing and returns
	// ErrNotFound. The check and the deletion are one statement, so a
	// proof is consumed once however many requests present it at the same
	// time.
	ConsumeGuestProof(ctx context.Context, tokenHash []byte, participantID string, now time.Time) (GuestProof, error)
	// GuestProofsByParticipant lists the participant's proofs, oldest
	// first.
	GuestProofsByParticipant(ctx context.Context, participantID string) ([]GuestProof, error)
	// DeleteGuestProofsByParticipant deletes them and returns how many.
	DeleteGuestProofsByParticipant(ctx context.Context, participantID string) (int, error)
	// DeleteGuestProofsBefore deletes the proofs that expired before
	// expiredBefore or were created before createdBefore, and returns how
	// many.
	DeleteGuestProofsBefore(ctx context.Context, expiredBefore, createdBefore time.Time) (int, error)
}
