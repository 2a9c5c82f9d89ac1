package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestEnsureDataDir(t *testing.T) {
	c := Config{DataDir: filepath.Join(t.TempDir(), "a", "b")}
	if err := c.EnsureDataDir(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(c.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %04o, want 0700", fi.Mode().Perm())
	}
	if err := c.CheckDataDirPerms(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(c.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckDataDirPerms(); err == nil || !strings.Contains(err.Error(), "chmod 700") {
		t.Fatalf("loose perms not reported: %v", err)
	}
	if err := c.EnsureDataDir(); err != nil {
		t.Fatalf("existing dir: %v", err)
	}
}
