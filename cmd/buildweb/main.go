// Command buildweb bundles the browser client (web/src/main.ts) into
// internal/web/static/app.js with esbuild's Go API, so building Conclave needs
// no Node.js toolchain. The bundle is committed and embedded into the binary.
// A second bundle, internal/web/static/e2ee-worker.js from
// web/src/e2ee/worker.ts, is the end-to-end encryption worker (docs/e2ee.md):
// a worker needs a script of its own.
//
//	go run ./cmd/buildweb          # rebuild both bundles
//	go run ./cmd/buildweb -check   # exit 1 when a committed bundle is stale
//
// It also copies the segmentation model (background blur, virtual
// backgrounds) from web/node_modules into internal/web/static/segmentation,
// and -check fails when those copies differ (segmentation.go).
//
// Type checking is separate: `cd web && npx tsc --noEmit` (esbuild only strips
// types). The output is deterministic: same sources, same bytes.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/evanw/esbuild/pkg/api"
)

const (
	modulePath = "github.com/conclave-meet/conclave"
	entryPoint = "web/src/main.ts"
	outFile    = "internal/web/static/app.js"
)

// bundles are the scripts built, each from its entry point.
var bundles = []struct{ entry, out string }{
	{entryPoint, outFile},
	{"web/src/e2ee/worker.ts", "internal/web/static/e2ee-worker.js"},
}

func main() {
	check := flag.Bool("check", false, "build in memory and fail if "+outFile+" differs from the fresh bundle")
	root := flag.String("root", "", "repository root (default: nearest parent directory whose go.mod declares "+modulePath+")")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: buildweb [-check] [-root DIR]\n\nBundles %s into %s.\n\n", entryPoint, outFile)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*root, *check); err != nil {
		fmt.Fprintln(os.Stderr, "buildweb:", err)
		os.Exit(1)
	}
}

func run(root string, check bool) error {
	if root == "" {
		r, err := findRoot()
		if err != nil {
			return err
		}
		root = r
	}
	root, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	// Build everything before touching a file, so an error leaves all as it was.
	built := make([][]byte, len(bundles))
	for i, b := range bundles {
		if built[i], err = bundle(root, b.entry, b.out); err != nil {
			return err
		}
	}
	if err := syncSegmentation(root, check); err != nil {
		return err
	}
	for i, b := range bundles {
		if err := writeOrCheck(root, b.entry, b.out, built[i], check); err != nil {
			return err
		}
	}
	return nil
}

// writeOrCheck writes js, built from entry, to out, or with check compares
// it with the committed out.
func writeOrCheck(root, entry, out string, js []byte, check bool) error {
	dest := filepath.Join(root, filepath.FromSlash(out))
	old, readErr := os.ReadFile(dest)
	if readErr != nil && !errors.Is(readErr, os.ErrNotExist) {
		return readErr
	}
	if check {
		switch {
		case readErr != nil:
			return fmt.Errorf("%s is missing: run `go run ./cmd/buildweb` and commit the result", out)
		case !bytes.Equal(old, js):
			return fmt.Errorf("%s is stale (it differs from a fresh build of %s): run `go run ./cmd/buildweb` and commit the result", out, entry)
		}
		fmt.Printf("buildweb: %s is up to date (%d bytes)\n", out, len(js))
		return nil
	}
	if readErr == nil && bytes.Equal(old, js) {
		fmt.Printf("buildweb: %s unchanged (%d bytes)\n", out, len(js))
		return nil
	}
	if err := writeAtomic(dest, js); err != nil {
		return err
	}
	fmt.Printf("buildweb: wrote %s (%d bytes)\n", out, len(js))
	return nil
}

// bundle builds entry in memory and returns the script for out.
func bundle(root, entry, out string) ([]byte, error) {
	res := api.Build(api.BuildOptions{
		AbsWorkingDir:     root,
		EntryPoints:       []string{entry},
		Outfile:           filepath.Join(root, filepath.FromSlash(out)),
		Bundle:            true,
		Write:             false,
		Format:            api.FormatIIFE,
		Platform:          api.PlatformBrowser,
		Target:            api.ES2020,
		MinifyWhitespace:  true,
		MinifyIdentifiers: true,
		MinifySyntax:      true,
		LegalComments:     api.LegalCommentsNone,
		Sourcemap:         api.SourceMapNone,
		Charset:           api.CharsetASCII,
		Tsconfig:          filepath.Join(root, "web", "tsconfig.json"),
		LogLevel:          api.LogLevelSilent,
		Plugins:           []api.Plugin{ownSourcesOnly(root)},
	})
	if len(res.Errors) > 0 {
		msgs := api.FormatMessages(res.Errors, api.FormatMessagesOptions{Kind: api.ErrorMessage})
		return nil, fmt.Errorf("esbuild failed:\n%s", strings.Join(msgs, ""))
	}
	if len(res.Warnings) > 0 {
		msgs := api.FormatMessages(res.Warnings, api.FormatMessagesOptions{Kind: api.WarningMessage})
		return nil, fmt.Errorf("esbuild reported warnings (treated as errors):\n%s", strings.Join(msgs, ""))
	}
	for _, f := range res.OutputFiles {
		if filepath.Base(f.Path) == filepath.Base(out) {
			return f.Contents, nil
		}
	}
	return nil, fmt.Errorf("esbuild produced no %s", filepath.Base(out))
}

var relativeImport = regexp.MustCompile(`^\.{1,2}/`)

// ownSourcesOnly refuses any import that is not a relative path inside
// web/src: the bundle must never contain third-party code.
func ownSourcesOnly(root string) api.Plugin {
	src := filepath.Join(root, "web", "src") + string(filepath.Separator)
	return api.Plugin{
		Name: "own-sources-only",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: `.*`}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
				if args.Kind == api.ResolveEntryPoint {
					return api.OnResolveResult{}, nil
				}
				if !relativeImport.MatchString(args.Path) {
					return api.OnResolveResult{}, fmt.Errorf("import %q: only relative imports of web/src modules are allowed (no runtime dependencies)", args.Path)
				}
				p := filepath.Join(args.ResolveDir, filepath.FromSlash(args.Path))
				if !strings.HasPrefix(p, src) {
					return api.OnResolveResult{}, fmt.Errorf("import %q resolves outside web/src", args.Path)
				}
				return api.OnResolveResult{}, nil // let esbuild resolve extensions
			})
		},
	}
}

// findRoot walks up from the working directory to the module root, so the
// command works both from the repository root and via go:generate in
// internal/web.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(data, []byte("module "+modulePath)) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod for %s found above the working directory; pass -root", modulePath)
		}
		dir = parent
	}
}

func writeAtomic(dest string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dest)
}
