package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStoreDefaultSQLite: without configuration the database is the
// embedded SQLite file in the data directory.
func TestStoreDefaultSQLite(t *testing.T) {
	cfg := mustLoad(t, nil, noEnv)
	if cfg.Store != "" || cfg.StoreKind() != StoreSQLite || cfg.StoreName() != cfg.DBPath() {
		t.Fatalf("default store %q kind %s name %s", cfg.Store, cfg.StoreKind(), cfg.StoreName())
	}
}

// TestStoreSources: the store is set like every other option, by flag,
// environment or file, with the usual precedence.
func TestStoreSources(t *testing.T) {
	const fromFile, fromEnv, fromFlag = "postgres://file@db.example.org/conclave",
		"postgresql://env@db.example.org/conclave", "postgres://flag@db.example.org/conclave"
	path := filepath.Join(t.TempDir(), "conclave.toml")
	if err := os.WriteFile(path, []byte("store = \""+fromFile+"\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := mustLoad(t, []string{"--config", path}, noEnv).Store; got != fromFile {
		t.Errorf("file: %q", got)
	}
	e := env(map[string]string{"CONCLAVE_STORE": fromEnv})
	cfg := mustLoad(t, []string{"--config", path}, e)
	if cfg.Store != fromEnv || cfg.StoreKind() != StorePostgres {
		t.Errorf("env: %q (%s)", cfg.Store, cfg.StoreKind())
	}
	if got := mustLoad(t, []string{"--config", path, "--store", fromFlag}, e).Store; got != fromFlag {
		t.Errorf("flag: %q", got)
	}
}

// TestValidateStore: only PostgreSQL URLs naming a database are taken,
// and no error repeats the password.
func TestValidateStore(t *testing.T) {
	for _, ok := range []string{"", "postgres://conclave:s3cret@db.example.org:5432/conclave?sslmode=verify-full",
		"postgresql://conclave@db.example.org/conclave", "postgres:///conclave?host=/run/postgresql",
		"POSTGRES://conclave@localhost/conclave"} {
		cfg := valid()
		cfg.Store = ok
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"mysql://conclave:s3cret@db.example.org/conclave", "sqlite", "host=db password=s3cret dbname=conclave",
		"postgres://conclave:s3cret@db.example.org", "postgres://conclave:s3cret@db.example.org/", "postgres://conclave:s3cret@db.example.org/conclave#s3cret",
		"postgres://conclave:s3cret@[::1/conclave", "postgres://db.example.org/?password=s3cret"} {
		cfg := valid()
		cfg.Store = bad
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), "store") || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://conclave:s3cret@db.example.org/conclave":         "postgres://conclave:xxxxx@db.example.org/conclave",
		"postgres://conclave@db.example.org/conclave":                "postgres://conclave@db.example.org/conclave",
		"postgres://db.example.org/conclave?password=s3cret&user=c":  "postgres://db.example.org/conclave?password=xxxxx&user=c",
		"postgresql://c:s3cret@h/conclave?PassWord=s3cret&sslmode=x": "postgresql://c:xxxxx@h/conclave?PassWord=xxxxx&sslmode=x",
		"postgres://c:s3cret@[::1/conclave":                          "(unparsable database URL)",
	} {
		got := RedactDSN(in)
		if got != want || strings.Contains(got, "s3cret") {
			t.Errorf("RedactDSN(%s) = %s, want %s", in, got, want)
		}
	}
	cfg := valid()
	cfg.Store = "postgres://conclave:s3cret@db.example.org/conclave"
	if n := cfg.StoreName(); strings.Contains(n, "s3cret") || !strings.Contains(n, "db.example.org") {
		t.Errorf("StoreName %s", n)
	}
}
