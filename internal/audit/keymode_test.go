package audit

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/keyfile"
)

// An audit key that other local accounts can read lets them forge entries,
// so it is refused like master.key, by LoadKey and by LoadOrCreateKey.
func TestLoadKeyRefusesLooseMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.key")
	if _, err := LoadOrCreateKey(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, load := range map[string]func(string) ([]byte, error){"LoadKey": LoadKey, "LoadOrCreateKey": LoadOrCreateKey} {
		_, err := load(path)
		if !errors.Is(err, keyfile.ErrExposed) {
			t.Fatalf("%s: mode 0644 gave %v, want keyfile.ErrExposed", name, err)
		}
		if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("%s: error %q does not name the file and the fix", name, err)
		}
	}
}
