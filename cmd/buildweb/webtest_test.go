package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/nodetest"
)

// webUnitTests are the client's TypeScript unit tests this package runs.
// web/test/wire.test.ts is not among them: internal/protocol runs it with
// the fixtures it shares with the Go tests.
var webUnitTests = []string{"web/test/browsers.test.ts"}

// TestWebUnitTests runs each with node's test runner (package nodetest).
func TestWebUnitTests(t *testing.T) {
	root := nodetest.Root(t, 2)
	for _, entry := range webUnitTests {
		t.Run(filepath.Base(entry), func(t *testing.T) {
			if out := nodetest.Run(t, root, entry, "--test"); !strings.Contains(out, "# fail 0") {
				t.Fatalf("node --test %s:\n%s", entry, out)
			}
		})
	}
}
