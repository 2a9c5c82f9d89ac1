package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	s := newSessions(e, false)
	current, other := login(t, s, u.ID), login(t, s, u.ID)
	keep, ok := s.TokenHash(requestWith(current))
	if !ok {
		t.Fatal("no token hash for a valid session")
	}
	const next = "a much better passphrase"
	if err := e.accounts.ChangePassword(ctx, u.ID, "wrong password!", next, keep); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("wrong current password: %v", err)
	}
	var invalid *ValidationError
	if err := e.accounts.ChangePassword(ctx, u.ID, goodPassword, "short", keep); !errors.As(err, &invalid) {
		t.Fatalf("short new password: %v", err)
	}
	if _, ok := s.UserFromRequest(requestWith(other)); !ok {
		t.Fatal("a refused change revoked sessions")
	}
	if err := e.accounts.ChangePassword(ctx, u.ID, goodPassword, next, keep); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.UserFromRequest(requestWith(current)); !ok {
		t.Error("the session that changed the password was revoked")
	}
	if _, ok := s.UserFromRequest(requestWith(other)); ok {
		t.Error("another session survived the password change")
	}
	if _, err := e.accounts.Login(ctx, "a@example.org", goodPassword); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("old password still works: %v", err)
	}
	if _, err := e.accounts.Login(ctx, "a@example.org", next); err != nil {
		t.Errorf("new password refused: %v", err)
	}
}

func TestDisabledAccount(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.mustUser(t, "admin@example.org", store.RoleAdmin)
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	s := newSessions(e, false)
	c := login(t, s, u.ID)

	if _, err := e.accounts.SetAccess(ctx, admin.ID, admin.ID, store.RoleAdmin, true); !errors.Is(err, ErrSelfDisable) {
		t.Errorf("self-disable: %v", err)
	}
	if _, err := e.accounts.SetAccess(ctx, admin.ID, admin.ID, store.RoleMember, false); !errors.Is(err, store.ErrLastAdmin) {
		t.Errorf("demoting the last admin: %v", err)
	}
	before, err := e.accounts.SetAccess(ctx, admin.ID, u.ID, store.RoleMember, true)
	if err != nil || before.Disabled {
		t.Fatalf("disable: %+v %v", before, err)
	}
	if _, ok := s.UserFromRequest(requestWith(c)); ok {
		t.Error("a disabled account's session still works")
	}
	if _, err := e.accounts.Login(ctx, "a@example.org", "wrong password!"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("a wrong password must not reveal the account is disabled: %v", err)
	}
	if _, err := e.accounts.Login(ctx, "a@example.org", goodPassword); !errors.Is(err, ErrAccountDisabled) {
		t.Errorf("disabled login: %v", err)
	}
	// A session that slipped in (a sign-in racing the disable) is refused too.
	c = login(t, s, u.ID)
	if _, ok := s.UserFromRequest(requestWith(c)); ok {
		t.Error("a session of a disabled account works")
	}
	if _, err := e.accounts.SetAccess(ctx, admin.ID, u.ID, store.RolePrivacyOfficer, false); err != nil {
		t.Fatal(err)
	}
	got, err := e.accounts.Login(ctx, "a@example.org", goodPassword)
	if err != nil || got.Role != store.RolePrivacyOfficer {
		t.Errorf("re-enabled login: %+v %v", got, err)
	}
}
