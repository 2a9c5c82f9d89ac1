package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/conclave-meet/conclave/internal/store"
)

func migrationFiles(t *testing.T) []string {
	t.Helper()
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("migrations: %v %v", names, err)
	}
	return names
}

func testSeal(e store.AuditEntry) (store.AuditEntry, error) {
	if e.PrevHash == nil {
		e.PrevHash = []byte{0}
	}
	e.Hash = append([]byte{byte(e.Seq)}, e.PrevHash...)
	return e, nil
}

func appendAudits(t *testing.T, s *Store, n int) {
	t.Helper()
	for range n {
		e := store.AuditEntry{Time: time.Now(), Action: "auth.logout", Outcome: "success",
			ClientAddr: "192.0.2.1", AddrSalt: []byte("salt"), AddrHash: []byte("hash")}
		if _, err := s.AppendAudit(context.Background(), e, testSeal); err != nil {
			t.Fatal(err)
		}
	}
}

// TestAuditAppendOnly: the database itself refuses to change or remove
// entries, or to insert anywhere but at the end.
func TestAuditAppendOnly(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	appendAudits(t, s, 3)
	ctx := context.Background()
	refused := []string{
		"UPDATE audit_log SET actor = 'u_mallory' WHERE seq = 2",
		"UPDATE audit_log SET seq = 10 WHERE seq = 3",
		"DELETE FROM audit_log WHERE seq = 3",
		"DELETE FROM audit_log",
		"INSERT INTO audit_log (seq, at, action, actor, target, meeting, outcome, details, prev_hash, hash) VALUES (2, 0, 'x', '', '', '', 'success', '{}', x'00', x'00')",
		"INSERT OR REPLACE INTO audit_log (seq, at, action, actor, target, meeting, outcome, details, prev_hash, hash) VALUES (2, 0, 'x', '', '', '', 'success', '{}', x'00', x'00')",
		"INSERT INTO audit_log (seq, at, action, actor, target, meeting, outcome, details, prev_hash, hash) VALUES (9, 0, 'x', '', '', '', 'success', '{}', x'00', x'00')",
		"REPLACE INTO audit_log (seq, at, action, actor, target, meeting, outcome, details, prev_hash, hash) VALUES (1, 0, 'x', '', '', '', 'success', '{}', x'00', x'00')",
		"UPDATE audit_addr SET addr = '198.51.100.1' WHERE seq = 1",
	}
	for _, q := range refused {
		if _, err := s.db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "audit_") {
			t.Errorf("%s: err = %v", q, err)
		}
	}
	var n int
	var actor string
	if err := s.db.QueryRowContext(ctx, "SELECT count(*), (SELECT actor FROM audit_log WHERE seq = 2) FROM audit_log").Scan(&n, &actor); err != nil || n != 3 || actor != "" {
		t.Fatalf("after refused statements: %d rows, actor %q, %v", n, actor, err)
	}
	// Erasing an address is a plain delete from the side table.
	if _, err := s.db.ExecContext(ctx, "DELETE FROM audit_addr WHERE seq = 2"); err != nil {
		t.Fatalf("erasing an address: %v", err)
	}
	es, err := s.AuditEntries(ctx, store.AuditFilter{Seqs: []int64{1, 2}})
	if err != nil || es[0].ClientAddr != "192.0.2.1" || es[1].ClientAddr != "" || es[1].AddrSalt != nil || string(es[1].AddrHash) != "hash" {
		t.Fatalf("after erasure: %+v %v", es, err)
	}
}

// TestAuditMigrationFromVersion1: a database created before the audit log
// gains it on Open, keeping its data; the down migration removes it.
func TestAuditMigrationFromVersion1(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	v1, err := fs.ReadFile(migrations, "migrations/00001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+dsnParams)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fstest.MapFS{"00001_init.sql": {Data: v1}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO users VALUES ('u_old', 'old@example.org', 'Old', 'admin', 'h', 0)"); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open v1 database: %v", err)
	}
	defer s.Close()
	if _, err := s.UserByID(ctx, "u_old"); err != nil {
		t.Fatalf("v1 data lost: %v", err)
	}
	appendAudits(t, s, 2)
	if last, err := s.LastAudit(ctx); err != nil || last.Seq != 2 {
		t.Fatalf("audit after migration: %+v %v", last, err)
	}

	sub, _ := fs.Sub(migrations, "migrations")
	full, err := goose.NewProvider(goose.DialectSQLite3, s.db, sub)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := full.DownTo(ctx, 1); err != nil {
		t.Fatalf("down migration: %v", err)
	}
	var tables int
	s.db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE name LIKE 'audit%'").Scan(&tables)
	if tables != 0 {
		t.Fatalf("%d audit objects left after down migration", tables)
	}
	if _, err := full.Up(ctx); err != nil {
		t.Fatalf("up again: %v", err)
	}
}

func TestAuditDetailsStoredAsCanonicalJSON(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	e := store.AuditEntry{Time: time.Now(), Action: "a", Outcome: "success", Details: map[string]string{"z": "1", "a": "<&>"}}
	if _, err := s.AppendAudit(context.Background(), e, testSeal); err != nil {
		t.Fatal(err)
	}
	var details string
	if err := s.db.QueryRow("SELECT details FROM audit_log").Scan(&details); err != nil {
		t.Fatal(err)
	}
	if details != `{"a":"\u003c\u0026\u003e","z":"1"}` {
		t.Fatalf("details stored as %s", details)
	}
	if _, err := s.db.Exec("DROP TRIGGER audit_log_append_only_update"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec("UPDATE audit_log SET details = 'not json'"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AuditEntries(context.Background(), store.AuditFilter{}); err == nil || !strings.Contains(err.Error(), "entry 1") {
		t.Fatalf("garbage details: %v", err)
	}
}
