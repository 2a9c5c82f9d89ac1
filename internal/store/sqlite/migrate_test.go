package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"maps"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/conclave-meet/conclave/internal/store"
)

// privacyOfficerVersion is migration 00004, which widens users.role.
const privacyOfficerVersion = 4

// openRaw opens the database at path with Open's settings but migrates it
// only up to version, to stand in for an older install.
func openRaw(t *testing.T, path string, version int64) (*sql.DB, *goose.Provider) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+dsnParams)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(context.Background(), version); err != nil {
		t.Fatalf("migrate to %d: %v", version, err)
	}
	return db, p
}

// seedV2 writes what a version-2 install holds: two users, a session and a
// meeting each, in the columns the first migration created.
func seedV2(t *testing.T, db *sql.DB) {
	t.Helper()
	for _, q := range []string{
		`INSERT INTO users VALUES ('u_a', 'a@example.org', 'Ada', 'admin', 'hash-a', 1)`,
		`INSERT INTO users VALUES ('u_m', 'm@example.org', 'Max', 'member', 'hash-m', 2)`,
		`INSERT INTO sessions VALUES (x'aa', 'u_a', 3, 9000000000000000000)`,
		`INSERT INTO sessions VALUES (x'bb', 'u_m', 4, 9000000000000000000)`,
		`INSERT INTO meetings (id, title, passcode, host_id, created_at) VALUES ('k3m9-x2qa', 'Board', 'pw', 'u_a', 5)`,
		`INSERT INTO meetings (id, title, passcode, host_id, created_at) VALUES ('p4dz-7hvt', 'Team', 'pw', 'u_m', 6)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

// TestPrivacyOfficerMigrationKeepsData upgrades a populated version-2
// database: every user, session and meeting survives, and the references
// still hold and still cascade.
func TestPrivacyOfficerMigrationKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	old, p := openRaw(t, path, 2)
	seedV2(t, old)
	if _, err := p.UpTo(ctx, privacyOfficerVersion-1); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`INSERT INTO meeting_cohosts VALUES ('k3m9-x2qa', 'u_m')`); err != nil {
		t.Fatal(err)
	}
	if _, err := old.Exec(`INSERT INTO users VALUES ('u_p', 'p@example.org', 'P', 'privacy_officer', 'h', 7)`); err == nil {
		t.Fatal("the old schema accepted a privacy officer: the test does not start from it")
	}
	before := referencingRows(t, old)
	old.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for id, role := range map[string]store.Role{"u_a": store.RoleAdmin, "u_m": store.RoleMember} {
		u, err := s.UserByID(ctx, id)
		if err != nil || u.Role != role || u.PasswordHash != "hash-"+id[2:] {
			t.Errorf("user %s after migration: %+v %v", id, u, err)
		}
	}
	for _, h := range [][]byte{{0xaa}, {0xbb}} {
		if _, err := s.SessionByTokenHash(ctx, h); err != nil {
			t.Errorf("session %x lost: %v", h, err)
		}
	}
	if m, err := s.MeetingByID(ctx, "k3m9-x2qa"); err != nil || m.HostID != "u_a" {
		t.Errorf("meeting lost: %+v %v", m, err)
	}
	after := referencingRows(t, s.db)
	// Tables later migrations add (credentials) start empty.
	maps.DeleteFunc(after, func(name string, n int) bool { _, old := before[name]; return !old && n == 0 })
	if !maps.Equal(after, before) || len(after) < 3 {
		t.Errorf("rows referencing users: %v before, %v after", before, after)
	}
	checkUsersReferences(t, s)
}

// referencingRows counts the rows of every table with a foreign key into
// users (sessions, meetings, co-hosts, whatever later migrations add).
func referencingRows(t *testing.T, db *sql.DB) map[string]int {
	t.Helper()
	rows, err := db.Query(`SELECT DISTINCT m.name FROM sqlite_schema AS m, pragma_foreign_key_list(m.name) AS f
		WHERE m.type = 'table' AND f."table" = 'users'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, name := range tables {
		var n int
		if err := db.QueryRow(`SELECT count(*) FROM "` + name + `"`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		counts[name] = n
	}
	return counts
}

// checkUsersReferences proves the rebuilt users table is still the parent
// of sessions and meetings: unknown users are refused, and deleting a user
// takes their sessions and meetings along.
func checkUsersReferences(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	err := s.CreateSession(ctx, store.Session{TokenHash: []byte{1}, UserID: "u_ghost", ExpiresAt: time.Now()})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("session for a missing user: %v, want ErrNotFound", err)
	}
	if _, err := s.db.ExecContext(ctx, "DELETE FROM users WHERE id = 'u_m'"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SessionByTokenHash(ctx, []byte{0xbb}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted user's session: %v, want it cascaded away", err)
	}
	if _, err := s.MeetingByID(ctx, "p4dz-7hvt"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted user's meeting: %v, want it cascaded away", err)
	}
	if _, err := s.SessionByTokenHash(ctx, []byte{0xaa}); err != nil {
		t.Errorf("other user's session: %v", err)
	}
}

// TestPrivacyOfficerRoleStored: the new role round-trips and the database
// itself still refuses unknown roles.
func TestPrivacyOfficerRoleStored(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	u := store.User{ID: "u_p", Email: "p@example.org", Name: "P", Role: store.RolePrivacyOfficer, PasswordHash: "h"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserByID(ctx, "u_p"); err != nil || got.Role != store.RolePrivacyOfficer {
		t.Fatalf("got %+v %v", got, err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO users (id, role, password_hash, created_at) VALUES ('u_r', 'root', 'h', 1)`); err == nil ||
		!strings.Contains(err.Error(), "CHECK") {
		t.Fatalf("role 'root' in the database: %v", err)
	}
	var fk int
	if err := s.db.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d, %v after the migration", fk, err)
	}
}

// TestPrivacyOfficerMigrationDown: rolling back keeps everyone, demoting
// privacy officers to members, and the way up works again.
func TestPrivacyOfficerMigrationDown(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	db, p := openRaw(t, path, privacyOfficerVersion)
	for _, q := range []string{
		`INSERT INTO users VALUES ('u_a', 'a@example.org', 'Ada', 'admin', 'h', 1)`,
		`INSERT INTO users VALUES ('u_p', 'p@example.org', 'P', 'privacy_officer', 'h', 2)`,
		`INSERT INTO sessions VALUES (x'aa', 'u_a', 3, 4)`,
		`INSERT INTO sessions VALUES (x'bb', 'u_p', 3, 4)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := p.DownTo(ctx, privacyOfficerVersion-1); err != nil {
		t.Fatal(err)
	}
	var role string
	if err := db.QueryRow("SELECT role FROM users WHERE id = 'u_p'").Scan(&role); err != nil || role != "member" {
		t.Fatalf("privacy officer after down: %q %v", role, err)
	}
	var sessions int
	if err := db.QueryRow("SELECT count(*) FROM sessions").Scan(&sessions); err != nil || sessions != 2 {
		t.Fatalf("%d sessions after down, %v", sessions, err)
	}
	if _, err := p.UpTo(ctx, privacyOfficerVersion); err != nil {
		t.Fatalf("up again: %v", err)
	}
}

// TestPasswordAgeMigration: existing passwords count from the account's
// creation, accounts without one have no age, sessions carry over with
// their stage, the new stage is accepted and nothing else is, and the way
// back ends only the sessions the old schema cannot hold.
func TestPasswordAgeMigration(t *testing.T) {
	const before, version = 23, 24
	ctx := context.Background()
	db, p := openRaw(t, filepath.Join(t.TempDir(), "conclave.db"), before)
	for _, q := range []string{
		`INSERT INTO users (id, role, password_hash, created_at) VALUES ('u_a', 'admin', 'h', 5)`,
		`INSERT INTO users (id, role, password_hash, created_at) VALUES ('u_k', 'member', '', 6)`,
		`INSERT INTO sessions (token_hash, user_id, created_at, expires_at, stage, method) VALUES (x'aa', 'u_a', 7, 8, 'enrol', 'password')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, id := range []string{"u_a", "u_k"} {
		var v int64
		if err := db.QueryRow("SELECT password_changed_at FROM users WHERE id = ?", id).Scan(&v); err != nil {
			t.Fatal(err)
		}
		got[id] = v
	}
	if got["u_a"] != 5 || got["u_k"] != 0 {
		t.Fatalf("password_changed_at %v, want u_a 5 (its creation) and u_k 0 (no password)", got)
	}
	var stage, method string
	if err := db.QueryRow("SELECT stage, method FROM sessions WHERE token_hash = x'aa'").Scan(&stage, &method); err != nil ||
		stage != "enrol" || method != "password" {
		t.Fatalf("session after the rebuild: %q %q %v", stage, method, err)
	}
	if _, err := db.Exec(`INSERT INTO sessions (token_hash, user_id, created_at, expires_at, stage) VALUES (x'bb', 'u_a', 7, 8, 'password_change')`); err != nil {
		t.Fatalf("the new stage: %v", err)
	}
	if _, err := db.Exec(`INSERT INTO sessions (token_hash, user_id, created_at, expires_at, stage) VALUES (x'cc', 'u_a', 7, 8, 'root')`); err == nil ||
		!strings.Contains(err.Error(), "CHECK") {
		t.Fatalf("an unknown stage: %v", err)
	}
	if _, err := db.Exec("DELETE FROM users WHERE id = 'u_a'"); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := db.QueryRow("SELECT count(*) FROM sessions").Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d sessions outlived their account (%v): the rebuilt table lost its reference", left, err)
	}
	if _, err := db.Exec(`INSERT INTO users (id, role, password_hash, created_at) VALUES ('u_b', 'admin', 'h', 9)`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO sessions (token_hash, user_id, created_at, expires_at, stage) VALUES (x'dd', 'u_b', 7, 8, 'password_change')`,
		`INSERT INTO sessions (token_hash, user_id, created_at, expires_at, stage) VALUES (x'ee', 'u_b', 7, 8, '')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.DownTo(ctx, before); err != nil {
		t.Fatal(err)
	}
	var sessions int
	if err := db.QueryRow("SELECT count(*) FROM sessions").Scan(&sessions); err != nil || sessions != 1 {
		t.Fatalf("%d sessions after down (%v), want the signed-in one", sessions, err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		t.Fatalf("up again: %v", err)
	}
}
