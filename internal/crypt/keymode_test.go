package crypt

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/keyfile"
)

// master.key is refused under the same rule, and with the same error, as
// every other key file (package keyfile).
func TestReadKeyFileRefusesLooseMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), KeyFile)
	m, err := NewMaster()
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteKeyFile(path, m); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = ReadKeyFile(path)
	if !errors.Is(err, keyfile.ErrExposed) {
		t.Fatalf("mode 0644 gave %v, want keyfile.ErrExposed", err)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("error %q does not name the file and the fix", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadKeyFile(path); err != nil || got.ID != m.ID {
		t.Fatalf("mode 0600: %v %v", got.ID, err)
	}
}
