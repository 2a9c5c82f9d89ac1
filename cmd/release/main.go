// Command release builds Conclave's release binaries reproducibly and
// writes their checksums (docs/operations.md, "Updates"):
//
//	go run ./cmd/release -version v1.4.0           # out/conclave-linux-amd64, out/conclave-linux-arm64, out/SHA256SUMS
//	go run ./cmd/release -version v1.4.0 -verify   # then build again with an empty build cache; exit 1 on any difference
//
// The same source, Go version and version string give the same bytes on
// any machine: the build is static (CGO_ENABLED=0), holds no paths of the
// build machine (-trimpath), no build ID (-buildid=), no symbol table
// (-s -w) and nothing from version control (-buildvcs=false: a source
// tarball rebuilds the same as a checkout). Everything else that could
// change the output (GOFLAGS, GOAMD64, GOARM64, GOEXPERIMENT) is fixed
// here rather than taken from the environment. A rebuild needs the commit,
// the version string (`conclave version`) and the Go version, which the
// binary records (`go version -m conclave-linux-amd64`; with -trimpath the
// go command leaves the linker flags out of that record).
//
// The sharer's remote control agent (`conclave agent`) is inside the same
// binary, so the checksums cover it too.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"

	"github.com/conclave-meet/conclave/internal/release"
)

// Target is one platform of a release.
type Target struct{ OS, Arch string }

// Name is the released file's name.
func (t Target) Name() string { return "conclave-" + t.OS + "-" + t.Arch }

// Targets are the platforms released: Linux, which the server and the
// agent (X11) support.
var Targets = []Target{{"linux", "amd64"}, {"linux", "arm64"}}

// SumsFile is the checksums' file, in sha256sum's format.
const SumsFile = "SHA256SUMS"

// pkg is what is built, relative to the module root.
const pkg = "./cmd/conclave"

func main() {
	version := flag.String("version", "", "release version, as `v1.4.0` (semantic versioning); required")
	out := flag.String("out", "out", "directory for the binaries and "+SumsFile+", relative to the module root")
	verify := flag.Bool("verify", false, "build a second time with an empty build cache and fail if any checksum differs")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: release -version v1.4.0 [-out DIR] [-verify]\n\nBuilds %s for %s reproducibly and writes %s.\n\n", pkg, targetList(), SumsFile)
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 0 || *version == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(context.Background(), *version, *out, *verify, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func targetList() string {
	var s []string
	for _, t := range Targets {
		s = append(s, t.OS+"/"+t.Arch)
	}
	return strings.Join(s, ", ")
}

func run(ctx context.Context, version, out string, verify bool, w io.Writer) error {
	if err := checkVersion(version); err != nil {
		return err
	}
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	goVersion, err := goOutput(ctx, root, nil, "env", "GOVERSION")
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "building %s %s with %s\n", pkg, version, goVersion)
	sums, err := buildAll(ctx, root, version, out, "")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, SumsFile), []byte(FormatSums(sums)), 0o644); err != nil {
		return err
	}
	fmt.Fprint(w, FormatSums(sums))
	if !verify {
		return nil
	}
	// The second build shares nothing with the first but the sources and
	// the module cache (whose contents go.sum pins): a fresh build cache
	// compiles everything again, the standard library too.
	tmp, err := os.MkdirTemp("", "conclave-release-verify-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintln(w, "verifying: building again with an empty build cache")
	again, err := buildAll(ctx, root, version, filepath.Join(tmp, "out"), filepath.Join(tmp, "cache"))
	if err != nil {
		return err
	}
	if diff := CompareSums(sums, again); diff != "" {
		return fmt.Errorf("the build is not reproducible: %s", diff)
	}
	fmt.Fprintln(w, "verified: both builds are identical")
	return nil
}

// checkVersion refuses what is not a semantic version: the string goes
// into the linker's flags, and the release feed compares versions.
func checkVersion(v string) error {
	plain := !strings.ContainsFunc(v, func(r rune) bool {
		return !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' || r == '-' || r == '+')
	})
	if _, ok := release.ParseVersion(v); !ok || !plain || !strings.HasPrefix(v, "v") {
		return fmt.Errorf("version %q is not a semantic version such as v1.4.0", v)
	}
	return nil
}

// buildAll builds every target into out and returns their checksums by
// file name; gocache "" is the usual build cache.
func buildAll(ctx context.Context, root, version, out, gocache string) (map[string]string, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	sums := map[string]string{}
	for _, t := range Targets {
		path := filepath.Join(out, t.Name())
		if err := Build(ctx, root, version, t, path, gocache); err != nil {
			return nil, err
		}
		sum, err := FileSum(path)
		if err != nil {
			return nil, err
		}
		sums[t.Name()] = sum
	}
	return sums, nil
}

// BuildArgs are the go command's arguments for one release binary.
func BuildArgs(version, path string) []string {
	return []string{"build", "-trimpath", "-buildvcs=false",
		"-ldflags", "-s -w -buildid= -X main.version=" + version,
		"-o", path, pkg}
}

// BuildEnv is the environment of a release build: the caller's, for the
// go command's own settings (GOPATH, GOMODCACHE, GOPROXY, HOME), with
// everything that shapes the output fixed.
func BuildEnv(base []string, t Target, gocache string) []string {
	fixed := map[string]string{
		"CGO_ENABLED":  "0",
		"GOOS":         t.OS,
		"GOARCH":       t.Arch,
		"GOFLAGS":      "",
		"GOAMD64":      "v1",
		"GOARM64":      "v8.0",
		"GOEXPERIMENT": "",
	}
	if gocache != "" {
		fixed["GOCACHE"] = gocache
	}
	var env []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := fixed[k]; !ok {
			env = append(env, kv)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(fixed)) {
		env = append(env, k+"="+fixed[k])
	}
	return env
}

// Build builds the release binary of t at path, from the module at root.
func Build(ctx context.Context, root, version string, t Target, path string, gocache string) error {
	if err := checkVersion(version); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "go", BuildArgs(version, path)...)
	cmd.Dir = root
	cmd.Env = BuildEnv(os.Environ(), t, gocache)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build for %s/%s: %v\n%s", t.OS, t.Arch, err, b)
	}
	return nil
}

// FileSum is the hex SHA-256 of the file at path.
func FileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// FormatSums writes sums as sha256sum does (hash, two spaces, name), by
// name, so that `sha256sum -c SHA256SUMS` checks them.
func FormatSums(sums map[string]string) string {
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(sums)) {
		fmt.Fprintf(&b, "%s  %s\n", sums[name], name)
	}
	return b.String()
}

// CompareSums says how two builds differ, "" when they do not.
func CompareSums(a, b map[string]string) string {
	var diffs []string
	for _, name := range slices.Sorted(maps.Keys(a)) {
		switch other, ok := b[name]; {
		case !ok:
			diffs = append(diffs, name+" missing from the second build")
		case other != a[name]:
			diffs = append(diffs, fmt.Sprintf("%s: %s, then %s", name, a[name], other))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[name]; !ok {
			diffs = append(diffs, name+" only in the second build")
		}
	}
	return strings.Join(diffs, "; ")
}

// moduleRoot is the directory of the main module's go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	gomod, err := goOutput(ctx, "", nil, "env", "GOMOD")
	if err != nil {
		return "", err
	}
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run this inside the Conclave module (go run ./cmd/release)")
	}
	return filepath.Dir(gomod), nil
}

func goOutput(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = env
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %w", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(b)), nil
}
