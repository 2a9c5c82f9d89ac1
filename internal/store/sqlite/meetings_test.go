package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/conclave-meet/conclave/internal/store"
)

// openAtVersion2 creates a database with only the first two migrations, as
// a server from before meeting policies left it.
func openAtVersion2(t *testing.T, path string) *sql.DB {
	t.Helper()
	mfs := fstest.MapFS{}
	for _, name := range []string{"00001_init.sql", "00002_audit.sql"} {
		b, err := fs.ReadFile(migrations, "migrations/"+name)
		if err != nil {
			t.Fatal(err)
		}
		mfs[name] = &fstest.MapFile{Data: b}
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+dsnParams)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, mfs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestMeetingPolicyMigration: meetings made before the migration get the
// safe defaults and expire 30 days after creation; the down migration
// restores the old schema and keeps them.
func TestMeetingPolicyMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	created := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	db := openAtVersion2(t, path)
	for _, q := range []string{
		"INSERT INTO users VALUES ('u_old', 'old@example.org', 'Old', 'admin', 'h', 0)",
		"INSERT INTO meetings VALUES ('aaaa-bbbb-cccc-dddd', 'Old', '7hvtp4dzk3m9', 'u_old', ?)",
	} {
		if _, err := db.ExecContext(ctx, q, created.UnixNano()); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open v2 database: %v", err)
	}
	defer s.Close()
	m, err := s.MeetingByID(ctx, "aaaa-bbbb-cccc-dddd")
	if err != nil {
		t.Fatal(err)
	}
	if !m.WaitingRoom || m.JoinBeforeHost || m.ScreenShare != store.ScreenSharePresenters ||
		m.MaxParticipants != 0 || m.Recurrence != store.RecurrenceNone || !m.StartsAt.IsZero() || m.Cohosts != nil {
		t.Fatalf("migrated policy %+v", m)
	}
	if want := created.Add(30 * 24 * time.Hour); !m.EndsAt.Equal(want) {
		t.Fatalf("migrated EndsAt %v, want %v", m.EndsAt, want)
	}
	if err := s.AddMeetingBan(ctx, m.ID, store.BanUser, "u_x", created); err != nil {
		t.Fatal(err)
	}

	migrateDownTo2(t, s.db)
	var cols, tables int
	s.db.QueryRowContext(ctx, "SELECT count(*) FROM pragma_table_info('meetings')").Scan(&cols)
	s.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'meeting\\_%' ESCAPE '\\'").Scan(&tables)
	if cols != 5 || tables != 0 {
		t.Fatalf("after down: %d meeting columns (want 5), %d meeting_* objects (want 0)", cols, tables)
	}
	// The row survives; its title was sealed by 00005, which SQL cannot
	// decrypt on the way down.
	var id string
	if err := s.db.QueryRowContext(ctx, "SELECT id FROM meetings").Scan(&id); err != nil || id != "aaaa-bbbb-cccc-dddd" {
		t.Fatalf("meeting lost by the down migration: %q %v", id, err)
	}
}

func migrateDownTo2(t *testing.T, db *sql.DB) {
	t.Helper()
	sub, _ := fs.Sub(migrations, "migrations")
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(context.Background(), 2); err != nil {
		t.Fatalf("down migration: %v", err)
	}
}

// TestMeetingCascades: deleting a meeting takes its co-hosts and bans with
// it, and deleting a user removes them as co-host.
func TestMeetingCascades(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	now := time.Now()
	for _, id := range []string{"u_1", "u_2"} {
		if err := s.CreateUser(ctx, store.User{ID: id, Email: id + "@example.org", Name: "n", Role: store.RoleMember, PasswordHash: "h", CreatedAt: now}); err != nil {
			t.Fatal(err)
		}
	}
	m := store.Meeting{ID: "aaaa-bbbb-cccc-dddd", Title: "t", Passcode: "p", HostID: "u_1", CreatedAt: now,
		WaitingRoom: true, ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone,
		EndsAt: now.Add(time.Hour), Cohosts: []string{"u_2"}}
	if err := s.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, "DELETE FROM users WHERE id = 'u_2'"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.MeetingByID(ctx, m.ID); err != nil || got.Cohosts != nil {
		t.Fatalf("deleted user still co-host: %+v %v", got.Cohosts, err)
	}
	if err := s.AddMeetingBan(ctx, m.ID, store.BanUser, "u_3", now); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, "DELETE FROM meetings"); err != nil {
		t.Fatal(err)
	}
	var left int
	s.db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM meeting_bans) + (SELECT count(*) FROM meeting_cohosts)").Scan(&left)
	if left != 0 {
		t.Fatalf("%d co-host or ban rows outlived their meeting", left)
	}
}
