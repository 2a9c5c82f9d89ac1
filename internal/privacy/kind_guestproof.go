package privacy

import (
	"context"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// GuestProofKind is the one-time proofs handed to guests so that they can
// make a data subject request about a participant ID later
// (Service.IssueGuestProof).
type GuestProofKind struct {
	Store store.GuestProofStore
	// Now is the clock (time.Now), for deleting proofs past their expiry.
	Now func() time.Time
}

// Declare implements Kind. The category is the meeting's: a proof is part
// of taking part in a meeting, and it is never kept longer than the
// meeting data it lets the guest ask about.
func (GuestProofKind) Declare() Declaration {
	return Declaration{
		Name:     "guest_proof",
		Category: CatMeeting,
		Description: "One-time proofs handed to guests: a guest's participant ID, the meeting, when the proof " +
			"was issued and when it expires, and a hash of the proof.",
		Purpose: "Let guests, who have no account, show that a participant ID was theirs when they exercise " +
			"their data protection rights.",
		LegalBasis: LegalObligation + " (facilitating the data subject's rights, Art. 12(2))",
		Storage:    "table guest_proofs",
		Fields: []string{"participant ID (plain)", "meeting ID (plain)", "issued and expiry times (plain)",
			"SHA-256 of the proof"},
	}
}

type guestProofRecord struct {
	MeetingID string    `json:"meeting_id"`
	IssuedAt  time.Time `json:"issued_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Export implements Kind: the participant's unused proofs, without their
// hashes (a credential check, not information about the person).
func (k GuestProofKind) Export(ctx context.Context, s Subject) ([]Item, error) {
	if !isParticipant(s.ID) {
		return nil, nil
	}
	ps, err := k.Store.GuestProofsByParticipant(ctx, s.ID)
	if err != nil {
		return nil, fmt.Errorf("guest proof: %w", err)
	}
	items := make([]Item, 0, len(ps))
	for _, p := range ps {
		items = append(items, Item{Record: guestProofRecord{MeetingID: p.MeetingID, IssuedAt: p.CreatedAt, ExpiresAt: p.ExpiresAt}})
	}
	return items, nil
}

// Erase implements Kind: the participant's unused proofs are deleted.
func (k GuestProofKind) Erase(ctx context.Context, s Subject) (Erased, error) {
	if !isParticipant(s.ID) {
		return Erased{}, nil
	}
	n, err := k.Store.DeleteGuestProofsByParticipant(ctx, s.ID)
	if err != nil {
		return Erased{}, fmt.Errorf("guest proof: %w", err)
	}
	return Erased{Deleted: n}, nil
}

// Expire implements Kind: proofs past their own expiry go, and so do
// those issued before the meeting category's cut-off, whichever is first.
func (k GuestProofKind) Expire(ctx context.Context, before time.Time) (int, error) {
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	n, err := k.Store.DeleteGuestProofsBefore(ctx, now(), before)
	if err != nil {
		return 0, fmt.Errorf("guest proof: %w", err)
	}
	return n, nil
}
