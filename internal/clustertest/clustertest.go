// Package clustertest provisions what the nodes of a test cluster share
// (docs/operations.md, "Several nodes"), for the tests that start nodes
// as separate processes (test/cluster, test/browser).
package clustertest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/conclave-meet/conclave/internal/pgtest"
)

// Env is the environment every node of a test cluster on the pgtest
// database dsn is given: the store, a fresh master key, an audit key
// file, a shared content directory (in a real cluster a network
// filesystem every node mounts) and a node URL on the port each node
// binds.
func Env(t testing.TB, dsn string) map[string]string {
	t.Helper()
	master := make([]byte, 32)
	rand.Read(master)
	audit := make([]byte, 32)
	rand.Read(audit)
	keyFile := filepath.Join(t.TempDir(), "audit.key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(audit)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"CONCLAVE_STORE":          pgtest.URL(t, dsn, "unused-password"),
		"CONCLAVE_MASTER_KEY":     base64.StdEncoding.EncodeToString(master),
		"CONCLAVE_AUDIT_KEY_FILE": keyFile,
		"CONCLAVE_CONTENT_DIR":    t.TempDir(),
		"CONCLAVE_NODE_URL":       "http://127.0.0.1:0",
	}
}
