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
var webUnitTests = []string{
	"web/test/browsers.test.ts",
	// End-to-end encryption (web/src/e2ee, docs/e2ee.md): RFC 9605 test
	// vectors, frame transform, key wrapping and safety codes.
	"web/test/e2ee/sframe.test.ts",
	"web/test/e2ee/transform.test.ts",
	"web/test/e2ee/keys.test.ts",
	// End-to-end encrypted chat (web/src/e2ee/chat.ts, web/src/e2eechat.ts).
	"web/test/e2ee/chat.test.ts",
}

// TestWebUnitTests runs each with node's test runner (package nodetest).
func TestWebUnitTests(t *testing.T) {
	root := nodetest.Root(t, 2)
	for _, entry := range webUnitTests {
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
