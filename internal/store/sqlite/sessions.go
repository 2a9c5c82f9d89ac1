package sqlite

import (
	"context"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// CreateSession stores s; ErrNotFound when the user does not exist.
func (s *Store) CreateSession(ctx context.Context, sess store.Session) error {
	_, err := s.db.ExecContext(ctx,
		"INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
		sess.TokenHash, sess.UserID, toDB(sess.CreatedAt), toDB(sess.ExpiresAt))
	return mapErr("create session", err)
}

// SessionByTokenHash returns the session whatever its expiry; callers
// compare ExpiresAt with their clock.
func (s *Store) SessionByTokenHash(ctx context.Context, hash []byte) (store.Session, error) {
	var (
		sess             store.Session
		created, expires int64
	)
	err := s.db.QueryRowContext(ctx,
		"SELECT token_hash, user_id, created_at, expires_at FROM sessions WHERE token_hash = ?", hash,
	).Scan(&sess.TokenHash, &sess.UserID, &created, &expires)
	if err != nil {
		return store.Session{}, mapErr("session by token", err)
	}
	sess.CreatedAt, sess.ExpiresAt = fromDB(created), fromDB(expires)
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
