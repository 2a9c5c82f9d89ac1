package audit

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/conclave-meet/conclave/internal/keyfile"
)

// KeyLen is the length of the HMAC key in bytes.
const KeyLen = 32

// ErrNoKey means the key file does not exist.
var ErrNoKey = errors.New("audit: key file does not exist")

// LoadKey reads the hex-encoded key at path; ErrNoKey when there is none.
// Verification uses it and never creates a key: a missing key must not
// silently turn into a fresh one that fails every entry, or into no key.
// A key file that group or others can access is refused
// (keyfile.ErrExposed): whoever reads the key can forge entries.
func LoadKey(path string) ([]byte, error) {
	b, err := keyfile.Read(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoKey, path)
	}
	if err != nil {
		return nil, fmt.Errorf("audit: read key: %w", err)
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(key) != KeyLen {
		return nil, fmt.Errorf("audit: key file %s is not %d hex-encoded bytes", path, KeyLen)
	}
	return key, nil
}

// LoadOrCreateKey reads the key at path, creating a random one (mode 0600)
// on first use. The server and the CLI may start at the same moment, so the
// new key is written to a temporary file and linked into place, which
// fails if another process got there first; then that key is read.
func LoadOrCreateKey(path string) ([]byte, error) {
	key, err := LoadKey(path)
	if !errors.Is(err, ErrNoKey) {
		return key, err
	}
	if err := createKey(path); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	return LoadKey(path)
}

func createKey(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("audit: key dir: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".audit-key-*")
	if err != nil {
		return fmt.Errorf("audit: create key: %w", err)
	}
	defer os.Remove(tmp.Name())
	key := make([]byte, KeyLen)
	rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("audit: write key: %w", err)
	}
	// CreateTemp makes the file 0600; Link publishes it complete or not at all.
	if err := os.Link(tmp.Name(), path); err != nil {
		return fmt.Errorf("audit: install key: %w", err)
	}
	return nil
}
