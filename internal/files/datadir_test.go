package files

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf16"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/privacy"
)

// Distinctive, so that a byte scan cannot match by accident.
const (
	markerContent = "Zygodactyl-Quincunx-Marmoset-60417"
	markerName    = "Pangolin-Ferrule-Minutes"
)

// TestDataDirHoldsNoPlainText is the data-directory scan of
// TestErasureLeavesNothingReadable (cmd/conclave) for shared files: a file
// with a known marker in its content and its name is uploaded (through
// the scanner-less path, with the real audit log on the same database),
// downloaded and exported, and no file under the data directory, the
// database, its WAL or the content directory, ever holds the marker in
// plain text; after the uploader's erasure, not even the server can read
// it any more.
func TestDataDirHoldsNoPlainText(t *testing.T) {
	e := newEnv(t, nil)
	log := audit.New(e.st, audit.Options{Key: bytes.Repeat([]byte("k"), 32)})
	e.svc.opts.Audit = log
	ctx := context.Background()
	content := bytes.Join([][]byte{text(2 * ChunkSize), []byte(markerContent), text(ChunkSize), []byte(markerContent + "\n")}, nil)
	f := e.mustUpload(t, alice, markerName+".txt", content, bob)

	rc, err := e.svc.Content(f)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := got.ReadFrom(rc); err != nil || !bytes.Equal(got.Bytes(), content) {
		t.Fatalf("content: %v", err)
	}
	rc.Close()
	kind := privacy.SharedFileKind{Files: e.svc}
	items, err := kind.Export(ctx, privacy.Subject{ID: "u_alice"})
	if err != nil || len(items) != 1 || !bytes.Contains(items[0].File, []byte(markerContent)) {
		t.Fatalf("export before erasure: %d items, %v", len(items), err)
	}
	scanForMarkers(t, e.data)

	if _, err := kind.Erase(ctx, privacy.Subject{ID: "u_alice"}); err != nil {
		t.Fatal(err)
	}
	if err := e.st.ScrubDeleted(ctx); err != nil {
		t.Fatal(err)
	}
	scanForMarkers(t, e.data)
	for _, subject := range []string{"u_alice", "u_bob", "p_alice", "p_bob"} {
		items, err := kind.Export(ctx, privacy.Subject{ID: subject})
		if err != nil || len(items) != 0 {
			t.Fatalf("%s's export after erasure: %d items, %v", subject, len(items), err)
		}
	}
	if entries, _ := os.ReadDir(e.svc.opts.Dir); len(entries) != 0 {
		t.Fatalf("content directory after erasure: %d entries", len(entries))
	}
}

// scanForMarkers reads every file under dir for the markers, in UTF-8 and
// UTF-16.
func scanForMarkers(t *testing.T, dir string) {
	t.Helper()
	seen := 0
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		seen++
		for _, m := range []string{markerContent, markerName} {
			for _, form := range [][]byte{[]byte(m), utf16le(m)} {
				if bytes.Contains(b, form) {
					t.Errorf("%s holds %q in plain text", filepath.Base(path), m)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 3 { // at least the database, the master key and some content or WAL
		t.Fatalf("scanned only %d files", seen)
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}
