package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// EraseUser erases an account in one transaction, as the SQLite store
// does: its sessions, co-host entries and credentials are deleted, its
// subject key is destroyed (its sealed name and e-mail are unreadable in
// every copy of the database, dumps included) and its row becomes a
// tombstone holding only ID, role and creation time. Erasing an erased
// account does nothing; ErrNotFound when there is no such account.
func (s *Store) EraseUser(ctx context.Context, id string, at time.Time) (store.UserErasure, error) {
	var out store.UserErasure
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		out = store.UserErasure{} // a retried function starts over
		tag, err := tx.Exec(ctx, "UPDATE users SET email_index = NULL, email_sealed = NULL, name_sealed = NULL, "+
			"password_hash = '', password_changed_at = 0, erased_at = $1 WHERE id = $2 AND erased_at = 0", toDB(at), id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 { // already erased is fine; missing is not
			var one int
			return tx.QueryRow(ctx, "SELECT 1 FROM users WHERE id = $1", id).Scan(&one)
		}
		for _, step := range []struct {
			n   *int
			sql string
		}{
			{&out.Sessions, "DELETE FROM sessions WHERE user_id = $1"},
			{&out.Cohosts, "DELETE FROM meeting_cohosts WHERE user_id = $1"},
			// The tombstone keeps the row, so ON DELETE CASCADE does not fire.
			{&out.Credentials, "DELETE FROM credentials WHERE user_id = $1"},
		} {
			tag, err := tx.Exec(ctx, step.sql, id)
			if err != nil {
				return err
			}
			*step.n = int(tag.RowsAffected())
		}
		tag, err = tx.Exec(ctx, "DELETE FROM data_keys WHERE owner = $1", sealed.SubjectOwner(id))
		out.Shredded = tag.RowsAffected() > 0
		return err
	})
	if err != nil {
		return store.UserErasure{}, mapErr("erase user", err)
	}
	return out, nil
}

// HostedMeetingIDs lists the IDs of the meetings hostID hosts, readable or
// not.
func (s *Store) HostedMeetingIDs(ctx context.Context, hostID string) ([]string, error) {
	ids, err := s.ids(ctx, "SELECT id FROM meetings WHERE host_id = $1 ORDER BY id COLLATE \"C\"", hostID)
	return ids, mapErr("hosted meeting ids", err)
}

// MeetingIDsEndedBefore lists the meetings that expired before t
// (meetings without an end are kept).
func (s *Store) MeetingIDsEndedBefore(ctx context.Context, t time.Time) ([]string, error) {
	ids, err := s.ids(ctx, "SELECT id FROM meetings WHERE ends_at <> 0 AND ends_at < $1 ORDER BY id COLLATE \"C\"", toDB(t))
	return ids, mapErr("meetings ended before", err)
}

// DeleteMeetings deletes the meetings (their co-hosts, bans, retention
// periods, chat, files and recordings cascade) and destroys their keys in
// one transaction, and returns how many meetings it deleted.
func (s *Store) DeleteMeetings(ctx context.Context, ids []string) (int, error) {
	owners := make([]string, len(ids))
	for i, id := range ids {
		owners[i] = sealed.MeetingOwner(id)
	}
	var n int
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM data_keys WHERE owner = ANY($1)", owners); err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, "DELETE FROM meetings WHERE id = ANY($1)", ids)
		n = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, mapErr("delete meetings", err)
	}
	return n, nil
}

// DeleteUserSessions implements store.PrivacyStore.
func (s *Store) DeleteUserSessions(ctx context.Context, userID string) (int, error) {
	return s.execCount(ctx, "delete user sessions", "DELETE FROM sessions WHERE user_id = $1", userID)
}

// BansBySubject implements store.PrivacyStore.
func (s *Store) BansBySubject(ctx context.Context, kind, subject string) ([]store.MeetingBan, error) {
	rows, err := s.pool.Query(ctx, "SELECT meeting_id, kind, subject, created_at FROM meeting_bans "+
		"WHERE kind = $1 AND subject = $2 ORDER BY created_at, meeting_id COLLATE \"C\"", kind, subject)
	if err != nil {
		return nil, mapErr("bans by subject", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.MeetingBan, error) {
		var (
			b       store.MeetingBan
			created int64
		)
		err := r.Scan(&b.MeetingID, &b.Kind, &b.Subject, &created)
		b.CreatedAt = fromDB(created)
		return b, err
	})
	return nilIfNone(out), mapErr("bans by subject", err)
}

// DeleteBansBySubject implements store.PrivacyStore.
func (s *Store) DeleteBansBySubject(ctx context.Context, kind, subject string) (int, error) {
	return s.execCount(ctx, "delete bans by subject", "DELETE FROM meeting_bans WHERE kind = $1 AND subject = $2", kind, subject)
}

// DeleteAuditAddrs implements store.PrivacyStore. The audit_addr trigger
// forbids UPDATE only, so deleting is allowed and leaves the chain intact.
func (s *Store) DeleteAuditAddrs(ctx context.Context, seqs []int64) (int, error) {
	return s.execCount(ctx, "delete audit addresses", "DELETE FROM audit_addr WHERE seq = ANY($1)", seqs)
}

// ids runs a query of one text column.
func (s *Store) ids(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return nilIfNone(out), err
}
