package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

// TestPrivacyReportCLI writes the records of processing from the
// configuration file and the data dir, in both formats, and records it.
func TestPrivacyReportCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	addAdmin(t, dir, "admin@example.org")
	conf := filepath.Join(t.TempDir(), "conclave.toml")
	if err := os.WriteFile(conf, []byte("organisation = \"Example e.V.\"\nretention_recording = \"168h\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"CONCLAVE_PRIVACY_CONTACT": "privacy@example.org"}
	r := cli(t, vars, "", "privacy", "report", "--data", dir, "--config", conf)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"# Records of processing activities", "| Controller | Example e.V. |",
		"privacy@example.org", "| recording | 7 days |", "encrypted at rest", dir,
		"table transcript_segments"} { // the transcript kind, listed as registered
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	r = cli(t, vars, "", "privacy", "report", "--data", dir, "--format", "html")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "<!doctype html>") {
		t.Fatalf("html: exit %d, %.60s", r.code, r.stdout)
	}
	if r := cli(t, nil, "", "privacy", "report", "--data", dir, "--format", "pdf"); r.code != 2 {
		t.Fatalf("--format pdf: exit %d", r.code)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	es, err := st.AuditEntries(context.Background(), store.AuditFilter{Action: "privacy.report"})
	if err != nil || len(es) != 2 || es[0].Details["via"] != "cli" || es[1].Details["format"] != "html" {
		t.Fatalf("recorded %+v, %v", es, err)
	}
}
