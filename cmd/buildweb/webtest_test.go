package main

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

// webUnitTests are the client's TypeScript unit tests this package runs.
// web/test/wire.test.ts is not among them: internal/protocol runs it with
// the fixtures it shares with the Go tests.
var webUnitTests = []string{"web/test/browsers.test.ts"}

// TestWebUnitTests bundles each test for Node.js with esbuild's Go API,
// as the client itself is bundled, and runs it with `node --test`.
// Without node it is skipped, except under CI, where it fails.
func TestWebUnitTests(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node is not on PATH; CI must run the TypeScript tests")
		}
		t.Skip("node is not on PATH")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, entry := range webUnitTests {
		t.Run(filepath.Base(entry), func(t *testing.T) {
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
			cmd := exec.CommandContext(ctx, node, "--test", out)
			cmd.Dir = filepath.Dir(out)
			output, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(output), "# fail 0") {
				t.Fatalf("node --test %s: %v\n%s", entry, err, output)
			}
		})
	}
}
