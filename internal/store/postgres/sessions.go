package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
)

const sessionColumns = "token_hash, user_id, created_at, expires_at, stage, method, device, last_seen_at"

// CreateSession stores sess; ErrNotFound when the user does not exist,
// ErrConflict when the token hash is taken.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	return mapErr("create session", insertSession(ctx, s.pool, sess))
}

func insertSession(ctx context.Context, q querier, sess store.Session) error {
	_, err := q.Exec(ctx, "INSERT INTO sessions ("+sessionColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		sess.TokenHash, sess.UserID, toDB(sess.CreatedAt), toDB(sess.ExpiresAt), sess.Stage, sess.Method,
		sess.Device, optionalToDB(sess.LastSeenAt))
	return err
}

func scanSession(row pgx.Row) (store.Session, error) {
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

// SessionByTokenHash returns the session whatever its expiry; callers
// compare ExpiresAt with their clock.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte) (store.Session, error) {
	sess, err := scanSession(s.pool.QueryRow(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE token_hash = $1", hash))
	return sess, mapErr("session by token", err)
}

// DeleteSession removes the session; deleting a missing one is not an
// error, so that logout is idempotent.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM sessions WHERE token_hash = $1", hash)
	return mapErr("delete session", err)
}

// DeleteExpiredSessions removes every session expired at now.
func (s *Store) DeleteExpiredSessions(ctx context.Context, now time.Time) error {
	_, err := s.pool.Exec(ctx, "DELETE FROM sessions WHERE expires_at <= $1", toDB(now))
	return mapErr("delete expired sessions", err)
}

// SessionsByUser implements store.SessionStore.
func (s *Store) SessionsByUser(ctx context.Context, userID string) ([]store.Session, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+sessionColumns+" FROM sessions WHERE user_id = $1 ORDER BY created_at, token_hash", userID)
	if err != nil {
		return nil, mapErr("sessions by user", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Session, error) { return scanSession(r) })
	return out, mapErr("sessions by user", err)
}

// TouchSession implements store.SessionStore.
func (s *Store) TouchSession(ctx context.Context, hash []byte, at time.Time) error {
	_, err := s.pool.Exec(ctx, "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2", toDB(at), hash)
	return mapErr("touch session", err)
}

// ReplaceSession implements store.SessionStore.
func (s *Store) ReplaceSession(ctx context.Context, oldHash []byte, next store.Session) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM sessions WHERE token_hash = $1", oldHash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return store.ErrNotFound
		}
		return insertSession(ctx, tx, next)
	})
	return mapErr("replace session", err)
}

// RevokeSessions implements store.SessionStore.
func (s *Store) RevokeSessions(ctx context.Context, userID string, keep []byte) (int, error) {
	return s.execCount(ctx, "revoke sessions",
		"DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2", userID, keep)
}

// SetMFAReset implements store.SessionStore.
func (s *Store) SetMFAReset(ctx context.Context, userID string, at time.Time) error {
	n, err := s.execCount(ctx, "set mfa reset", "UPDATE users SET mfa_reset_at = $1 WHERE id = $2 AND erased_at = 0",
		optionalToDB(at), userID)
	if err == nil && n == 0 {
		return mapErr("set mfa reset", pgx.ErrNoRows)
	}
	return err
}

// MFAResetAt implements store.SessionStore.
func (s *Store) MFAResetAt(ctx context.Context, userID string) (time.Time, error) {
	var at int64
	err := s.pool.QueryRow(ctx, "SELECT mfa_reset_at FROM users WHERE id = $1 AND erased_at = 0", userID).Scan(&at)
	return optionalFromDB(at), mapErr("mfa reset at", err)
}
