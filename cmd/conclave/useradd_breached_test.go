package main

import (
	"crypto/sha1"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUserAddBreachedList: `conclave user add` refuses a password on the
// operator's breached-password list, as the web does.
func TestUserAddBreachedList(t *testing.T) {
	dir := t.TempDir()
	sum := sha1.Sum([]byte(testPassword))
	list := filepath.Join(t.TempDir(), "pwned.txt")
	if err := os.WriteFile(list, []byte(strings.ToUpper(hex.EncodeToString(sum[:]))+":42\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{"CONCLAVE_PASSWORD": testPassword}
	r := cli(t, vars, "", "user", "add", "--data", dir, "--breached-passwords", list, "--email", "b@example.org", "--name", "B")
	if r.code == 0 || !strings.Contains(r.stderr, "breach") {
		t.Fatalf("breached password accepted: %d %s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, testPassword) {
		t.Fatal("password echoed")
	}
	if r := cli(t, vars, "", "user", "add", "--data", dir, "--email", "b@example.org", "--name", "B"); r.code != 0 {
		t.Fatalf("without the list: %d %s", r.code, r.stderr)
	}
}
