package main

import (
	"archive/zip"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
)

// TestPrivacyEraseJSONShape: every key of the erasure report is
// lower-case snake case, and the per-kind counts carry the names the
// data.erase audit details use.
func TestPrivacyEraseJSONShape(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	addAdmin(t, dir, "admin@example.org")
	pw := map[string]string{"CONCLAVE_PASSWORD": testPassword}
	if r := cli(t, pw, "", "user", "add", "--data", dir, "--email", "m@example.org", "--name", "M"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r := cli(t, nil, "", "privacy", "erase", "--data", dir, "--email", "m@example.org", "--yes")
	if r.code != 0 {
		t.Fatalf("erase: %+v", r)
	}
	var rep struct {
		Kinds []map[string]any `json:"kinds"`
	}
	var top map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &top); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || len(rep.Kinds) == 0 {
		t.Fatalf("kinds: %v %s", err, r.stdout)
	}
	if got := slices.Sorted(maps.Keys(top)); !slices.Equal(got, []string{"complete", "erased_at", "kinds", "subject"}) {
		t.Errorf("report keys %v", got)
	}
	allowed := []string{"deleted", "error", "kind", "note", "pseudonymised", "shredded"}
	for _, k := range rep.Kinds {
		for key := range k {
			if !slices.Contains(allowed, key) {
				t.Errorf("kind %v: key %q", k["kind"], key)
			}
		}
		for _, key := range []string{"deleted", "shredded", "pseudonymised"} {
			if _, ok := k[key].(float64); !ok {
				t.Errorf("kind %v lacks the count %q", k["kind"], key)
			}
		}
	}
}

// TestAuditExportDefaultsToJSON: --format may be left out.
func TestAuditExportDefaultsToJSON(t *testing.T) {
	dir, _ := auditDir(t)
	r := cli(t, nil, "", "audit", "export", "--data", dir)
	var recs []audit.Record
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &recs) != nil || len(recs) != 5 {
		t.Fatalf("export without --format: %d %q %q", r.code, r.stdout, r.stderr)
	}
	if recs[4].Action != "audit.export" || recs[4].Details["format"] != "json" {
		t.Fatalf("the export's own entry: %+v", recs[4])
	}
	if r := cli(t, nil, "", "audit", "export", "-h"); !strings.Contains(r.stderr, `json or csv (default "json")`) {
		t.Fatalf("help does not name the default: %q", r.stderr)
	}
}

// TestPrivacyExportZipDates: every entry of the archive is dated at the
// export, none at the zip epoch (1980).
func TestPrivacyExportZipDates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	id := addAdmin(t, dir, "admin@example.org")
	out := filepath.Join(t.TempDir(), "export.zip")
	before := time.Now().Add(-2 * time.Second) // zip times have 2 s resolution
	if r := cli(t, nil, "", "privacy", "export", "--data", dir, "--subject", id, "--out", out); r.code != 0 {
		t.Fatalf("export: %+v", r)
	}
	after := time.Now().Add(2 * time.Second)
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	for _, f := range zr.File {
		if m := f.Modified; m.Before(before) || m.After(after) {
			t.Errorf("%s dated %v, want the export's time", f.Name, m)
		}
	}
}
