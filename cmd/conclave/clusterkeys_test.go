package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestClusterAuditKeyIsReadNeverCreated: with audit_key_file set, every
// command uses that key and none creates one, neither there nor in the
// data directory; a missing file is an error that says what to do.
func TestClusterAuditKeyIsReadNeverCreated(t *testing.T) {
	keys := t.TempDir()
	key := filepath.Join(keys, "audit.key")
	if err := os.WriteFile(key, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "data")
	vars := map[string]string{"CONCLAVE_PASSWORD": testPassword, "CONCLAVE_AUDIT_KEY_FILE": key}
	if r := cli(t, vars, "", "user", "add", "--data", dir, "--email", "ada@example.org", "--name", "Ada", "--role", "admin"); r.code != 0 {
		t.Fatalf("user add: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(dir, "audit.key")); !os.IsNotExist(err) {
		t.Fatalf("a key was created in the data directory: %v", err)
	}
	if r := cli(t, vars, "", "audit", "verify", "--data", dir); r.code != 0 || !strings.Contains(r.stdout, "intact") {
		t.Fatalf("verify with the cluster's key: %+v", r)
	}
	// Without it the log cannot be verified: the entries were sealed with
	// the cluster's key, and no other is made up.
	if r := cli(t, nil, "", "audit", "verify", "--data", dir); r.code == 0 {
		t.Fatalf("verified without the key: %+v", r)
	}

	missing := map[string]string{"CONCLAVE_PASSWORD": testPassword, "CONCLAVE_AUDIT_KEY_FILE": filepath.Join(keys, "none.key")}
	other := filepath.Join(t.TempDir(), "data")
	r := cli(t, missing, "", "user", "add", "--data", other, "--email", "bo@example.org", "--name", "Bo", "--role", "admin")
	if r.code == 0 || !strings.Contains(r.stderr, "audit_key_file") || !strings.Contains(r.stderr, "never created") {
		t.Fatalf("a missing cluster key: %+v", r)
	}
	for _, p := range []string{filepath.Join(keys, "none.key"), filepath.Join(other, "audit.key")} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s was created", p)
		}
	}
}
