package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// CookieName is the session cookie.
const CookieName = "conclave_session"

// DefaultSessionTTL is how long a login lasts.
const DefaultSessionTTL = 30 * 24 * time.Hour

// SessionOptions configures Sessions; zero values get defaults.
type SessionOptions struct {
	// Secure sets the cookie's Secure attribute (config.Config.Secure).
	Secure bool
	// TTL is the session lifetime (DefaultSessionTTL).
	TTL time.Duration
	// Now is the clock (time.Now); tests replace it.
	Now func() time.Time
	// Logger receives store failures (slog.Default). Tokens are never logged.
	Logger *slog.Logger
}

// Sessions issues, checks and revokes login sessions. Only SHA-256 of the
// cookie token is stored.
type Sessions struct {
	store  store.Store
	secure bool
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger
}

// NewSessions returns a Sessions over st.
func NewSessions(st store.Store, o SessionOptions) *Sessions {
	if o.TTL <= 0 {
		o.TTL = DefaultSessionTTL
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Sessions{store: st, secure: o.Secure, ttl: o.TTL, now: o.Now, log: o.Logger}
}

// Create starts a session for userID and sets the cookie on w.
func (s *Sessions) Create(ctx context.Context, w http.ResponseWriter, userID string) error {
	token := newToken()
	now := s.now().UTC()
	sess := store.Session{TokenHash: hashToken(token), UserID: userID, CreatedAt: now, ExpiresAt: now.Add(s.ttl)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	http.SetCookie(w, s.cookie(token, int(s.ttl/time.Second)))
	return nil
}

func (s *Sessions) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	}
}

// UserFromRequest returns the signed-in user, or false when the request has
// no cookie, an unknown or expired session, or the user no longer exists
// or is disabled or restricted.
func (s *Sessions) UserFromRequest(r *http.Request) (store.User, bool) {
	sess, ok := s.session(r)
	if !ok {
		return store.User{}, false
	}
	u, err := s.store.UserByID(r.Context(), sess.UserID)
	if err != nil {
		s.logFailure(r.Context(), "session user lookup failed", err)
		return store.User{}, false
	}
	// Disabling and restricting delete the sessions too; this also
	// covers a session created by a sign-in that raced with either.
	if u.Disabled || u.Restricted {
		return store.User{}, false
	}
	return u, true
}

func (s *Sessions) session(r *http.Request) (store.Session, bool) {
	c, err := r.Cookie(CookieName)
	if err != nil || !wellFormedToken(c.Value) {
		return store.Session{}, false
	}
	sess, err := s.store.SessionByTokenHash(r.Context(), hashToken(c.Value))
	if err != nil {
		s.logFailure(r.Context(), "session lookup failed", err)
		return store.Session{}, false
	}
	if !s.now().Before(sess.ExpiresAt) {
		return store.Session{}, false
	}
	return sess, true
}

// logFailure logs real store faults; a missing row is the normal outcome
// for a stale cookie and not worth a log line.
func (s *Sessions) logFailure(ctx context.Context, msg string, err error) {
	if !errors.Is(err, store.ErrNotFound) {
		s.log.ErrorContext(ctx, msg, "err", err)
	}
}

// Revoke deletes the request's session on the server and clears the
// cookie. Requests without a session just get the cookie cleared.
func (s *Sessions) Revoke(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, s.cookie("", -1))
	c, err := r.Cookie(CookieName)
	if err != nil || !wellFormedToken(c.Value) {
		return nil
	}
	if err := s.store.DeleteSession(ctx, hashToken(c.Value)); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

// DeleteExpired removes expired sessions; run it periodically.
func (s *Sessions) DeleteExpired(ctx context.Context) error {
	if err := s.store.DeleteExpiredSessions(ctx, s.now()); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}

// RunCleanup calls DeleteExpired every interval until ctx ends.
func (s *Sessions) RunCleanup(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.DeleteExpired(ctx); err != nil && ctx.Err() == nil {
				s.log.ErrorContext(ctx, "session cleanup failed", "err", err)
			}
		}
	}
}
