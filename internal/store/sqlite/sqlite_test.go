package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/storetest"
)

func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openTemp(t) })
}

func TestOpenCreatesPrivateFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data dir") // space: the DSN must escape it
	path := filepath.Join(dir, "conclave.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.CreateUser(context.Background(), store.User{ID: "u", Email: "e", Name: "n", Role: store.RoleMember, PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	checkMode(t, dir, 0o700)
	checkMode(t, path, 0o600)
	checkMode(t, path+"-wal", 0o600)
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s mode %04o, want %04o", filepath.Base(path), got, want)
	}
}

func TestPragmas(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	var mode string
	var fk, busy int
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q, %v", mode, err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d, %v", fk, err)
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil || busy != 5000 {
		t.Errorf("busy_timeout = %d, %v", busy, err)
	}
}

func TestReopenKeepsDataAndMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "conclave.db")
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u := store.User{ID: "u_1", Email: "a@example.org", Name: "A", Role: store.RoleAdmin, PasswordHash: "h", CreatedAt: time.Now()}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.UserByID(ctx, "u_1")
	if err != nil || !got.CreatedAt.Equal(u.CreatedAt) {
		t.Fatalf("after reopen: %+v %v", got, err)
	}
	var version, applied int
	if err := s.db.QueryRowContext(ctx, "SELECT max(version_id), count(*) FROM goose_db_version WHERE version_id > 0").Scan(&version, &applied); err != nil {
		t.Fatal(err)
	}
	if want := len(migrationFiles(t)); version != want || applied != want {
		t.Fatalf("goose version %d with %d rows, want %d once each", version, applied, want)
	}
}

func TestOpenFailsOnBadPath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), filepath.Join(file, "conclave.db")); err == nil {
		t.Fatal("want error when the parent is a file")
	}
	garbage := filepath.Join(t.TempDir(), "garbage.db")
	if err := os.WriteFile(garbage, []byte("this is not a database, just text that is long enough............................................................"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), garbage); err == nil {
		t.Fatal("want error for a non-database file")
	}
}

func TestFirstAdmin(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	if _, err := s.FirstAdmin(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("empty: %v", err)
	}
	t0 := time.Unix(1700000000, 0)
	users := []store.User{
		{ID: "u_m", Email: "m@example.org", Role: store.RoleMember, CreatedAt: t0},
		{ID: "u_late", Email: "late@example.org", Role: store.RoleAdmin, CreatedAt: t0.Add(time.Hour)},
		{ID: "u_early", Email: "early@example.org", Role: store.RoleAdmin, CreatedAt: t0.Add(time.Minute)},
	}
	for _, u := range users {
		u.Name, u.PasswordHash = "n", "h"
		if err := s.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.FirstAdmin(ctx)
	if err != nil || got.ID != "u_early" {
		t.Fatalf("FirstAdmin = %s, %v", got.ID, err)
	}
}

func TestCreateFirstAdminRequiresAdminRole(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	u := store.User{ID: "u", Email: "e", Name: "n", Role: store.RoleMember, PasswordHash: "h"}
	if err := s.CreateFirstAdmin(context.Background(), u, []byte("x"), time.Now()); err == nil {
		t.Fatal("member accepted as first admin")
	}
}

func TestCancelledContext(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.CountUsers(ctx); err == nil {
		t.Fatal("cancelled context must fail")
	}
	if _, err := Open(ctx, filepath.Join(t.TempDir(), "x.db")); err == nil {
		t.Fatal("Open with cancelled context must fail")
	}
}

func TestMapErr(t *testing.T) {
	if mapErr("op", nil) != nil {
		t.Fatal("nil must stay nil")
	}
	if err := mapErr("op", sql.ErrNoRows); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ErrNoRows -> %v", err)
	}
	plain := errors.New("disk on fire")
	if err := mapErr("op", plain); !errors.Is(err, plain) || err.Error() != "op: disk on fire" {
		t.Fatalf("plain -> %v", err)
	}
}

func TestTimeConversion(t *testing.T) {
	in := time.Date(2262, 1, 1, 0, 0, 0, 1, time.FixedZone("Y", -7200))
	if got := fromDB(toDB(in)); !got.Equal(in) || got.Location() != time.UTC {
		t.Fatalf("round trip %v -> %v", in, got)
	}
}
