package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

func addAccount(t *testing.T, s *Store, id string, role store.Role, sessions ...string) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	if err := s.CreateUser(ctx, store.User{ID: id, Email: id + "@example.org", Name: id, Role: role, PasswordHash: "h", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, tok := range sessions {
		if err := s.CreateSession(ctx, store.Session{TokenHash: []byte(tok), UserID: id, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
}

func hasSession(t *testing.T, s *Store, tok string) bool {
	t.Helper()
	_, err := s.SessionByTokenHash(context.Background(), []byte(tok))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

func TestSetPasswordKeepsOnlyOneSession(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	addAccount(t, s, "u_1", store.RoleMember, "a", "b")
	addAccount(t, s, "u_2", store.RoleMember, "c")
	if err := s.SetPassword(ctx, "u_1", "h2", time.Unix(1000, 0), []byte("a")); err != nil {
		t.Fatal(err)
	}
	if !hasSession(t, s, "a") || hasSession(t, s, "b") || !hasSession(t, s, "c") {
		t.Error("want only the kept session of u_1 and u_2's session left")
	}
	if u, _ := s.UserByID(ctx, "u_1"); u.PasswordHash != "h2" {
		t.Errorf("hash = %q", u.PasswordHash)
	}
	if err := s.SetPassword(ctx, "u_1", "h3", time.Unix(2000, 0), nil); err != nil || hasSession(t, s, "a") {
		t.Errorf("keep nil must revoke all: err %v", err)
	}
	if err := s.SetPassword(ctx, "nobody", "h", time.Unix(2000, 0), nil); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
}

func TestSetAccess(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	addAccount(t, s, "admin1", store.RoleAdmin, "a1")
	addAccount(t, s, "admin2", store.RoleAdmin, "a2")
	addAccount(t, s, "m", store.RoleMember, "m1")
	now := time.Now()

	if err := s.SetAccess(ctx, "m", store.RoleMember, true, now); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.UserByID(ctx, "m"); !u.Disabled || hasSession(t, s, "m1") {
		t.Errorf("disabled member: %+v, session kept %v", u.Disabled, hasSession(t, s, "m1"))
	}
	if err := s.SetAccess(ctx, "m", store.RoleMember, false, now); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.UserByID(ctx, "m"); u.Disabled {
		t.Error("re-enabled member still disabled")
	}

	if err := s.SetAccess(ctx, "admin2", store.RoleAdmin, true, now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAccess(ctx, "admin1", store.RoleMember, false, now); !errors.Is(err, store.ErrLastAdmin) {
		t.Errorf("demoting the last enabled admin: %v", err)
	}
	if err := s.SetAccess(ctx, "admin1", store.RoleAdmin, true, now); !errors.Is(err, store.ErrLastAdmin) {
		t.Errorf("disabling the last enabled admin: %v", err)
	}
	if u, _ := s.UserByID(ctx, "admin1"); u.Role != store.RoleAdmin || u.Disabled || !hasSession(t, s, "a1") {
		t.Errorf("a refused change must change nothing: %+v", u)
	}
	if err := s.SetAccess(ctx, "m", store.RoleAdmin, false, now); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAccess(ctx, "admin1", store.RoleMember, false, now); err != nil {
		t.Errorf("demoting with another admin left: %v", err)
	}
	if _, err := s.FirstAdmin(ctx); err != nil {
		t.Errorf("first enabled admin: %v", err)
	}

	users, err := s.ListUsers(ctx)
	if err != nil || len(users) != 3 {
		t.Fatalf("ListUsers = %d users, %v", len(users), err)
	}
	if users[0].ID != "admin1" || users[0].Role != store.RoleMember || !users[1].Disabled {
		t.Errorf("ListUsers = %+v", users)
	}
	if err := s.SetAccess(ctx, "nobody", store.RoleMember, false, now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown account: %v", err)
	}
}
