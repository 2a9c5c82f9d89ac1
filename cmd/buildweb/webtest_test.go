package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/nodetest"
)

// notHere are the client's TypeScript unit tests another package runs:
// internal/protocol runs wire.test.ts with the fixtures it shares with the
// Go tests.
var notHere = []string{"web/test/wire.test.ts"}

// webUnitTests finds every web/test/**/*.test.ts but those in notHere, so
// that a new test file cannot be forgotten: the RFC 9605 vectors, frame
// transform, key wrapping, safety codes and encrypted chat of
// web/src/e2ee among them.
func webUnitTests(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(filepath.Join(root, "web", "test"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".test.ts") {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err == nil && !slices.Contains(notHere, filepath.ToSlash(rel)) {
			out = append(out, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 6 {
		t.Fatalf("found only %v under web/test", out)
	}
	return out
}

// TestWebUnitTests runs each with node's test runner (package nodetest).
func TestWebUnitTests(t *testing.T) {
	root := nodetest.Root(t, 2)
	if _, err := os.Stat(filepath.Join(root, "web", "test")); err != nil {
		t.Fatal(err)
	}
	for _, entry := range webUnitTests(t, root) {
		t.Run(filepath.Base(entry), func(t *testing.T) {
			out := nodetest.Run(t, root, entry, "--test")
			if !strings.Contains(out, "# fail 0") {
				t.Fatalf("node --test %s:\n%s", entry, out)
			}
			if i := strings.LastIndex(out, "# tests "); i >= 0 {
				t.Logf("node --test: %s", strings.Join(strings.Fields(out[i:]), " "))
			}
		})
	}
}
