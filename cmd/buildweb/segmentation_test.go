package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeRoot makes a repository root whose web/package.json pins version
// pinned and whose node_modules holds the package at version installed.
func fakeRoot(t *testing.T, pinned, installed string) string {
	t.Helper()
	root := t.TempDir()
	write(t, filepath.Join(root, "web", "package.json"), `{"dependencies":{"`+segmentationPackage+`":"`+pinned+`"}}`)
	src := filepath.Join(root, filepath.FromSlash(segmentationSrc))
	write(t, filepath.Join(src, "package.json"), `{"version":"`+installed+`"}`)
	for _, name := range segmentationFiles {
		write(t, filepath.Join(src, name), "content of "+name)
	}
	// Files of the package the client never loads are not copied.
	write(t, filepath.Join(src, "selfie_segmentation_solution_wasm_bin.wasm"), "no SIMD")
	return root
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func wantCheckError(t *testing.T, root, substr string) {
	t.Helper()
	err := syncSegmentation(root, true)
	if err == nil || !strings.Contains(err.Error(), substr) {
		t.Fatalf("check: %v, want an error about %q", err, substr)
	}
}

// TestSegmentationCopyAndCheck: a build copies exactly the files the
// loader needs; the check then passes, and fails once a copy is changed,
// missing, or joined by a file that is not the package's.
func TestSegmentationCopyAndCheck(t *testing.T) {
	root := fakeRoot(t, "1.2.3", "1.2.3")
	dest := filepath.Join(root, filepath.FromSlash(segmentationDest))
	wantCheckError(t, root, "stale or missing")
	if err := syncSegmentation(root, false); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dest)
	if err != nil || len(entries) != len(segmentationFiles) {
		t.Fatalf("copied %v (%v), want %v", entries, err, segmentationFiles)
	}
	for _, name := range segmentationFiles {
		if b, err := os.ReadFile(filepath.Join(dest, name)); err != nil || string(b) != "content of "+name {
			t.Fatalf("%s: %q %v", name, b, err)
		}
	}
	if err := syncSegmentation(root, true); err != nil {
		t.Fatalf("check after build: %v", err)
	}

	write(t, filepath.Join(dest, segmentationFiles[0]), "edited")
	wantCheckError(t, root, segmentationFiles[0])
	if err := os.Remove(filepath.Join(dest, segmentationFiles[1])); err != nil {
		t.Fatal(err)
	}
	wantCheckError(t, root, segmentationFiles[1])
	write(t, filepath.Join(dest, "old_model.tflite"), "left over")
	wantCheckError(t, root, "old_model.tflite")

	// A build repairs all three.
	if err := syncSegmentation(root, false); err != nil {
		t.Fatal(err)
	}
	if err := syncSegmentation(root, true); err != nil {
		t.Fatalf("check after repair: %v", err)
	}
}

// TestSegmentationVersionPinned: node_modules must hold the version that
// web/package.json pins, or the check could bless a stale install.
func TestSegmentationVersionPinned(t *testing.T) {
	root := fakeRoot(t, "1.2.4", "1.2.3")
	wantCheckError(t, root, "pins 1.2.4")
	if err := syncSegmentation(root, false); err == nil {
		t.Fatal("build copied from a stale install")
	}
}

// TestSegmentationWithoutNodeModules: without npm a build keeps the
// committed copies, but the check fails: it cannot prove them current.
func TestSegmentationWithoutNodeModules(t *testing.T) {
	root := fakeRoot(t, "1.2.3", "1.2.3")
	if err := syncSegmentation(root, false); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(root, "web", "node_modules")); err != nil {
		t.Fatal(err)
	}
	if err := syncSegmentation(root, false); err != nil {
		t.Fatalf("build without node_modules: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(segmentationDest), segmentationFiles[0])); err != nil {
		t.Fatalf("committed copy lost: %v", err)
	}
	wantCheckError(t, root, "npm ci")
}
