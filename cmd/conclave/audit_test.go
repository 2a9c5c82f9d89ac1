package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

// auditDir returns a data dir whose log holds: 1 user.create (admin),
// then 2, 3 and 4 meeting.create.
func auditDir(t *testing.T) (dir, adminID string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "data")
	adminID = addAdmin(t, dir, "admin@example.org")
	for range 3 {
		if r := cli(t, nil, "", "meeting", "create", "--data", dir); r.code != 0 {
			t.Fatal(r.stderr)
		}
	}
	return dir, adminID
}

// rawSQL runs statements on the database behind the server's back, as
// someone with write access to the file could.
func rawSQL(t *testing.T, dir string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

var headLine = regexp.MustCompile(`(?m)^head: (\d+:[0-9a-f]{64})$`)

func TestAuditVerifyIntact(t *testing.T) {
	dir, _ := auditDir(t)
	r := cli(t, nil, "", "audit", "verify", "--data", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "audit log intact: 4 entries") {
		t.Fatalf("verify: %d %q %q", r.code, r.stdout, r.stderr)
	}
	m := headLine.FindStringSubmatch(r.stdout)
	if m == nil || !strings.HasPrefix(m[1], "4:") {
		t.Fatalf("no head line in %q", r.stdout)
	}
	if r := cli(t, nil, "", "audit", "verify", "--data", dir, "--anchor", m[1]); r.code != 0 {
		t.Fatalf("anchor of an intact log: %+v", r)
	}
}

func TestAuditVerifyTampered(t *testing.T) {
	cases := []struct {
		name  string
		stmts []string
		want  []string
	}{
		{"changed field", []string{
			"DROP TRIGGER audit_log_append_only_update",
			"UPDATE audit_log SET details = '{\"role\":\"member\",\"via\":\"cli\"}' WHERE seq = 1",
		}, []string{"entry 1: changed"}},
		{"deleted entry", []string{
			"DROP TRIGGER audit_log_append_only_delete",
			"DELETE FROM audit_log WHERE seq = 2",
		}, []string{"entry 2: missing"}},
		{"swapped entries", []string{
			"DROP TRIGGER audit_log_append_only_update",
			"UPDATE audit_log SET seq = 100 WHERE seq = 2",
			"UPDATE audit_log SET seq = 2 WHERE seq = 3",
			"UPDATE audit_log SET seq = 3 WHERE seq = 100",
		}, []string{"entry 2: reordered (it was sealed as entry 3)", "entry 3: reordered (it was sealed as entry 2)"}},
		{"recomputed without key", []string{
			"DROP TRIGGER audit_log_append_only_update",
			// SQLite's own sha256 is not available; any recomputation
			// without the key is a guess, and so is this one.
			"UPDATE audit_log SET hash = randomblob(32), outcome = 'failure' WHERE seq = 4",
		}, []string{"entry 4: changed"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := auditDir(t)
			rawSQL(t, dir, tc.stmts...)
			r := cli(t, nil, "", "audit", "verify", "--data", dir)
			if r.code != 1 || !strings.Contains(r.stderr, "verification failed") || !strings.Contains(r.stdout, "NOT intact") {
				t.Fatalf("verify: %d %q %q", r.code, r.stdout, r.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, r.stdout)
				}
			}
		})
	}
}

// TestAuditVerifyAnchorDetectsTruncation: cutting entries off the end
// leaves a valid chain; only an anchor kept elsewhere shows it.
func TestAuditVerifyAnchorDetectsTruncation(t *testing.T) {
	dir, _ := auditDir(t)
	anchor := headLine.FindStringSubmatch(cli(t, nil, "", "audit", "verify", "--data", dir).stdout)[1]
	rawSQL(t, dir, "DROP TRIGGER audit_log_append_only_delete", "DELETE FROM audit_log WHERE seq >= 3")
	if r := cli(t, nil, "", "audit", "verify", "--data", dir); r.code != 0 {
		t.Fatalf("truncated chain should still link: %+v", r)
	}
	r := cli(t, nil, "", "audit", "verify", "--data", dir, "--anchor", anchor)
	if r.code != 1 || !strings.Contains(r.stdout, "log truncated/shortened: published head seq 4, log ends at 2") {
		t.Fatalf("anchor: %+v", r)
	}
	if r := cli(t, nil, "", "audit", "verify", "--data", dir, "--anchor", "nonsense"); r.code != 2 {
		t.Fatalf("bad anchor: %+v", r)
	}
}

func TestAuditVerifyKeyAndDatabaseMissing(t *testing.T) {
	dir, _ := auditDir(t)
	if err := os.Remove(filepath.Join(dir, "audit.key")); err != nil {
		t.Fatal(err)
	}
	r := cli(t, nil, "", "audit", "verify", "--data", dir)
	if r.code != 1 || !strings.Contains(r.stderr, "audit key") || strings.Contains(r.stdout, "intact") {
		t.Fatalf("missing key: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "audit.key")); err == nil {
		t.Fatal("verify created a key")
	}

	absent := filepath.Join(t.TempDir(), "absent")
	if r := cli(t, nil, "", "audit", "verify", "--data", absent); r.code != 1 || !strings.Contains(r.stderr, "no database") {
		t.Fatalf("absent data dir: %+v", r)
	}
	if _, err := os.Stat(absent); err == nil {
		t.Fatal("verify created the data dir")
	}

	empty := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(empty, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	if r := cli(t, nil, "", "audit", "verify", "--data", empty); r.code != 0 || !strings.Contains(r.stdout, "intact: 0 entries") {
		t.Fatalf("empty log: %+v", r)
	}
}

func TestCLIActionsAreAudited(t *testing.T) {
	dir, adminID := auditDir(t)
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	es, err := st.AuditEntries(context.Background(), store.AuditFilter{})
	if err != nil || len(es) != 4 {
		t.Fatalf("%d entries, %v", len(es), err)
	}
	if e := es[0]; e.Action != "user.create" || e.Target != adminID || e.Actor != "" || e.Details["role"] != "admin" || e.Details["via"] != "cli" {
		t.Fatalf("user add recorded as %+v", e)
	}
	if e := es[2]; e.Action != "meeting.create" || e.Target != adminID || e.Meeting == "" {
		t.Fatalf("meeting create recorded as %+v", e)
	}
	raw, _ := json.Marshal(es)
	if strings.Contains(string(raw), "example.org") {
		t.Fatal("an e-mail address reached the audit log")
	}
	fi, err := os.Stat(filepath.Join(dir, "audit.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v %v", fi, err)
	}
}

func TestAuditExportCLI(t *testing.T) {
	dir, adminID := auditDir(t)
	r := cli(t, nil, "", "audit", "export", "--data", dir, "--format", "csv", "--action", "meeting.create", "--since", "2000-01-01")
	if r.code != 0 {
		t.Fatalf("export: %+v", r)
	}
	rows, err := csv.NewReader(strings.NewReader(r.stdout)).ReadAll()
	if err != nil || len(rows) != 4 || rows[1][2] != "meeting.create" || rows[1][4] != adminID {
		t.Fatalf("csv %v %v", rows, err)
	}
	r = cli(t, nil, "", "audit", "export", "--data", dir, "--format", "json")
	var recs []audit.Record
	if err := json.Unmarshal([]byte(r.stdout), &recs); err != nil || r.code != 0 {
		t.Fatalf("json %q: %v", r.stdout, err)
	}
	// Two exports so far; each recorded itself before writing.
	if len(recs) != 6 || recs[4].Action != "audit.export" || recs[4].Details["format"] != "csv" ||
		recs[4].Details["filter.action"] != "meeting.create" || recs[5].Details["format"] != "json" {
		t.Fatalf("records %+v", recs)
	}
	r = cli(t, nil, "", "audit", "export", "--data", dir, "--format", "json", "--until", "2000-01-01T00:00:00Z")
	if r.code != 0 || strings.TrimSpace(r.stdout) != "[\n]" {
		t.Fatalf("empty export %q", r.stdout)
	}
	if r := cli(t, nil, "", "audit", "verify", "--data", dir); r.code != 0 {
		t.Fatalf("after exports: %+v", r)
	}
}

func TestAuditExportCLIErrors(t *testing.T) {
	dir, _ := auditDir(t)
	for _, args := range [][]string{
		{"--format", "xml"}, {"--format", "csv", "--since", "yesterday"},
		{"--format", "csv", "--action", "nope"}, {"--format", "csv", "--actor", "admin@example.org"},
		{"--format", "csv", "--outcome", "ok"}, {"--format", "csv", "--meeting", "a b"}, {"--format", "csv", "extra"},
	} {
		r := cli(t, nil, "", append([]string{"audit", "export", "--data", dir}, args...)...)
		if r.code != 2 || r.stdout != "" {
			t.Errorf("%q: %d %q %q", args, r.code, r.stdout, r.stderr)
		}
	}
	for _, args := range [][]string{{"audit"}, {"audit", "bogus"}} {
		if r := cli(t, nil, "", args...); r.code != 2 || !strings.Contains(r.stderr, "Usage:") {
			t.Errorf("%q: %+v", args, r)
		}
	}
	if r := cli(t, nil, "", "audit", "bogus"); !strings.Contains(r.stderr, `"audit bogus"`) {
		t.Errorf("unknown subcommand message: %q", r.stderr)
	}
	if r := cli(t, nil, "", "help"); !strings.Contains(r.stdout, "audit verify") || !strings.Contains(r.stdout, "audit export") {
		t.Errorf("usage lacks the audit commands: %s", r.stdout)
	}
}
