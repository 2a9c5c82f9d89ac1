package auth

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

func newSessions(e *env, secure bool) *Sessions {
	return NewSessions(e.store, SessionOptions{Secure: secure, Now: e.clock.Now})
}

// login creates a session and returns the cookie the browser would keep.
func login(t *testing.T, s *Sessions, userID string) *http.Cookie {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := s.Create(context.Background(), rec, userID); err != nil {
		t.Fatal(err)
	}
	cookies := rec.Result().Cookies()
	if len(cookies) != 1 {
		t.Fatalf("%d cookies set", len(cookies))
	}
	return cookies[0]
}

func requestWith(c *http.Cookie) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "/api/me", nil)
	if c != nil {
		r.AddCookie(c)
	}
	return r
}

func TestCreateSetsCookie(t *testing.T) {
	e := newEnv(t)
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	for _, secure := range []bool{false, true} {
		c := login(t, newSessions(e, secure), u.ID)
		if c.Name != CookieName || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" ||
			c.Secure != secure || c.MaxAge != int(DefaultSessionTTL/time.Second) || len(c.Value) != 43 {
			t.Errorf("cookie %+v", c)
		}
	}
}

func TestOnlyHashIsStored(t *testing.T) {
	e := newEnv(t)
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	c := login(t, newSessions(e, false), u.ID)
	ctx := context.Background()
	if _, err := e.store.SessionByTokenHash(ctx, []byte(c.Value)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("raw token found in store: %v", err)
	}
	sess, err := e.store.SessionByTokenHash(ctx, hashToken(c.Value))
	if err != nil || sess.UserID != u.ID || !sess.ExpiresAt.Equal(e.clock.Now().Add(DefaultSessionTTL)) {
		t.Fatalf("stored session %+v %v", sess, err)
	}
}

func TestUserFromRequest(t *testing.T) {
	e := newEnv(t)
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	s := newSessions(e, false)
	c := login(t, s, u.ID)
	if got, ok := s.UserFromRequest(requestWith(c)); !ok || got.ID != u.ID {
		t.Fatalf("valid cookie refused: %+v %v", got, ok)
	}
	refused := map[string]*http.Cookie{
		"no cookie":     nil,
		"garbage":       {Name: CookieName, Value: "garbage"},
		"unknown token": {Name: CookieName, Value: newToken()},
		"wrong name":    {Name: "other", Value: c.Value},
		"padded":        {Name: CookieName, Value: c.Value + "="},
	}
	for name, cookie := range refused {
		if _, ok := s.UserFromRequest(requestWith(cookie)); ok {
			t.Errorf("%s accepted", name)
		}
	}
}

func TestExpiredSessionRefused(t *testing.T) {
	e := newEnv(t)
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	s := NewSessions(e.store, SessionOptions{TTL: time.Hour, Now: e.clock.Now})
	c := login(t, s, u.ID)
	e.clock.Advance(time.Hour - time.Nanosecond)
	if _, ok := s.UserFromRequest(requestWith(c)); !ok {
		t.Fatal("refused just before expiry")
	}
	e.clock.Advance(time.Nanosecond)
	if _, ok := s.UserFromRequest(requestWith(c)); ok {
		t.Fatal("accepted at expiry")
	}
	if err := s.DeleteExpired(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.SessionByTokenHash(context.Background(), hashToken(c.Value)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired session kept: %v", err)
	}
}

func TestRevoke(t *testing.T) {
	e := newEnv(t)
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	s := newSessions(e, true)
	c := login(t, s, u.ID)
	other := login(t, s, u.ID)
	rec := httptest.NewRecorder()
	if err := s.Revoke(context.Background(), rec, requestWith(c)); err != nil {
		t.Fatal(err)
	}
	cleared := rec.Result().Cookies()
	if len(cleared) != 1 || cleared[0].Name != CookieName || cleared[0].MaxAge >= 0 || cleared[0].Value != "" || !cleared[0].Secure {
		t.Fatalf("cookie not cleared: %+v", cleared)
	}
	if _, ok := s.UserFromRequest(requestWith(c)); ok {
		t.Fatal("revoked cookie still accepted")
	}
	if _, ok := s.UserFromRequest(requestWith(other)); !ok {
		t.Fatal("revoking one session must not end the others")
	}
	for _, cookie := range []*http.Cookie{nil, {Name: CookieName, Value: "junk"}, c} {
		if err := s.Revoke(context.Background(), httptest.NewRecorder(), requestWith(cookie)); err != nil {
			t.Fatalf("revoke without live session: %v", err)
		}
	}
}

// failingStore simulates a database outage for session lookups.
type failingStore struct {
	store.Store
}

func (failingStore) SessionByTokenHash(context.Context, []byte) (store.Session, error) {
	return store.Session{}, errors.New("database is locked")
}

func TestStoreFailureLoggedWithoutToken(t *testing.T) {
	e := newEnv(t)
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	c := login(t, newSessions(e, false), u.ID)
	var buf bytes.Buffer
	s := NewSessions(failingStore{e.store}, SessionOptions{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	if _, ok := s.UserFromRequest(requestWith(c)); ok {
		t.Fatal("accepted despite store failure")
	}
	if !strings.Contains(buf.String(), "database is locked") {
		t.Fatalf("failure not logged: %q", buf.String())
	}
	if strings.Contains(buf.String(), c.Value) {
		t.Fatal("session token logged")
	}
}

func TestRunCleanup(t *testing.T) {
	e := newEnv(t)
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	s := NewSessions(e.store, SessionOptions{TTL: time.Minute, Now: e.clock.Now})
	c := login(t, s, u.ID)
	e.clock.Advance(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.RunCleanup(ctx, time.Millisecond)
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := e.store.SessionByTokenHash(context.Background(), hashToken(c.Value))
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("cleanup did not delete the expired session")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
}
