package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

var _ store.SessionStore = (*Store)(nil)

const sessionColumns = "token_hash, user_id, created_at, expires_at, stage, method, device, last_seen_at"

// CreateSession stores s; ErrNotFound when the user does not exist.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	return mapErr("create session", insertSession(ctx, s.db, sess))
}

func insertSession(ctx context.Context, q querier, sess store.Session) error {
	_, err := q.ExecContext(ctx, "INSERT INTO sessions ("+sessionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		sess.TokenHash, sess.UserID, toDB(sess.CreatedAt), toDB(sess.ExpiresAt), sess.Stage, sess.Method,
		sess.Device, optionalToDB(sess.LastSeenAt))
	return err
}

// SessionByTokenHash returns the session whatever its expiry; callers
// compare ExpiresAt with their clock.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte) (store.Session, error) {
	sess, err := scanSession(s.db.QueryRowContext(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE token_hash = ?", hash))
	return sess, mapErr("session by token", err)
}

func scanSession(row rowScanner) (store.Session, error) {
	var (
		sess                   store.Session
		created, expires, seen int64
	)
	err := row.Scan(&sess.TokenHash, &sess.UserID, &created, &expires, &sess.Stage, &sess.Method, &sess.Device, &seen)
	if err != nil {
		return store.Session{}, err
	}
	sess.CreatedAt, sess.ExpiresAt, sess.LastSeenAt = fromDB(created), fromDB(expires), optionalFromDB(seen)
	return sess, nil
}

// DeleteSession removes the session; deleting a missing one is not an error
// so that logout is idempotent.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = ?", hash)
	return mapErr("delete session", err)
}

// DeleteExpiredSessions removes every session expired at now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at <= ?", toDB(now))
	return mapErr("delete expired sessions", err)
}

// TouchSession implements store.SessionStore.
func (s *Store) TouchSession(ctx context.Context, hash []byte, at time.Time) error {
	_, err := s.db.ExecContext(ctx, "UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", toDB(at), hash)
	return mapErr("touch session", err)
}

// ReplaceSession implements store.SessionStore.
func (s *Store) ReplaceSession(ctx context.Context, oldHash []byte, next store.Session) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = ?", oldHash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errors.Join(store.ErrNotFound, err)
		}
		return insertSession(ctx, tx, next)
	})
	return mapErr("replace session", err)
}

// RevokeSessions implements store.SessionStore.
func (s *Store) RevokeSessions(ctx context.Context, userID string, keep []byte) (int, error) {
	return s.execCount(ctx, "revoke sessions", "DELETE FROM sessions WHERE user_id = ? AND token_hash IS NOT ?", userID, keep)
}

// SetMFAReset implements store.SessionStore.
func (s *Store) SetMFAReset(ctx context.Context, userID string, at time.Time) error {
	n, err := s.execCount(ctx, "set mfa reset", "UPDATE users SET mfa_reset_at = ? WHERE id = ? AND erased_at = 0",
		optionalToDB(at), userID)
	if err == nil && n == 0 {
		return mapErr("set mfa reset", sql.ErrNoRows)
	}
	return err
}

// MFAResetAt implements store.SessionStore.
func (s *Store) MFAResetAt(ctx context.Context, userID string) (time.Time, error) {
	var at int64
	err := s.db.QueryRowContext(ctx, "SELECT mfa_reset_at FROM users WHERE id = ? AND erased_at = 0", userID).Scan(&at)
	return optionalFromDB(at), mapErr("mfa reset at", err)
}
