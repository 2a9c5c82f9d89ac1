package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

const guestProofColumns = "token_hash, participant_id, meeting_id, created_at, expires_at"

// AddGuestProof implements store.GuestProofStore.
func (s *Store) AddGuestProof(ctx context.Context, p store.GuestProof) error {
	_, err := s.db.ExecContext(ctx, "INSERT INTO guest_proofs ("+guestProofColumns+") VALUES (?, ?, ?, ?, ?)",
		p.TokenHash, p.ParticipantID, p.MeetingID, toDB(p.CreatedAt), toDB(p.ExpiresAt))
	return mapErr("add guest proof", err)
}

// ConsumeGuestProof implements store.GuestProofStore: one DELETE …
// RETURNING checks and consumes, so two requests presenting the same token
// at once cannot both get it.
func (s *Store) ConsumeGuestProof(ctx context.Context, tokenHash []byte, participantID string, now time.Time) (store.GuestProof, error) {
	p, err := scanGuestProof(s.db.QueryRowContext(ctx,
		"DELETE FROM guest_proofs WHERE token_hash = ? AND participant_id = ? AND expires_at > ? RETURNING "+guestProofColumns,
		tokenHash, participantID, toDB(now)))
	return p, mapErr("consume guest proof", err)
}

// GuestProofsByParticipant implements store.GuestProofStore.
func (s *Store) GuestProofsByParticipant(ctx context.Context, participantID string) ([]store.GuestProof, error) {
	var out []store.GuestProof
	err := s.queryEach(ctx, "SELECT "+guestProofColumns+" FROM guest_proofs WHERE participant_id = ? ORDER BY created_at, token_hash",
		[]any{participantID}, func(r *sql.Rows) error {
			p, err := scanGuestProof(r)
			out = append(out, p)
			return err
		})
	return out, mapErr("guest proofs by participant", err)
}

// DeleteGuestProofsByParticipant implements store.GuestProofStore.
func (s *Store) DeleteGuestProofsByParticipant(ctx context.Context, participantID string) (int, error) {
	return s.execCount(ctx, "delete guest proofs", "DELETE FROM guest_proofs WHERE participant_id = ?", participantID)
}

// DeleteGuestProofsBefore implements store.GuestProofStore.
func (s *Store) DeleteGuestProofsBefore(ctx context.Context, expiredBefore, createdBefore time.Time) (int, error) {
	return s.execCount(ctx, "expire guest proofs", "DELETE FROM guest_proofs WHERE expires_at < ? OR created_at < ?",
		toDB(expiredBefore), toDB(createdBefore))
}

func scanGuestProof(row rowScanner) (store.GuestProof, error) {
	var (
		p                store.GuestProof
		created, expires int64
	)
	if err := row.Scan(&p.TokenHash, &p.ParticipantID, &p.MeetingID, &created, &expires); err != nil {
		return store.GuestProof{}, err
	}
	p.CreatedAt, p.ExpiresAt = fromDB(created), fromDB(expires)
	return p, nil
}
