package config

import (
	"strings"
	"testing"
)

// clusterKeys are the TOML keys of cluster.go's options, by flag.
var clusterKeys = map[string]string{"node-url": "node_url", "content-dir": "content_dir"}

const pgStore = "postgres://conclave@db.example.org/conclave"

// TestNodeURLMakesACluster: node_url, from any source, makes the node one
// of a cluster; without it the node is the database's only one.
func TestNodeURLMakesACluster(t *testing.T) {
	shared := []string{"--store", pgStore, "--audit-key-file", "/etc/conclave/audit.key", "--turn-secret-file", "/etc/conclave/turn.secret",
		"--content-dir", "/srv/conclave"}
	if cfg := mustLoad(t, shared, noEnv); cfg.Clustered() {
		t.Fatal("a node without node_url is clustered")
	}
	flags := mustLoad(t, append(shared, "--node-url", "http://10.0.0.2:8080"), noEnv)
	envs := mustLoad(t, shared, env(map[string]string{"CONCLAVE_NODE_URL": "http://10.0.0.2:8080"}))
	file := mustLoad(t, append(shared, "--config", writeFile(t, "node_url = \"http://10.0.0.2:8080\"\n")), noEnv)
	for name, cfg := range map[string]Config{"flags": flags, "env": envs, "file": file} {
		if !cfg.Clustered() || cfg.NodeURL != "http://10.0.0.2:8080" {
			t.Errorf("%s: %+v", name, cfg.Cluster)
		}
	}
}

// TestClusterNeedsSharedSecrets: a node of a cluster refuses to start
// without the PostgreSQL store and the shared key files, and with a node
// URL that is not a plain address; each error names the setting.
func TestClusterNeedsSharedSecrets(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--node-url", "http://10.0.0.2:8080", "--audit-key-file", "/k", "--turn-port", "0", "--content-dir", "/srv/c"}, "PostgreSQL store"},
		{[]string{"--node-url", "http://10.0.0.2:8080", "--store", pgStore, "--turn-port", "0", "--content-dir", "/srv/c"}, "audit_key_file"},
		{[]string{"--node-url", "http://10.0.0.2:8080", "--store", pgStore, "--audit-key-file", "/k", "--content-dir", "/srv/c"}, "turn_secret_file"},
		{[]string{"--node-url", "http://10.0.0.2:8080", "--store", pgStore, "--audit-key-file", "/k", "--turn-port", "0"}, "content_dir"},
		{[]string{"--content-dir", "srv/c"}, "absolute"},
		{[]string{"--node-url", "ftp://10.0.0.2", "--store", pgStore, "--audit-key-file", "/k", "--turn-port", "0", "--content-dir", "/srv/c"}, "http(s)://host:port"},
		{[]string{"--node-url", "http://10.0.0.2:8080/conclave", "--store", pgStore, "--audit-key-file", "/k", "--turn-port", "0", "--content-dir", "/srv/c"}, "without a path"},
	} {
		if _, err := Load(tc.args, noEnv); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
	if _, err := Load([]string{"--node-url", "https://node-a.internal:8443", "--store", pgStore, "--audit-key-file", "/k", "--turn-port", "0", "--content-dir", "/srv/c"}, noEnv); err != nil {
		t.Fatalf("a complete cluster node refused: %v", err)
	}
}

// TestNodeURLPortZeroIsBound: with the listening port picked by the
// system (tests), a node URL naming port 0 gets the real port.
func TestNodeURLPortZeroIsBound(t *testing.T) {
	cfg := mustLoad(t, []string{"--listen", "127.0.0.1:0", "--node-url", "http://127.0.0.1:0", "--store", pgStore,
		"--audit-key-file", "/k", "--turn-port", "0", "--content-dir", "/srv/c"}, noEnv)
	if got := cfg.Bound("127.0.0.1:43210").NodeURL; got != "http://127.0.0.1:43210" {
		t.Fatalf("bound node URL %q", got)
	}
	fixed := mustLoad(t, []string{"--listen", "127.0.0.1:0", "--node-url", "https://node-a.internal:8443", "--store", pgStore,
		"--audit-key-file", "/k", "--turn-port", "0", "--content-dir", "/srv/c"}, noEnv)
	if got := fixed.Bound("127.0.0.1:43210").NodeURL; got != "https://node-a.internal:8443" {
		t.Fatalf("a fixed node URL changed to %q", got)
	}
}

// TestContentDirHoldsFilesAndRecordings: shared files and recordings live
// in the data directory unless content_dir names another.
func TestContentDirHoldsFilesAndRecordings(t *testing.T) {
	def := mustLoad(t, []string{"--data", "/var/lib/conclave"}, noEnv)
	if def.FilesDir() != "/var/lib/conclave/files" || def.RecordingsDir() != "/var/lib/conclave/recordings" {
		t.Fatalf("defaults: %s %s", def.FilesDir(), def.RecordingsDir())
	}
	set := mustLoad(t, []string{"--data", "/var/lib/conclave", "--content-dir", "/srv/conclave"}, noEnv)
	if set.FilesDir() != "/srv/conclave/files" || set.RecordingsDir() != "/srv/conclave/recordings" {
		t.Fatalf("content_dir: %s %s", set.FilesDir(), set.RecordingsDir())
	}
}
