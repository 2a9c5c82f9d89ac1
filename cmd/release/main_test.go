package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestBuildArgs(t *testing.T) {
	got := strings.Join(BuildArgs("v1.4.0", "/o/conclave"), " ")
	for _, want := range []string{"build -trimpath -buildvcs=false", "-ldflags -s -w -buildid= -X main.version=v1.4.0", "-o /o/conclave ./cmd/conclave"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks %q", got, want)
		}
	}
}

// TestCheckVersion: only a semantic version reaches the linker's flags,
// where a space or a quote would add flags of its own.
func TestCheckVersion(t *testing.T) {
	for _, ok := range []string{"v1.4.0", "v1.5.0-rc.1", "v0.0.1+build.7"} {
		if err := checkVersion(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "1.4.0", "v1.4", "devel", "v1.4.0 -X main.x=y", "v1.4.0'", "v1.4.0\n"} {
		if err := checkVersion(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestBuildEnv: the caller's environment cannot change the output.
func TestBuildEnv(t *testing.T) {
	base := []string{"HOME=/home/a", "GOFLAGS=-race -tags=dev", "CGO_ENABLED=1", "GOARCH=386", "GOAMD64=v3", "GOEXPERIMENT=x", "GOCACHE=/c"}
	env := BuildEnv(base, Target{"linux", "arm64"}, "")
	for _, want := range []string{"HOME=/home/a", "GOCACHE=/c", "GOFLAGS=", "CGO_ENABLED=0", "GOOS=linux", "GOARCH=arm64", "GOAMD64=v1", "GOARM64=v8.0", "GOEXPERIMENT="} {
		if !slices.Contains(env, want) {
			t.Errorf("env lacks %s: %v", want, env)
		}
	}
	for _, bad := range []string{"GOFLAGS=-race -tags=dev", "CGO_ENABLED=1", "GOARCH=386", "GOAMD64=v3", "GOEXPERIMENT=x"} {
		if slices.Contains(env, bad) {
			t.Errorf("env keeps %s", bad)
		}
	}
	if env := BuildEnv(base, Target{"linux", "amd64"}, "/fresh"); !slices.Contains(env, "GOCACHE=/fresh") || slices.Contains(env, "GOCACHE=/c") {
		t.Errorf("fresh cache: %v", env)
	}
}

// TestSums: the format sha256sum -c reads, and the comparison of builds.
func TestSums(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "conclave-linux-amd64"), []byte("abc"), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := FileSum(filepath.Join(dir, "conclave-linux-amd64"))
	if err != nil || sum != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("sha256(abc) = %s, %v", sum, err)
	}
	sums := map[string]string{"conclave-linux-arm64": strings.Repeat("0", 64), "conclave-linux-amd64": sum}
	want := sum + "  conclave-linux-amd64\n" + strings.Repeat("0", 64) + "  conclave-linux-arm64\n"
	if got := FormatSums(sums); got != want {
		t.Fatalf("%q, want %q", got, want)
	}
	if d := CompareSums(sums, map[string]string{"conclave-linux-amd64": sum, "conclave-linux-arm64": strings.Repeat("0", 64)}); d != "" {
		t.Fatalf("same builds differ: %s", d)
	}
	d := CompareSums(sums, map[string]string{"conclave-linux-amd64": strings.Repeat("1", 64), "conclave-x": "0"})
	for _, want := range []string{"conclave-linux-amd64: ba78", "conclave-linux-arm64 missing", "conclave-x only in the second"} {
		if !strings.Contains(d, want) {
			t.Errorf("%q lacks %q", d, want)
		}
	}
	if sha, err := exec.LookPath("sha256sum"); err == nil {
		if err := os.WriteFile(filepath.Join(dir, SumsFile), []byte(FormatSums(sums)), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(sha, "-c", SumsFile, "--ignore-missing")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "conclave-linux-amd64: OK") {
			t.Fatalf("sha256sum -c: %v\n%s", err, out)
		}
	}
}

// TestReproducible builds the release binary for linux/amd64 twice, each
// into its own directory with its own temporary directory for the go
// command's work, and wants the same bytes, none of the build machine's
// paths, and its version and Go version there for whoever rebuilds it. Both
// builds share the build cache, so after the first (a few minutes on a
// small machine, cold) the second costs seconds: this shows that linking
// and the flags leave nothing of the build behind; `go run ./cmd/release
// -verify` builds again with an empty cache, compiling everything.
func TestReproducible(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the whole server (test.sh runs it)")
	}
	ctx := context.Background()
	root, err := moduleRoot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const version = "v0.0.0-reproducible.1"
	target := Target{"linux", "amd64"}
	var sums []string
	var first string
	var dirs []string
	for i := range 2 {
		dir, work := t.TempDir(), t.TempDir()
		dirs = append(dirs, dir, work)
		path := filepath.Join(dir, target.Name())
		// Each build's go command works in a directory of its own.
		t.Setenv("GOTMPDIR", work)
		if err := Build(ctx, root, version, target, path, ""); err != nil {
			t.Fatal(err)
		}
		sum, err := FileSum(path)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sum)
		if i == 0 {
			first = path
		}
	}
	if sums[0] != sums[1] {
		t.Fatalf("two builds differ: %s and %s", sums[0], sums[1])
	}
	bin, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	for _, leak := range append([]string{root}, dirs...) {
		if bytes.Contains(bin, []byte(leak)) {
			t.Errorf("the binary holds the build machine's path %s", leak)
		}
	}
	if !bytes.Contains(bin, []byte(version)) {
		t.Errorf("the binary lacks its version %s", version)
	}
	out, err := exec.Command("go", "version", "-m", first).CombinedOutput()
	if err != nil {
		t.Fatalf("go version -m: %v\n%s", err, out)
	}
	goVersion, err := goOutput(ctx, root, nil, "env", "GOVERSION")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{": " + goVersion + "\n", "-trimpath=true", "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GOAMD64=v1"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("go version -m lacks %q:\n%s", want, out)
		}
	}
}
