package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

var truncationTime = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

// truncateDir removes every entry but the newest from the log in dir, as
// the retention sweeper would once they are old, and returns the anchors
// of all entries taken before.
func truncateDir(t *testing.T, dir string) []audit.Anchor {
	t.Helper()
	ctx := context.Background()
	st, key := openDirLog(t, dir)
	log := audit.New(st, audit.Options{Key: key, Now: func() time.Time { return truncationTime }})
	es, err := log.Entries(ctx, store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	anchors := make([]audit.Anchor, len(es))
	for i, e := range es {
		anchors[i] = audit.Anchor{Seq: e.Seq, Hash: e.Hash}
	}
	if n, err := log.Truncate(ctx, time.Now().Add(time.Hour)); err != nil || n != len(es)-1 {
		t.Fatalf("truncate: %d %v", n, err)
	}
	return anchors
}

func TestAuditVerifyAfterRetention(t *testing.T) {
	dir, _ := auditDir(t)
	anchors := truncateDir(t, dir)
	r := cli(t, nil, "", "audit", "verify", "--data", dir)
	want := "entries 1 to 3 removed by retention on 2030-01-02 03:04:05 UTC, chain verified from entry 4\n" +
		"audit log intact: 1 entries\nhead: " + anchors[3].String()
	if r.code != 0 || !strings.HasPrefix(r.stdout, want) {
		t.Fatalf("verify: %d %q %q", r.code, r.stdout, r.stderr)
	}
	// An anchor taken before is still checked when it is the head, or the
	// checkpoint itself.
	for _, a := range []audit.Anchor{anchors[3], anchors[2]} {
		if r := cli(t, nil, "", "audit", "verify", "--data", dir, "--anchor", a.String()); r.code != 0 {
			t.Fatalf("anchor %s: %+v", a, r)
		}
	}
	// An older one names an entry retention removed: not tampering, but
	// not a successful check either.
	r = cli(t, nil, "", "audit", "verify", "--data", dir, "--anchor", anchors[1].String())
	if r.code != 1 || !strings.Contains(r.stdout, "entry 2: removed by retention") ||
		!strings.Contains(r.stdout, "anchor could not be checked") || strings.Contains(r.stdout, "NOT intact") {
		t.Fatalf("removed anchor: %+v", r)
	}
}

func TestAuditVerifyTamperingAfterRetention(t *testing.T) {
	cases := []struct {
		name  string
		stmts []string
		want  string
	}{
		{"forged checkpoint", []string{
			"DROP TRIGGER audit_checkpoint_update",
			"UPDATE audit_checkpoint SET at = at - 1",
		}, "retention checkpoint at entry 3: changed"},
		{"entry after the checkpoint removed", []string{
			"DROP TRIGGER audit_log_append_only_delete",
			"DELETE FROM audit_log WHERE seq = 4",
		}, "entry 4: missing"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := auditDir(t)
			truncateDir(t, dir)
			// One more entry, so that removing entry 4 leaves a head.
			if r := cli(t, nil, "", "meeting", "create", "--data", dir); r.code != 0 {
				t.Fatal(r.stderr)
			}
			rawSQL(t, dir, tc.stmts...)
			r := cli(t, nil, "", "audit", "verify", "--data", dir)
			if r.code != 1 || !strings.Contains(r.stdout, tc.want) || !strings.Contains(r.stdout, "NOT intact") {
				t.Fatalf("verify: %d %q %q", r.code, r.stdout, r.stderr)
			}
		})
	}
}

// openDirLog opens the store and the audit key of the data dir dir, as an
// attacker with file access (or the CLI) would; the store closes when the
// test ends.
func openDirLog(t *testing.T, dir string) (*sqlite.Store, []byte) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	key, err := audit.LoadKey(filepath.Join(dir, "audit.key"))
	if err != nil {
		t.Fatal(err)
	}
	return st, key
}
