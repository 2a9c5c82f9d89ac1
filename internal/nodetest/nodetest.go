// Package nodetest runs the web client's TypeScript tests from Go tests:
// bundled for Node.js with esbuild's Go API, as the client itself is
// bundled, and run with node. Without node a test is skipped, except
// under CI (env CI set), where it fails: CI must run them.
package nodetest

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

// Node returns the node binary, skipping t (or failing it under CI)
// without one.
func Node(t testing.TB) string {
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

// Run bundles entry (relative to the repository root, or absolute) into a
// temporary directory and runs it with node and args, failing t with
// node's output if it fails. It returns the output.
func Run(t testing.TB, root, entry string, args ...string) string {
	t.Helper()
	node := Node(t)
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

// Root is the repository root seen from a package directory depth levels
// below it.
func Root(t testing.TB, depth int) string {
	t.Helper()
	rel := strings.TrimSuffix(strings.Repeat("../", depth), "/")
	root, err := filepath.Abs(rel)
	if err != nil {
		t.Fatal(err)
	}
	return root
}
