package keyfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "some.key")
	if err := os.WriteFile(path, []byte("k3y\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Chmod, not WriteFile's mode: the umask would mask group and other bits.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReadRefusesGroupOrOtherAccess(t *testing.T) {
	for _, mode := range []os.FileMode{0o644, 0o640, 0o604, 0o660, 0o601} {
		path := write(t, mode)
		_, err := Read(path)
		if !errors.Is(err, ErrExposed) {
			t.Fatalf("mode %04o: err %v, want ErrExposed", mode, err)
		}
		if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "chmod 600") {
			t.Errorf("mode %04o: error %q does not name the file and the fix", mode, msg)
		}
	}
}

func TestReadAcceptsOwnerOnly(t *testing.T) {
	for _, mode := range []os.FileMode{0o600, 0o400} {
		b, err := Read(write(t, mode))
		if err != nil || string(b) != "k3y\n" {
			t.Fatalf("mode %04o: %q, %v", mode, b, err)
		}
	}
}

func TestReadMissingIsNotExist(t *testing.T) {
	_, err := Read(filepath.Join(t.TempDir(), "absent.key"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("err %v, want fs.ErrNotExist", err)
	}
}

func TestReadRefusesHugeFile(t *testing.T) {
	path := write(t, 0o600)
	if err := os.WriteFile(path, make([]byte, MaxSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(path); err == nil {
		t.Fatal("a file over MaxSize was accepted as a key")
	}
}
