package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// EraseUser erases an account in one transaction: its sessions, co-host
// entries and credentials are deleted, its subject key is destroyed (so its sealed name and
// e-mail are unreadable in every copy of the database) and its row becomes
// a tombstone holding only ID, role and creation time. The row is kept,
// not deleted: deleting would cascade to the meetings it hosts (which the
// "meeting" kind erases with their keys) and would leave the user IDs in
// the append-only audit log pointing nowhere instead of at an erased
// account. Erasing an erased account does nothing; ErrNotFound when there
// is no such account.
func (s *Store) EraseUser(ctx context.Context, id string, at time.Time) (store.UserErasure, error) {
	var out store.UserErasure
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = eraseUserTx(ctx, tx, id, at)
		return err
	})
	if err != nil {
		return store.UserErasure{}, mapErr("erase user", err)
	}
	s.scrubBestEffort(ctx)
	return out, nil
}

func eraseUserTx(ctx context.Context, tx *sql.Tx, id string, at time.Time) (store.UserErasure, error) {
	var out store.UserErasure
	res, err := tx.ExecContext(ctx, "UPDATE users SET email_index = NULL, email_sealed = NULL, "+
		"name_sealed = NULL, password_hash = '', password_changed_at = 0, erased_at = ? WHERE id = ? AND erased_at = 0", toDB(at), id)
	if err != nil {
		return out, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return out, errors.Join(err, existsOrNotFound(ctx, tx, id))
	}
	if out.Sessions, err = execTx(ctx, tx, "DELETE FROM sessions WHERE user_id = ?", id); err != nil {
		return out, err
	}
	if out.Cohosts, err = execTx(ctx, tx, "DELETE FROM meeting_cohosts WHERE user_id = ?", id); err != nil {
		return out, err
	}
	// The tombstone keeps the row, so ON DELETE CASCADE does not fire.
	if out.Credentials, err = execTx(ctx, tx, "DELETE FROM credentials WHERE user_id = ?", id); err != nil {
		return out, err
	}
	n, err := execTx(ctx, tx, "DELETE FROM data_keys WHERE owner = ?", subjectOwner(id))
	out.Shredded = n > 0
	return out, err
}

// existsOrNotFound: an already erased account is fine, a missing one is not.
func existsOrNotFound(ctx context.Context, tx *sql.Tx, id string) error {
	var one int
	return tx.QueryRowContext(ctx, "SELECT 1 FROM users WHERE id = ?", id).Scan(&one)
}

// UserErased reports whether the account exists as an erased tombstone.
func (s *Store) UserErased(ctx context.Context, id string) (bool, error) {
	var erased int64
	err := s.db.QueryRowContext(ctx, "SELECT erased_at FROM users WHERE id = ?", id).Scan(&erased)
	return erased != 0, mapErr("user erased", err)
}

// HostedMeetingIDs lists the IDs of the meetings hostID hosts, readable or
// not.
func (s *Store) HostedMeetingIDs(ctx context.Context, hostID string) ([]string, error) {
	ids, err := s.ids(ctx, "SELECT id FROM meetings WHERE host_id = ? ORDER BY id", hostID)
	return ids, mapErr("hosted meeting ids", err)
}

// MeetingIDsEndedBefore lists the meetings that expired before t (meetings
// without an end are kept).
func (s *Store) MeetingIDsEndedBefore(ctx context.Context, t time.Time) ([]string, error) {
	ids, err := s.ids(ctx, "SELECT id FROM meetings WHERE ends_at <> 0 AND ends_at < ? ORDER BY id", toDB(t))
	return ids, mapErr("meetings ended before", err)
}

// DeleteMeetings deletes the meetings (their co-hosts and bans cascade) and
// destroys their keys in one transaction, and returns how many meetings it
// deleted.
func (s *Store) DeleteMeetings(ctx context.Context, ids []string) (int, error) {
	total := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for len(ids) > 0 {
			batch := ids[:min(len(ids), auditAddrBatch)]
			ids = ids[len(batch):]
			n, err := deleteMeetingBatch(ctx, tx, batch)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, mapErr("delete meetings", err)
	}
	s.scrubBestEffort(ctx)
	return total, nil
}

func deleteMeetingBatch(ctx context.Context, tx *sql.Tx, ids []string) (int, error) {
	args := make([]any, len(ids))
	owners := make([]any, len(ids))
	for i, id := range ids {
		args[i], owners[i] = id, meetingOwner(id)
	}
	in := "(?" + strings.Repeat(", ?", len(ids)-1) + ")"
	if _, err := execTx(ctx, tx, "DELETE FROM data_keys WHERE owner IN "+in, owners...); err != nil {
		return 0, err
	}
	return execTx(ctx, tx, "DELETE FROM meetings WHERE id IN "+in, args...)
}

func execTx(ctx context.Context, tx *sql.Tx, query string, args ...any) (int, error) {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (s *Store) ids(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// scrubBestEffort clears the WAL's copies of what was just deleted. A
// reader can block the checkpoint; the erasure itself has happened (the
// key is gone and its rows are zeroed in their pages), so that does not
// fail it, and the next scrub (SQLite also checkpoints on its own) clears
// the frames.
func (s *Store) scrubBestEffort(ctx context.Context) {
	_ = s.ScrubDeleted(ctx)
}
