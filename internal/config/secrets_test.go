package config

import (
	"strings"
	"testing"
)

// secretKeys are the TOML keys of secrets.go's options, by flag.
var secretKeys = map[string]string{"audit-key-file": "audit_key_file", "turn-secret-file": "turn_secret_file"}

// TestSecretsDefaultToTheDataDir: one node keeps its keys in its data
// directory; a cluster names the shared files, from any source.
func TestSecretsDefaultToTheDataDir(t *testing.T) {
	dir := t.TempDir()
	cfg := mustLoad(t, []string{"--data", dir}, noEnv)
	if cfg.Secrets != (Secrets{}) || cfg.AuditKeyPath() != dir+"/audit.key" || cfg.TURNSecretPath() != dir+"/turn.secret" {
		t.Fatalf("defaults: %+v %s %s", cfg.Secrets, cfg.AuditKeyPath(), cfg.TURNSecretPath())
	}
	want := Secrets{AuditKeyFile: "/etc/conclave/audit.key", TURNSecretFile: "/etc/conclave/turn.secret"}
	flags := mustLoad(t, []string{"--audit-key-file", want.AuditKeyFile, "--turn-secret-file", want.TURNSecretFile}, noEnv)
	envs := mustLoad(t, nil, env(map[string]string{"CONCLAVE_AUDIT_KEY_FILE": want.AuditKeyFile,
		"CONCLAVE_TURN_SECRET_FILE": want.TURNSecretFile}))
	file := mustLoad(t, []string{"--config", writeFile(t,
		"audit_key_file = \"/etc/conclave/audit.key\"\nturn_secret_file = \"/etc/conclave/turn.secret\"\n")}, noEnv)
	for name, cfg := range map[string]Config{"flags": flags, "env": envs, "file": file} {
		if cfg.Secrets != want || cfg.AuditKeyPath() != want.AuditKeyFile || cfg.TURNSecretPath() != want.TURNSecretFile {
			t.Errorf("%s: %+v", name, cfg.Secrets)
		}
	}
}

func TestSecretFilesMustBeAbsolute(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--audit-key-file", "audit.key"}, "audit_key_file"},
		{[]string{"--turn-secret-file", "./turn.secret"}, "turn_secret_file"},
	} {
		if _, err := Load(tc.args, noEnv); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error naming %s", tc.args, err, tc.want)
		}
	}
}
