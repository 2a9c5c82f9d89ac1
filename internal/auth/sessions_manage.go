package auth

import (
	"context"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Sign-in methods, as sessions record them (store.Session.Method).
const (
	MethodPassword         = "password"
	MethodPasswordTOTP     = "password+totp"
	MethodPasswordRecovery = "password+recovery"
	MethodSetup            = "setup"
	MethodPasswordPasskey  = "password+passkey"
	// MethodPasskey is a passwordless sign-in: the passkey and the user
	// verification it requires are two factors in themselves.
	MethodPasskey = "passkey"
)

// ErrNoSession is returned when the session to act on is gone (revoked,
// expired, or never existed).
var ErrNoSession = errors.New("auth: no such session")

// SessionInfo is one session as its owner sees it.
type SessionInfo struct {
	// ID names the session in the API: the first 8 bytes of its token
	// hash, in hex. It reveals nothing usable: the hash is of a 256-bit
	// random token.
	ID         string
	Method     string
	Device     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	Current    bool // the session making the request
}

func sessionID(hash []byte) string { return hex.EncodeToString(hash[:min(8, len(hash))]) }

// Promote replaces the request's pending session with one at st.Stage
// (signed in, or owing a new password) under a new cookie (the cookie
// rotates at every change of privilege), recording st.Method.
// ErrNoSession when the session is gone.
func (s *Sessions) Promote(ctx context.Context, w http.ResponseWriter, r *http.Request, sess store.Session, st Start) error {
	token := newToken()
	now := s.now().UTC()
	next := store.Session{TokenHash: hashToken(token), UserID: sess.UserID, CreatedAt: now, ExpiresAt: now.Add(s.lifetime(st.Stage)),
		Stage: st.Stage, Method: st.Method, Device: deviceOf(r)}
	var err error
	if s.extra != nil {
		err = s.extra.ReplaceSession(ctx, sess.TokenHash, next)
	} else if err = s.store.DeleteSession(ctx, sess.TokenHash); err == nil {
		err = s.store.CreateSession(ctx, next)
	}
	if errors.Is(err, store.ErrNotFound) {
		return ErrNoSession
	}
	if err != nil {
		return fmt.Errorf("promote session: %w", err)
	}
	http.SetCookie(w, s.cookie(token, int(s.lifetime(st.Stage)/time.Second)))
	return nil
}

// List returns userID's live sessions, newest first; current (the
// requesting session, may be empty) is marked.
func (s *Sessions) List(ctx context.Context, userID string, current store.Session) ([]SessionInfo, error) {
	if s.extra == nil {
		return nil, errors.New("list sessions: not supported by this store")
	}
	all, err := s.extra.SessionsByUser(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	now := s.now()
	var out []SessionInfo
	for _, sess := range slices.Backward(all) {
		if !now.Before(sess.ExpiresAt) || s.idleOut(sess, now) || sess.Stage != store.SessionSignedIn {
			continue
		}
		last := sess.LastSeenAt
		if last.IsZero() {
			last = sess.CreatedAt
		}
		out = append(out, SessionInfo{ID: sessionID(sess.TokenHash), Method: sess.Method, Device: sess.Device,
			CreatedAt: sess.CreatedAt, LastSeenAt: last, ExpiresAt: sess.ExpiresAt,
			Current: current.TokenHash != nil && subtle.ConstantTimeCompare(current.TokenHash, sess.TokenHash) == 1})
	}
	return out, nil
}

// RevokeByID ends userID's session id (SessionInfo.ID); ErrNoSession
// when the account has none by that ID.
func (s *Sessions) RevokeByID(ctx context.Context, userID, id string) error {
	if s.extra == nil {
		return errors.New("revoke session: not supported by this store")
	}
	all, err := s.extra.SessionsByUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	for _, sess := range all {
		if subtle.ConstantTimeCompare([]byte(sessionID(sess.TokenHash)), []byte(id)) == 1 {
			if err := s.store.DeleteSession(ctx, sess.TokenHash); err != nil {
				return fmt.Errorf("revoke session: %w", err)
			}
			return nil
		}
	}
	return ErrNoSession
}

// RevokeOthers ends every session of userID but keep (nil: all) and
// returns how many.
func (s *Sessions) RevokeOthers(ctx context.Context, userID string, keep []byte) (int, error) {
	if s.extra == nil {
		return 0, errors.New("revoke sessions: not supported by this store")
	}
	n, err := s.extra.RevokeSessions(ctx, userID, keep)
	if err != nil {
		return 0, fmt.Errorf("revoke sessions: %w", err)
	}
	return n, nil
}

// deviceOf describes the browser coarsely, "Firefox on Linux", from the
// User-Agent: enough to recognise one's own sessions, not to fingerprint
// (no versions).
func deviceOf(r *http.Request) string {
	if r == nil {
		return ""
	}
	ua := r.UserAgent()
	browser, os := "", ""
	for _, b := range [][2]string{{"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"},
		{"Safari/", "Safari"}, {"curl/", "curl"}, {"Go-http-client", "Go client"}} {
		if strings.Contains(ua, b[0]) {
			browser = b[1]
			break
		}
	}
	for _, o := range [][2]string{{"Android", "Android"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Windows", "Windows"},
		{"Mac OS X", "macOS"}, {"CrOS", "ChromeOS"}, {"Linux", "Linux"}} {
		if strings.Contains(ua, o[0]) {
			os = o[1]
			break
		}
	}
	switch {
	case browser == "" && os == "":
		return "Unknown device"
	case os == "":
		return browser
	case browser == "":
		return "Browser on " + os
	}
	return browser + " on " + os
}
