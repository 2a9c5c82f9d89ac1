// Package storetest is a conformance suite for store.Store implementations,
// so that every backend (SQLite today, PostgreSQL later) behaves alike.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Opener returns a fresh, empty store; the suite closes it.
type Opener func(t *testing.T) store.Store

// Run runs every conformance test against stores from open.
func Run(t *testing.T, open Opener) {
	tests := map[string]func(*testing.T, store.Store){}
	for _, g := range groups {
		maps.Copy(tests, g)
	}
	runTests(t, open, tests)
}

func runTests(t *testing.T, open Opener, tests map[string]func(*testing.T, store.Store)) {
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			fn(t, s)
		})
	}
}

// base is a fixed instant with nanoseconds and a non-UTC zone, to prove that
// times round-trip exactly and come back in UTC.
var base = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("X", 3600))

func user(id, email string, role store.Role, created time.Time) store.User {
	return store.User{
		ID: id, Email: email, Name: "Name " + id, Role: role,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", CreatedAt: created,
	}
}

func mustCreateUser(t *testing.T, s store.Store, u store.User) {
	t.Helper()
	if err := s.CreateUser(context.Background(), u); err != nil {
		t.Fatalf("CreateUser(%s): %v", u.ID, err)
	}
}

func sameTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
	if got.Location() != time.UTC {
		t.Errorf("%s location = %v, want UTC", what, got.Location())
	}
}

func testUserRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := user("u_1", "ada@example.org", store.RoleAdmin, base)
	mustCreateUser(t, s, u)
	for _, get := range []func() (store.User, error){
		func() (store.User, error) { return s.UserByID(ctx, "u_1") },
		func() (store.User, error) { return s.UserByEmail(ctx, "ada@example.org") },
	} {
		got, err := get()
		if err != nil {
			t.Fatal(err)
		}
		sameTime(t, "CreatedAt", got.CreatedAt, base)
		// A password counts from the account's creation unless told.
		sameTime(t, "PasswordChangedAt", got.PasswordChangedAt, base)
		got.CreatedAt, got.PasswordChangedAt = u.CreatedAt, u.PasswordChangedAt
		if got != u {
			t.Fatalf("got %+v, want %+v", got, u)
		}
	}
	later := base.Add(48 * time.Hour)
	if err := s.SetPassword(ctx, "u_1", u.PasswordHash, later, nil); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByID(ctx, "u_1")
	if err != nil {
		t.Fatal(err)
	}
	sameTime(t, "PasswordChangedAt after SetPassword", got.PasswordChangedAt, later)
	passwordless := user("u_2", "bo@example.org", store.RoleMember, base)
	passwordless.PasswordHash = ""
	mustCreateUser(t, s, passwordless)
	if got, err := s.UserByID(ctx, "u_2"); err != nil || !got.PasswordChangedAt.IsZero() {
		t.Fatalf("an account without a password has a password age: %v %v", got.PasswordChangedAt, err)
	}
}

func testUserConflicts(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_1", "ada@example.org", store.RoleAdmin, base))
	if err := s.CreateUser(ctx, user("u_1", "other@example.org", store.RoleMember, base)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate id: %v, want ErrConflict", err)
	}
	if err := s.CreateUser(ctx, user("u_2", "ada@example.org", store.RoleMember, base)); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate email: %v, want ErrConflict", err)
	}
	if err := s.CreateUser(ctx, user("u_3", "x@example.org", store.Role("root"), base)); err == nil {
		t.Errorf("invalid role accepted")
	}
}

// testUserEveryRole: each role is stored and read back as itself.
func testUserEveryRole(t *testing.T, s store.Store) {
	for i, role := range store.Roles {
		u := user(fmt.Sprintf("u_%d", i), fmt.Sprintf("%d@example.org", i), role, base)
		mustCreateUser(t, s, u)
		got, err := s.UserByID(context.Background(), u.ID)
		if err != nil || got.Role != role {
			t.Errorf("role %q came back as %q, %v", role, got.Role, err)
		}
	}
}

func testUserNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.UserByID(ctx, "u_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByID: %v", err)
	}
	if _, err := s.UserByEmail(ctx, "nobody@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UserByEmail: %v", err)
	}
}

func testCountUsers(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 3 {
		n, err := s.CountUsers(ctx)
		if err != nil || n != i {
			t.Fatalf("CountUsers = %d, %v; want %d", n, err, i)
		}
		mustCreateUser(t, s, user(fmt.Sprintf("u_%d", i), fmt.Sprintf("%d@example.org", i), store.RoleMember, base))
	}
}

func setupToken(t *testing.T, s store.Store, hash string, expires time.Time) {
	t.Helper()
	if err := s.ReplaceSetupToken(context.Background(), store.SetupToken{TokenHash: []byte(hash), ExpiresAt: expires}); err != nil {
		t.Fatal(err)
	}
}

func testFirstAdminHappyPath(t *testing.T, s store.Store) {
	ctx := context.Background()
	setupToken(t, s, "hash-1", base.Add(time.Hour))
	admin := user("u_a", "admin@example.org", store.RoleAdmin, base)
	if err := s.CreateFirstAdmin(ctx, admin, []byte("hash-1"), base); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByEmail(ctx, "admin@example.org")
	if err != nil || got.Role != store.RoleAdmin {
		t.Fatalf("admin not stored: %+v %v", got, err)
	}
	// A second attempt fails on the existing user before the (consumed) token.
	second := user("u_b", "b@example.org", store.RoleAdmin, base)
	if err := s.CreateFirstAdmin(ctx, second, []byte("hash-1"), base); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second admin: %v, want ErrConflict", err)
	}
}

func testFirstAdminRefusals(t *testing.T, s store.Store) {
	ctx := context.Background()
	admin := user("u_a", "admin@example.org", store.RoleAdmin, base)
	if err := s.CreateFirstAdmin(ctx, admin, []byte("none"), base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("no token: %v, want ErrNotFound", err)
	}
	setupToken(t, s, "hash-1", base.Add(time.Hour))
	if err := s.CreateFirstAdmin(ctx, admin, []byte("wrong"), base); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("wrong token: %v, want ErrNotFound", err)
	}
	if err := s.CreateFirstAdmin(ctx, admin, []byte("hash-1"), base.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired token: %v, want ErrNotFound", err)
	}
	if n, _ := s.CountUsers(ctx); n != 0 {
		t.Fatalf("refusals created %d users", n)
	}
	// The token is still usable after failed attempts.
	if err := s.CreateFirstAdmin(ctx, admin, []byte("hash-1"), base); err != nil {
		t.Fatalf("valid token after refusals: %v", err)
	}
	other := user("u_o", "o@example.org", store.RoleAdmin, base)
	if err := s.CreateFirstAdmin(ctx, other, []byte("hash-1"), base); err == nil {
		t.Fatal("consumed token accepted")
	}
}

func testFirstAdminRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	setupToken(t, s, "race", base.Add(time.Hour))
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			u := user(fmt.Sprintf("u_%d", i), fmt.Sprintf("%d@example.org", i), store.RoleAdmin, base)
			errs[i] = s.CreateFirstAdmin(ctx, u, []byte("race"), base)
		})
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrNotFound):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if c, _ := s.CountUsers(ctx); wins != 1 || c != 1 {
		t.Fatalf("%d winners, %d users; want exactly 1", wins, c)
	}
}

func testReplaceSetupToken(t *testing.T, s store.Store) {
	ctx := context.Background()
	setupToken(t, s, "old", base.Add(time.Hour))
	setupToken(t, s, "new", base.Add(time.Hour))
	admin := user("u_a", "admin@example.org", store.RoleAdmin, base)
	if err := s.CreateFirstAdmin(ctx, admin, []byte("old"), base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("replaced token still valid: %v", err)
	}
	if err := s.CreateFirstAdmin(ctx, admin, []byte("new"), base); err != nil {
		t.Fatalf("new token: %v", err)
	}
}

func testSessionRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_1", "a@example.org", store.RoleMember, base))
	sess := store.Session{TokenHash: []byte{0, 1, 2, 255}, UserID: "u_1", CreatedAt: base, ExpiresAt: base.Add(30 * 24 * time.Hour)}
	if err := s.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSession(ctx, sess); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate session: %v", err)
	}
	got, err := s.SessionByTokenHash(ctx, sess.TokenHash)
	if err != nil {
		t.Fatal(err)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, sess.CreatedAt)
	sameTime(t, "ExpiresAt", got.ExpiresAt, sess.ExpiresAt)
	if string(got.TokenHash) != string(sess.TokenHash) || got.UserID != "u_1" {
		t.Fatalf("got %+v", got)
	}
	if err := s.DeleteSession(ctx, sess.TokenHash); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByTokenHash(ctx, sess.TokenHash); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted session: %v", err)
	}
	if err := s.DeleteSession(ctx, sess.TokenHash); err != nil {
		t.Fatalf("deleting twice must be fine: %v", err)
	}
}

func testSessionUnknownUser(t *testing.T, s store.Store) {
	sess := store.Session{TokenHash: []byte("h"), UserID: "u_ghost", CreatedAt: base, ExpiresAt: base}
	if err := s.CreateSession(context.Background(), sess); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session for unknown user: %v, want ErrNotFound", err)
	}
}

func testDeleteExpiredSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_1", "a@example.org", store.RoleMember, base))
	for i, exp := range []time.Duration{-time.Hour, 0, time.Nanosecond, time.Hour} {
		sess := store.Session{TokenHash: []byte{byte(i)}, UserID: "u_1", CreatedAt: base, ExpiresAt: base.Add(exp)}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.DeleteExpiredSessions(ctx, base); err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{false, false, true, true} {
		_, err := s.SessionByTokenHash(ctx, []byte{byte(i)})
		if got := err == nil; got != want {
			t.Errorf("session %d present = %v, want %v (%v)", i, got, want, err)
		}
	}
}
