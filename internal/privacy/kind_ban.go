package privacy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// BanStore is what the ban kind reads and erases.
type BanStore interface {
	BansBySubject(ctx context.Context, kind, subject string) ([]store.MeetingBan, error)
	DeleteBansBySubject(ctx context.Context, kind, subject string) (int, error)
}

// BanKind is the meeting bans naming an account. Guests are banned by a
// hash of their browser's device token, which nothing links to their
// participant ID, so a guest has no ban that can be found or erased.
type BanKind struct{ Store BanStore }

// Declare implements Kind.
func (BanKind) Declare() Declaration {
	return Declaration{
		Name:        "ban",
		Category:    CatMeeting,
		Description: "Meetings the person was removed from for good, and when.",
		Purpose:     "Keep someone a host removed from rejoining that meeting.",
		LegalBasis:  LegitimateInterest + " (hosts keeping their meetings free of disruption)",
		Storage:     "table meeting_bans",
		Fields: []string{"meeting ID (plain)", "account ID or SHA-256 of a guest's device token (plain)",
			"time (plain)"},
	}
}

type banRecord struct {
	MeetingID string    `json:"meeting_id"`
	BannedAt  time.Time `json:"banned_at"`
}

// Export implements Kind.
func (k BanKind) Export(ctx context.Context, s Subject) ([]Item, error) {
	if !strings.HasPrefix(s.ID, "u_") {
		return nil, nil
	}
	bans, err := k.Store.BansBySubject(ctx, store.BanUser, s.ID)
	if err != nil {
		return nil, fmt.Errorf("ban: %w", err)
	}
	items := make([]Item, 0, len(bans))
	for _, b := range bans {
		items = append(items, Item{Record: banRecord{MeetingID: b.MeetingID, BannedAt: b.CreatedAt}})
	}
	return items, nil
}

// Erase implements Kind. The bans are deleted rather than kept: they name
// the account ID, and an erased account can never sign in again, so they
// would protect nothing.
func (k BanKind) Erase(ctx context.Context, s Subject) (Erased, error) {
	if !strings.HasPrefix(s.ID, "u_") {
		return Erased{Note: "guest bans name a device-token hash that is not linked to the participant"}, nil
	}
	n, err := k.Store.DeleteBansBySubject(ctx, store.BanUser, s.ID)
	if err != nil {
		return Erased{}, fmt.Errorf("ban: %w", err)
	}
	return Erased{Deleted: n}, nil
}

// Expire implements Kind. Bans go with their meeting (ON DELETE CASCADE),
// whose retention the meeting kind applies.
func (BanKind) Expire(context.Context, time.Time) (int, error) { return 0, nil }
