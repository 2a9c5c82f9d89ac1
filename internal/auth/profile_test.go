package auth

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

// TestUpdateProfile: fields are checked and normalised as at creation, an
// empty field keeps its value, a change to nothing is ErrNoChange, and a
// taken address is ErrConflict.
func TestUpdateProfile(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	e.mustUser(t, "b@example.org", store.RoleMember)

	ch, err := e.accounts.UpdateProfile(ctx, u.ID, Profile{Name: "  Ada  "})
	if err != nil || ch.After.Name != "Ada" || ch.After.Email != "a@example.org" || !slices.Equal(ch.Fields, []string{"name"}) {
		t.Fatalf("name: %+v %v", ch, err)
	}
	ch, err = e.accounts.UpdateProfile(ctx, u.ID, Profile{Email: " Ada@Example.ORG "})
	if err != nil || ch.After.Email != "ada@example.org" || ch.Before.Email != "a@example.org" || !slices.Equal(ch.Fields, []string{"email"}) {
		t.Fatalf("e-mail: %+v %v", ch, err)
	}
	var invalid *ValidationError
	for _, p := range []Profile{{Email: "not an address"}, {Name: "bad\u202ename"}} {
		if _, err := e.accounts.UpdateProfile(ctx, u.ID, p); !errors.As(err, &invalid) {
			t.Errorf("%+v: %v, want a ValidationError", p, err)
		}
	}
	if _, err := e.accounts.UpdateProfile(ctx, u.ID, Profile{Name: "Ada", Email: "ada@example.org"}); !errors.Is(err, ErrNoChange) {
		t.Errorf("no change: %v", err)
	}
	if _, err := e.accounts.UpdateProfile(ctx, u.ID, Profile{Email: "b@example.org"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("taken address: %v", err)
	}
	if err := e.accounts.CheckPassword(ctx, u.ID, goodPassword); err != nil {
		t.Errorf("right password: %v", err)
	}
	if err := e.accounts.CheckPassword(ctx, u.ID, "wrong password!"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("wrong password: %v", err)
	}
}

// TestRestrictedAccount: a restricted account's sessions stop working and
// it cannot sign in, which it is told only after the right password; an
// officer cannot restrict themselves; lifting restores sign-in.
func TestRestrictedAccount(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	officer := e.mustUser(t, "dpo@example.org", store.RolePrivacyOfficer)
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	s := newSessions(e, false)
	c := login(t, s, u.ID)

	if _, err := e.accounts.SetRestricted(ctx, officer.ID, officer.ID, true); !errors.Is(err, ErrSelfRestrict) {
		t.Errorf("self-restriction: %v", err)
	}
	if _, err := e.accounts.SetRestricted(ctx, officer.ID, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.UserFromRequest(requestWith(c)); ok {
		t.Error("a restricted account's session still works")
	}
	if _, err := e.accounts.Login(ctx, "a@example.org", "wrong password!"); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("a wrong password must not reveal the restriction: %v", err)
	}
	if _, err := e.accounts.Login(ctx, "a@example.org", goodPassword); !errors.Is(err, ErrAccountRestricted) {
		t.Errorf("restricted login: %v", err)
	}
	// A session that slipped in is refused too.
	c = login(t, s, u.ID)
	if _, ok := s.UserFromRequest(requestWith(c)); ok {
		t.Error("a session of a restricted account works")
	}
	before, err := e.accounts.SetRestricted(ctx, officer.ID, u.ID, false)
	if err != nil || !before.Restricted {
		t.Fatalf("lift: %+v %v", before, err)
	}
	if _, err := e.accounts.Login(ctx, "a@example.org", goodPassword); err != nil {
		t.Errorf("login after lifting: %v", err)
	}
}
