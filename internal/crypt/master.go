// Package crypt encrypts stored content at rest and makes it erasable by
// crypto-shredding.
//
// Every owner of stored content (a data subject "subject:u_…"/"subject:p_…"
// or a meeting "meeting:<id>") gets its own random 32-byte data key. Content
// is sealed with XChaCha20-Poly1305 under the owner's data key; data keys
// are stored wrapped (sealed) under a master key that never enters the
// database: it lives in DATA/master.key (mode 0600) or comes from
// $CONCLAVE_MASTER_KEY. Deleting an owner's data key (Shred) makes all of
// its content unreadable wherever copies of the ciphertext remain.
//
// Every wrapped key records the ID of the master key that wrapped it, so a
// keyring can hold several master keys at once; that is what lets
// `conclave keys rotate` re-wrap keys while the server keeps running (see
// docs/privacy.md, "Key rotation").
package crypt

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/conclave-meet/conclave/internal/keyfile"
)

// KeySize is the size of master and data keys.
const KeySize = 32

// Names of the master key's homes.
const (
	KeyFile    = "master.key"     // the current master key, in the data dir
	OldKeyFile = "master.key.old" // the previous one, while a rotation runs
	EnvKey     = "CONCLAVE_MASTER_KEY"
	EnvOldKey  = "CONCLAVE_MASTER_KEY_OLD"
)

// ErrNoMasterKey is returned when data keys exist but no master key does:
// creating a fresh master key then would make all of them unreadable.
var ErrNoMasterKey = errors.New("crypt: master key missing")

// Master is a master key and its ID.
type Master struct {
	ID  string // first 8 bytes of SHA-256(key), hex; safe to store and log
	key []byte
}

// NewMaster returns a fresh random master key.
func NewMaster() (Master, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return Master{}, fmt.Errorf("generate master key: %w", err)
	}
	return masterFrom(k), nil
}

func masterFrom(k []byte) Master {
	sum := sha256.Sum256(k)
	return Master{ID: hex.EncodeToString(sum[:8]), key: k}
}

// ParseMaster decodes a master key from its text form (standard base64 of
// 32 bytes, surrounding white space ignored).
func ParseMaster(text string) (Master, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text))
	if err != nil {
		return Master{}, fmt.Errorf("master key is not base64: %w", err)
	}
	if len(k) != KeySize {
		return Master{}, fmt.Errorf("master key has %d bytes, want %d", len(k), KeySize)
	}
	return masterFrom(k), nil
}

// Text is the key's text form, as stored in key files and the environment.
func (m Master) Text() string { return base64.StdEncoding.EncodeToString(m.key) }

// ReadKeyFile reads a master key file, refusing one that group or others
// can access (keyfile.ErrExposed): a readable master key reads every backup.
func ReadKeyFile(path string) (Master, error) {
	b, err := keyfile.Read(path)
	if err != nil {
		return Master{}, fmt.Errorf("master key: %w", err)
	}
	m, err := ParseMaster(string(b))
	if err != nil {
		return Master{}, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// WriteKeyFile writes m to path with mode 0600, atomically: a reader sees
// the old file or the new one, never a partial key.
func WriteKeyFile(path string, m Master) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master-key-*")
	if err != nil {
		return fmt.Errorf("write master key: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("write master key: %w", err)
	}
	if _, err := tmp.WriteString(m.Text() + "\n"); err != nil {
		tmp.Close()
		return fmt.Errorf("write master key: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write master key: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write master key: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write master key: %w", err)
	}
	return nil
}
