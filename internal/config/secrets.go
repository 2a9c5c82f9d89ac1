package config

import (
	"errors"
	"path/filepath"
)

// Secrets names the key files that every node of a cluster must share
// (docs/operations.md, "PostgreSQL"). Empty: the data directory's own,
// created on first use, which suits one node. Set: the operator's file,
// provisioned once for the cluster, read and never created, so that a
// node cannot quietly start with a key of its own.
type Secrets struct {
	// AuditKeyFile is the audit log's HMAC key: every node writing or
	// verifying the log needs the same one.
	AuditKeyFile string `toml:"audit_key_file"`
	// TURNSecretFile is the TURN REST-credential secret.
	TURNSecretFile string `toml:"turn_secret_file"`
}

// secretOptions: load.go appends these to options.
var secretOptions = []option{
	{"audit-key-file", "CONCLAVE_AUDIT_KEY_FILE", "the audit log's key file, shared by every node of a cluster: 64 hex digits, mode 0600, read and never created (default DATA/audit.key, created on first use)",
		str(func(c *Config) *string { return &c.AuditKeyFile })},
	{"turn-secret-file", "CONCLAVE_TURN_SECRET_FILE", "the TURN credential secret's file, shared by every node of a cluster: at least 32 characters, mode 0600, read and never created (default DATA/turn.secret, created on first use)",
		str(func(c *Config) *string { return &c.TURNSecretFile })},
}

// AuditKeyPath is the file holding the audit log's HMAC key. Keeping it
// out of the database means a copy of, or write access to, the database
// alone cannot forge the log.
func (c Config) AuditKeyPath() string {
	if c.AuditKeyFile != "" {
		return c.AuditKeyFile
	}
	return filepath.Join(c.DataDir, "audit.key")
}

// TURNSecretPath is the file holding the TURN REST-credential secret. In
// the data directory by default, so it never has to be typed or shared.
func (c Config) TURNSecretPath() string {
	if c.TURNSecretFile != "" {
		return c.TURNSecretFile
	}
	return filepath.Join(c.DataDir, "turn.secret")
}

func (c Config) validateSecrets() error {
	var errs []error
	if c.AuditKeyFile != "" && !filepath.IsAbs(c.AuditKeyFile) {
		errs = append(errs, errors.New("audit_key_file: give an absolute path (every node must name the same key)"))
	}
	if c.TURNSecretFile != "" && !filepath.IsAbs(c.TURNSecretFile) {
		errs = append(errs, errors.New("turn_secret_file: give an absolute path"))
	}
	return errors.Join(errs...)
}
