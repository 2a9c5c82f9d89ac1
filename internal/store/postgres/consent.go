package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
)

const noticeColumns = "version, markdown, created_at, created_by"

// AddNotice stores n as the next version. The table is locked against
// other publishers (on any node) for the transaction, so two cannot take
// the same number; readers do not wait.
func (s *Store) AddNotice(ctx context.Context, n store.Notice) (store.Notice, error) {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "LOCK TABLE notices IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			return err
		}
		return tx.QueryRow(ctx,
			"INSERT INTO notices (version, markdown, created_at, created_by) "+
				"SELECT coalesce(max(version), 0) + 1, $1, $2, $3 FROM notices RETURNING version",
			n.Markdown, toDB(n.CreatedAt), n.CreatedBy).Scan(&n.Version)
	})
	if err != nil {
		return store.Notice{}, mapErr("add notice", err)
	}
	n.CreatedAt = fromDB(toDB(n.CreatedAt))
	return n, nil
}

func scanNotice(row pgx.Row) (store.Notice, error) {
	var (
		n       store.Notice
		created int64
	)
	if err := row.Scan(&n.Version, &n.Markdown, &created, &n.CreatedBy); err != nil {
		return store.Notice{}, err
	}
	n.CreatedAt = fromDB(created)
	return n, nil
}

// CurrentNotice returns the highest version.
func (s *Store) CurrentNotice(ctx context.Context) (store.Notice, error) {
	n, err := scanNotice(s.pool.QueryRow(ctx, "SELECT "+noticeColumns+" FROM notices ORDER BY version DESC LIMIT 1"))
	return n, mapErr("current notice", err)
}

// Notices returns every version, newest first.
func (s *Store) Notices(ctx context.Context) ([]store.Notice, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+noticeColumns+" FROM notices ORDER BY version DESC")
	if err != nil {
		return nil, mapErr("list notices", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Notice, error) { return scanNotice(r) })
	return nilIfNone(out), mapErr("list notices", err)
}

// AddConsent appends c to the ledger.
func (s *Store) AddConsent(ctx context.Context, c store.Consent) (store.Consent, error) {
	c, err := insertConsent(ctx, s.pool, c)
	return c, mapErr("add consent", err)
}

// insertConsent appends c through q, the pool or a transaction.
func insertConsent(ctx context.Context, q querier, c store.Consent) (store.Consent, error) {
	var meeting *string
	if c.MeetingID != "" {
		meeting = &c.MeetingID
	}
	var withdrawn *int64
	if !c.WithdrawnAt.IsZero() {
		w := toDB(c.WithdrawnAt)
		withdrawn = &w
	}
	err := q.QueryRow(ctx,
		"INSERT INTO consents (subject_id, kind, version, meeting_id, given_at, withdrawn_at) "+
			"VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
		c.SubjectID, c.Kind, c.Version, meeting, toDB(c.GivenAt), withdrawn).Scan(&c.ID)
	if err != nil {
		return store.Consent{}, err
	}
	c.GivenAt = fromDB(toDB(c.GivenAt))
	if !c.WithdrawnAt.IsZero() {
		c.WithdrawnAt = fromDB(toDB(c.WithdrawnAt))
	}
	return c, nil
}

// WithdrawConsent marks the subject's standing consents of kind withdrawn.
func (s *Store) WithdrawConsent(ctx context.Context, subjectID, kind, meetingID string, at time.Time) (int, error) {
	n, err := withdrawConsent(ctx, s.pool, subjectID, kind, meetingID, at)
	return n, mapErr("withdraw consent", err)
}

func withdrawConsent(ctx context.Context, q querier, subjectID, kind, meetingID string, at time.Time) (int, error) {
	tag, err := q.Exec(ctx,
		"UPDATE consents SET withdrawn_at = $1 "+
			"WHERE subject_id = $2 AND kind = $3 AND withdrawn_at IS NULL AND ($4 = '' OR meeting_id = $4)",
		toDB(at), subjectID, kind, meetingID)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// ConsentsBySubject returns the subject's entries, oldest first.
func (s *Store) ConsentsBySubject(ctx context.Context, subjectID string) ([]store.Consent, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT id, subject_id, kind, version, meeting_id, given_at, withdrawn_at FROM consents WHERE subject_id = $1 ORDER BY id",
		subjectID)
	if err != nil {
		return nil, mapErr("list consents", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Consent, error) {
		var (
			c         store.Consent
			meeting   *string
			given     int64
			withdrawn *int64
		)
		if err := r.Scan(&c.ID, &c.SubjectID, &c.Kind, &c.Version, &meeting, &given, &withdrawn); err != nil {
			return store.Consent{}, err
		}
		if meeting != nil {
			c.MeetingID = *meeting
		}
		c.GivenAt = fromDB(given)
		if withdrawn != nil {
			c.WithdrawnAt = fromDB(*withdrawn)
		}
		return c, nil
	})
	return nilIfNone(out), mapErr("list consents", err)
}

// DeleteConsentsBefore deletes entries given before t.
func (s *Store) DeleteConsentsBefore(ctx context.Context, t time.Time) (int, error) {
	return s.execCount(ctx, "delete consents", "DELETE FROM consents WHERE given_at < $1", toDB(t))
}

// AddConsentAudited implements store.ConsentAuditStore: the consent and
// its audit entry go into one transaction, the entry appended under the
// audit lock.
func (s *Store) AddConsentAudited(ctx context.Context, c store.Consent, e store.AuditEntry, seal store.AuditSeal) (store.Consent, store.AuditEntry, error) {
	var out store.AuditEntry
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if c, err = insertConsent(ctx, tx, c); err != nil {
			return fmt.Errorf("insert consent: %w", err)
		}
		out, err = appendAudit(ctx, tx, e, seal)
		return err
	})
	if err != nil {
		return store.Consent{}, store.AuditEntry{}, mapErr("add consent with its audit entry", err)
	}
	return c, out, nil
}

// WithdrawConsentAudited implements store.ConsentAuditStore: the ledger
// never shows a withdrawal the audit log does not, nor the reverse.
func (s *Store) WithdrawConsentAudited(ctx context.Context, subjectID, kind, meetingID string, at time.Time,
	e store.AuditEntry, seal store.AuditSeal) (int, store.AuditEntry, error) {
	var (
		n   int
		out store.AuditEntry
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if n, err = withdrawConsent(ctx, tx, subjectID, kind, meetingID, at); err != nil || n == 0 {
			return err
		}
		out, err = appendAudit(ctx, tx, e, seal)
		return err
	})
	if err != nil {
		return 0, store.AuditEntry{}, mapErr("withdraw consent with its audit entry", err)
	}
	return n, out, nil
}

const guestProofColumns = "token_hash, participant_id, meeting_id, created_at, expires_at"

// AddGuestProof implements store.GuestProofStore.
func (s *Store) AddGuestProof(ctx context.Context, p store.GuestProof) error {
	_, err := s.pool.Exec(ctx, "INSERT INTO guest_proofs ("+guestProofColumns+") VALUES ($1, $2, $3, $4, $5)",
		p.TokenHash, p.ParticipantID, p.MeetingID, toDB(p.CreatedAt), toDB(p.ExpiresAt))
	return mapErr("add guest proof", err)
}

// ConsumeGuestProof implements store.GuestProofStore: one DELETE …
// RETURNING checks and consumes, so two requests presenting the same token
// at once, on any nodes, cannot both get it.
func (s *Store) ConsumeGuestProof(ctx context.Context, tokenHash []byte, participantID string, now time.Time) (store.GuestProof, error) {
	p, err := scanGuestProof(s.pool.QueryRow(ctx,
		"DELETE FROM guest_proofs WHERE token_hash = $1 AND participant_id = $2 AND expires_at > $3 RETURNING "+guestProofColumns,
		tokenHash, participantID, toDB(now)))
	return p, mapErr("consume guest proof", err)
}

// GuestProofsByParticipant implements store.GuestProofStore.
func (s *Store) GuestProofsByParticipant(ctx context.Context, participantID string) ([]store.GuestProof, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT "+guestProofColumns+" FROM guest_proofs WHERE participant_id = $1 ORDER BY created_at, token_hash", participantID)
	if err != nil {
		return nil, mapErr("guest proofs by participant", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.GuestProof, error) { return scanGuestProof(r) })
	return nilIfNone(out), mapErr("guest proofs by participant", err)
}

// DeleteGuestProofsByParticipant implements store.GuestProofStore.
func (s *Store) DeleteGuestProofsByParticipant(ctx context.Context, participantID string) (int, error) {
	return s.execCount(ctx, "delete guest proofs", "DELETE FROM guest_proofs WHERE participant_id = $1", participantID)
}

// DeleteGuestProofsBefore implements store.GuestProofStore.
func (s *Store) DeleteGuestProofsBefore(ctx context.Context, expiredBefore, createdBefore time.Time) (int, error) {
	return s.execCount(ctx, "expire guest proofs", "DELETE FROM guest_proofs WHERE expires_at < $1 OR created_at < $2",
		toDB(expiredBefore), toDB(createdBefore))
}

func scanGuestProof(row pgx.Row) (store.GuestProof, error) {
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

var (
	_ store.ConsentStore      = (*Store)(nil)
	_ store.ConsentAuditStore = (*Store)(nil)
	_ store.GuestProofStore   = (*Store)(nil)
)

// nilIfNone returns nil for an empty list, as the SQLite store does.
func nilIfNone[T any](xs []T) []T {
	if len(xs) == 0 {
		return nil
	}
	return xs
}
