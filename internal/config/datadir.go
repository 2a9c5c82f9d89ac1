package config

import (
	"fmt"
	"os"
)

// EnsureDataDir creates DataDir with mode 0700 when it does not exist. An
// existing directory is left as it is (it may be shared, e.g. a home
// directory); CheckDataDirPerms reports loose permissions instead.
func (c Config) EnsureDataDir() error {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	return nil
}

// CheckDataDirPerms returns an error describing the problem when DataDir is
// accessible to group or others; callers log it as a warning.
func (c Config) CheckDataDirPerms() error {
	fi, err := os.Stat(c.DataDir)
	if err != nil {
		return fmt.Errorf("stat data dir: %w", err)
	}
	if mode := fi.Mode().Perm(); mode&0o077 != 0 {
		return fmt.Errorf("data dir %s has mode %04o; it holds secrets, run chmod 700 on it", c.DataDir, mode)
	}
	return nil
}
