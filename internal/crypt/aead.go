package crypt

import (
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// version1 marks XChaCha20-Poly1305 with a 24-byte random nonce: a sealed
// value is version1 || nonce || ciphertext || tag. The version byte leaves
// room for another algorithm without guessing at old data.
const version1 byte = 1

// ErrCorrupt is returned for a sealed value that fails authentication:
// wrong key, wrong owner or field, or altered bytes.
var ErrCorrupt = errors.New("crypt: sealed value does not authenticate")

// Overhead is how many bytes sealing adds.
const Overhead = 1 + chacha20poly1305.NonceSizeX + chacha20poly1305.Overhead

func seal(key, plaintext, aad []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	out := make([]byte, 1+aead.NonceSize(), Overhead+len(plaintext))
	out[0] = version1
	if _, err := rand.Read(out[1:]); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return aead.Seal(out, out[1:], plaintext, aad), nil
}

func open(key, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < Overhead {
		return nil, fmt.Errorf("%w: %d bytes is too short", ErrCorrupt, len(sealed))
	}
	if sealed[0] != version1 {
		return nil, fmt.Errorf("%w: unknown version %d", ErrCorrupt, sealed[0])
	}
	aead, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	nonce := sealed[1 : 1+aead.NonceSize()]
	pt, err := aead.Open(nil, nonce, sealed[1+aead.NonceSize():], aad)
	if err != nil {
		return nil, ErrCorrupt
	}
	return pt, nil
}

// contentAAD binds a sealed value to its owner and to the caller's context
// (table, column), so a value copied into another row or field fails.
func contentAAD(owner string, aad []byte) []byte {
	return append([]byte("conclave content v1\x00"+owner+"\x00"), aad...)
}

// wrapAAD binds a wrapped data key to its owner: a key row copied to
// another owner does not unwrap.
func wrapAAD(owner string) []byte { return []byte("conclave data key v1\x00" + owner) }
