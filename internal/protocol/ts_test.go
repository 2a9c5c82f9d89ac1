package protocol

import (
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/nodetest"
)

// TestTypeScriptFixtures runs web/test/wire.test.ts, which checks the
// generated TypeScript validators against testdata/fixtures.json, with
// node's test runner (package nodetest).
func TestTypeScriptFixtures(t *testing.T) {
	out := nodetest.Run(t, nodetest.Root(t, 2), "web/test/wire.test.ts", "--test")
	if !strings.Contains(out, "# fail 0") {
		t.Fatalf("node --test reported failures:\n%s", out)
	}
	t.Logf("node --test:\n%s", lastLines(out, 9))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
