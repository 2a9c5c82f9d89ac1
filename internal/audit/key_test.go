package audit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestLoadOrCreateKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data", "audit.key")
	if _, err := LoadKey(path); !errors.Is(err, ErrNoKey) {
		t.Fatalf("missing key: %v", err)
	}
	k1, err := LoadOrCreateKey(path)
	if err != nil || len(k1) != KeyLen {
		t.Fatalf("create: %x %v", k1, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", fi.Mode(), err)
	}
	k2, err := LoadOrCreateKey(path)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Fatal("second load gave another key")
	}
	if k3, err := LoadKey(path); err != nil || !bytes.Equal(k1, k3) {
		t.Fatal("LoadKey differs")
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".audit-key-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

// TestLoadOrCreateKeyRace: processes starting together agree on one key.
func TestLoadOrCreateKeyRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "audit.key")
	const n = 16
	keys := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = LoadOrCreateKey(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("goroutine %d: %x %v (first %x)", i, keys[i], errs[i], keys[0])
		}
	}
}

func TestLoadKeyRejectsGarbage(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"short": "abcd\n", "not hex": string(bytes.Repeat([]byte("zz"), 32))} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadOrCreateKey(path); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := LoadOrCreateKey(filepath.Join(dir, "short", "x")); err == nil {
		t.Error("key under a file accepted")
	}
}
