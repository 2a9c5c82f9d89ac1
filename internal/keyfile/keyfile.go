// Package keyfile reads the secret key files in the data directory
// (master.key, audit.key, turn.secret) under one rule: a key file that
// group or others can access is refused, never used with a warning. A key
// readable by other local accounts reads every backup (master key), forges
// the audit log (audit key) or mints TURN credentials (TURN secret).
package keyfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// MaxSize bounds what Read accepts: key files hold a few dozen bytes, so a
// large file is a mistake (a wrong path), not a key.
const MaxSize = 4 << 10

// ErrExposed means a key file's mode lets group or others access it.
var ErrExposed = errors.New("key file is accessible to group or others")

// CheckMode refuses a mode with any group or other permission bit. The
// error names the file and the fix.
func CheckMode(path string, mode fs.FileMode) error {
	if perm := mode.Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %04o; run chmod 600 %s", ErrExposed, path, perm, path)
	}
	return nil
}

// Read returns the contents of the key file at path after checking its
// mode on the open file, so the file checked is the file read. A missing
// file yields an error matching fs.ErrNotExist.
func Read(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("key file %s is not a regular file", path)
	}
	if err := CheckMode(path, fi.Mode()); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("key file %s is over %d bytes: not a key", path, MaxSize)
	}
	return b, nil
}
