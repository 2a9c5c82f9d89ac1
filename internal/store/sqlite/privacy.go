package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/conclave-meet/conclave/internal/store"
)

// SessionsByUser implements store.PrivacyStore.
func (s *Store) SessionsByUser(ctx context.Context, userID string) ([]store.Session, error) {
	var out []store.Session
	err := s.queryEach(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE user_id = ? ORDER BY created_at, token_hash",
		[]any{userID}, func(r *sql.Rows) error {
			sess, err := scanSession(r)
			out = append(out, sess)
			return err
		})
	return out, mapErr("sessions by user", err)
}

// DeleteUserSessions implements store.PrivacyStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	return s.execCount(ctx, "delete user sessions", "DELETE FROM sessions WHERE user_id = ?", userID)
}

// BansBySubject implements store.PrivacyStore.
func (s *Store) BansBySubject(ctx context.Context, kind, subject string) ([]store.MeetingBan, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT meeting_id, kind, subject, created_at FROM meeting_bans WHERE kind = ? AND subject = ? "+
			"ORDER BY created_at, meeting_id", kind, subject)
	if err != nil {
		return nil, mapErr("bans by subject", err)
	}
	defer rows.Close()
	var out []store.MeetingBan
	for rows.Next() {
		var b store.MeetingBan
		var created int64
		if err := rows.Scan(&b.MeetingID, &b.Kind, &b.Subject, &created); err != nil {
			return nil, fmt.Errorf("bans by subject: %w", err)
		}
		b.CreatedAt = fromDB(created)
		out = append(out, b)
	}
	return out, mapErr("bans by subject", rows.Err())
}

// DeleteBansBySubject implements store.PrivacyStore.
func (s *Store) DeleteBansBySubject(ctx context.Context, kind, subject string) (int, error) {
	return s.execCount(ctx, "delete bans by subject",
		"DELETE FROM meeting_bans WHERE kind = ? AND subject = ?", kind, subject)
}

// auditAddrBatch stays well below SQLite's limit on bound parameters.
const auditAddrBatch = 500

// DeleteAuditAddrs implements store.PrivacyStore. The audit_addr trigger
// forbids UPDATE only, so deleting is allowed and leaves the chain intact.
func (s *Store) DeleteAuditAddrs(ctx context.Context, seqs []int64) (int, error) {
	total := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for len(seqs) > 0 {
			batch := seqs[:min(len(seqs), auditAddrBatch)]
			seqs = seqs[len(batch):]
			n, err := deleteAddrBatch(ctx, tx, batch)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	return total, mapErr("delete audit addresses", err)
}

func deleteAddrBatch(ctx context.Context, tx *sql.Tx, seqs []int64) (int, error) {
	args := make([]any, len(seqs))
	for i, seq := range seqs {
		args[i] = seq
	}
	res, err := tx.ExecContext(ctx,
		"DELETE FROM audit_addr WHERE seq IN (?"+strings.Repeat(", ?", len(seqs)-1)+")", args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ScrubDeleted implements store.PrivacyStore. Deleted rows are zeroed in
// their pages (secure_delete, see dsnParams), but until a checkpoint the
// database file still holds the old pages and the WAL file keeps old
// frames even after one; TRUNCATE copies everything back and empties it.
func (s *Store) ScrubDeleted(ctx context.Context) error {
	var busy, logFrames, checkpointed int
	err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &checkpointed)
	if err != nil {
		return mapErr("scrub deleted rows", err)
	}
	if busy != 0 {
		return fmt.Errorf("scrub deleted rows: checkpoint blocked by a reader; run again")
	}
	return nil
}

func (s *Store) execCount(ctx context.Context, op, query string, args ...any) (int, error) {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, mapErr(op, err)
	}
	n, err := res.RowsAffected()
	return int(n), mapErr(op, err)
}
