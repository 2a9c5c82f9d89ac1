package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// CookieName is the session cookie.
const CookieName = "conclave_session"

// DefaultSessionTTL is the absolute timeout: how long a sign-in lasts
// however busy the session is.
const DefaultSessionTTL = 7 * 24 * time.Hour

// DefaultIdleTimeout ends a session nobody used for this long.
const DefaultIdleTimeout = 12 * time.Hour

// PendingTTL bounds a session that still owes its second factor: long
// enough to fetch a phone, short enough not to linger.
const PendingTTL = 10 * time.Minute

// touchEvery is how stale LastSeenAt may get: the idle timeout does not
// need to-the-second precision, and a write per request would cost more.
const touchEvery = time.Minute

// SessionOptions configures Sessions; zero values get defaults.
type SessionOptions struct {
	// Secure sets the cookie's Secure attribute (config.Config.Secure).
	Secure bool
	// TTL is the absolute session lifetime (DefaultSessionTTL).
	TTL time.Duration
	// Idle ends a session unused for this long (DefaultIdleTimeout;
	// negative: no idle timeout).
	Idle time.Duration
	// PasswordMaxAge is the maximum password age (docs/security.md,
	// "Passwords"): a sign-in by a password older than this must choose a
	// new one before anything else. Zero: passwords do not expire (the
	// default, as NIST SP 800-63B advises).
	PasswordMaxAge time.Duration
	// Now is the clock (time.Now); tests replace it.
	Now func() time.Time
	// Logger receives store failures (slog.Default). Tokens are never logged.
	Logger *slog.Logger
}

// Sessions issues, checks and revokes login sessions. Only SHA-256 of the
// cookie token is stored.
type Sessions struct {
	store  Store
	extra  store.SessionStore // nil when the store lacks it (test wrappers)
	secure bool
	ttl    time.Duration
	idle   time.Duration
	maxAge time.Duration
	now    func() time.Time
	log    *slog.Logger
}

// NewSessions returns a Sessions over st.
func NewSessions(st Store, o SessionOptions) *Sessions {
	if o.TTL <= 0 {
		o.TTL = DefaultSessionTTL
	}
	if o.Idle == 0 {
		o.Idle = DefaultIdleTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	extra, _ := st.(store.SessionStore)
	return &Sessions{store: st, extra: extra, secure: o.Secure, ttl: o.TTL, idle: o.Idle, maxAge: o.PasswordMaxAge,
		now: o.Now, log: o.Logger}
}

// SignedInStage is where a sign-in by method lands once every factor is
// given: signed in, or SessionPasswordChange when it used a password that
// is older than the maximum age. Passwordless sign-ins (passkey, single
// sign-on) never use the password, so its age does not hold them up.
func (s *Sessions) SignedInStage(u store.User, method string) string {
	if s.maxAge <= 0 || !strings.HasPrefix(method, MethodPassword) || u.PasswordHash == "" {
		return store.SessionSignedIn
	}
	if s.now().Before(u.PasswordChangedAt.Add(s.maxAge)) {
		return store.SessionSignedIn
	}
	return store.SessionPasswordChange
}

// Create starts a signed-in session for userID (by password) and sets
// the cookie on w.
func (s *Sessions) Create(ctx context.Context, w http.ResponseWriter, userID string) error {
	return s.Start(ctx, w, nil, userID, Start{Method: MethodPassword})
}

// Start describes a new session.
type Start struct {
	Stage  string // store.SessionSignedIn, SessionSecondFactor or SessionEnrol
	Method string // Method* constants
}

// Start creates a session for userID at st.Stage and sets its cookie on
// w; r (may be nil) gives the device. A pending session expires after
// PendingTTL.
func (s *Sessions) Start(ctx context.Context, w http.ResponseWriter, r *http.Request, userID string, st Start) error {
	token := newToken()
	now := s.now().UTC()
	sess := store.Session{TokenHash: hashToken(token), UserID: userID, CreatedAt: now, ExpiresAt: now.Add(s.lifetime(st.Stage)),
		Stage: st.Stage, Method: st.Method, Device: deviceOf(r)}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	http.SetCookie(w, s.cookie(token, int(s.lifetime(st.Stage)/time.Second)))
	return nil
}

func (s *Sessions) lifetime(stage string) time.Duration {
	if stage != store.SessionSignedIn {
		return min(PendingTTL, s.ttl)
	}
	return s.ttl
}

func (s *Sessions) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name: CookieName, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	}
}

// UserFromRequest returns the signed-in user, or false when the request has
// no cookie, an unknown, expired or idle session, a session that still
// owes its second factor, or the user no longer exists or is disabled or
// restricted. Every API but the second-factor step and sign-out goes
// through here, so a pending session reaches nothing else.
func (s *Sessions) UserFromRequest(r *http.Request) (store.User, bool) {
	u, sess, ok := s.Current(r)
	if !ok || sess.Stage != store.SessionSignedIn {
		return store.User{}, false
	}
	return u, true
}

// Current returns the request's session, at whatever stage, and its
// user; false as UserFromRequest but for the stage. It notes the use (for
// the idle timeout).
func (s *Sessions) Current(r *http.Request) (store.User, store.Session, bool) {
	sess, ok := s.session(r)
	if !ok {
		return store.User{}, store.Session{}, false
	}
	u, err := s.store.UserByID(r.Context(), sess.UserID)
	if err != nil {
		s.logFailure(r.Context(), "session user lookup failed", err)
		return store.User{}, store.Session{}, false
	}
	// Disabling and restricting delete the sessions too; this also
	// covers a session created by a sign-in that raced with either.
	if u.Disabled || u.Restricted {
		return store.User{}, store.Session{}, false
	}
	s.touch(r.Context(), sess)
	return u, sess, true
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
	now := s.now()
	if !now.Before(sess.ExpiresAt) || s.idleOut(sess, now) {
		return store.Session{}, false
	}
	return sess, true
}

// idleOut reports a session unused for longer than the idle timeout.
func (s *Sessions) idleOut(sess store.Session, now time.Time) bool {
	if s.idle < 0 {
		return false
	}
	last := sess.LastSeenAt
	if last.IsZero() {
		last = sess.CreatedAt
	}
	return !now.Before(last.Add(s.idle))
}

// touch records the session's use, at most once per touchEvery.
func (s *Sessions) touch(ctx context.Context, sess store.Session) {
	now := s.now().UTC()
	last := sess.LastSeenAt
	if last.IsZero() {
		last = sess.CreatedAt
	}
	if s.extra == nil || now.Sub(last) < touchEvery {
		return
	}
	if err := s.extra.TouchSession(ctx, sess.TokenHash, now); err != nil {
		s.logFailure(ctx, "session touch failed", err)
	}
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
