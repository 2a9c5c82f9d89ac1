package protocol

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/evanw/esbuild/pkg/api"
)

// TestTypeScriptFixtures runs web/test/wire.test.ts, which checks the
// generated TypeScript validators against testdata/fixtures.json: bundled
// with esbuild's Go API, run with `node --test`. Without node it is skipped,
// except under CI, where it fails.
func TestTypeScriptFixtures(t *testing.T) {
	node := nodeOrSkip(t)
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	out := runNode(t, node, root, "web/test/wire.test.ts", []string{"--test"})
	if !strings.Contains(out, "# fail 0") {
		t.Fatalf("node --test reported failures:\n%s", out)
	}
	t.Logf("node --test:\n%s", lastLines(out, 9))
}

// nodeOrSkip finds node; without it the test is skipped, except under CI.
func nodeOrSkip(t *testing.T) string {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is not on PATH; CI must run the TypeScript tests")
		}
		t.Skip("node is not on PATH")
	}
	return node
}

// runNode bundles entry (relative to root, or absolute) for Node.js with
// esbuild's Go API into a temporary directory and runs it with node and
// args, failing the test with node's output if it fails.
func runNode(t *testing.T, node, root, entry string, args []string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "bundle.mjs")
	res := api.Build(api.BuildOptions{
		AbsWorkingDir: root,
		EntryPoints:   []string{entry},
		Outfile:       out,
		Bundle:        true,
		Write:         true,
		Platform:      api.PlatformNode,
		Format:        api.FormatESModule,
		Target:        api.ES2022,
		Tsconfig:      filepath.Join(root, "web", "tsconfig.json"),
		LogLevel:      api.LogLevelSilent,
	})
	if len(res.Errors) > 0 {
		msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		t.Fatalf("esbuild %s:\n%s", entry, strings.Join(msgs, ""))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, append(args, out)...)
	cmd.Dir = filepath.Dir(out)
	output, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node %s failed: %v\n%s", entry, err, output)
	}
	return string(output)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
