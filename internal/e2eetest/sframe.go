// Package e2eetest is the Go side of Conclave's end-to-end encryption, for
// tests only: an SFrame (RFC 9605) decoder and encoder for the cipher
// suites built on AES-GCM, the wrapping of sender keys (the browser's
// web/src/e2ee/keys.ts), and a Participant that takes part in an E2EE
// meeting through internal/client like a browser does: it publishes an
// ephemeral public key, receives sender keys wrapped for it, and opens the
// frames the server forwards. With it the browser tests prove what the
// server cannot: that the right key opens the frames, a wrong one opens
// none, and a key held by someone who left opens nothing sent after.
//
// Nothing in the server imports it; the server never holds media keys
// (docs/e2ee.md).
package e2eetest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
)

// Cipher suites of RFC 9605 §4.5 that this package implements: the AES-GCM
// ones. Conclave sends with AES_128_GCM_SHA256_128.
const (
	AES128GCMSHA256 uint16 = 0x0004
	AES256GCMSHA512 uint16 = 0x0005
)

// Errors of Open. ErrAuth is the one that matters: the frame did not
// authenticate under the key (another key, or altered bytes).
var (
	ErrMalformed  = errors.New("sframe: malformed frame")
	ErrUnknownKID = errors.New("sframe: unknown key ID")
	ErrAuth       = errors.New("sframe: frame did not authenticate")
)

type suite struct {
	hash   func() hash.Hash
	nh, nk int
}

func suiteOf(id uint16) (suite, error) {
	switch id {
	case AES128GCMSHA256:
		return suite{hash: sha256.New, nh: 32, nk: 16}, nil
	case AES256GCMSHA512:
		return suite{hash: sha512.New, nh: 64, nk: 32}, nil
	}
	return suite{}, fmt.Errorf("sframe: cipher suite %#04x not implemented here", id)
}

// Header is an SFrame header (RFC 9605 §4.3).
type Header struct {
	KID, CTR uint64
	// Len is the header's encoded length: the ciphertext starts there.
	Len int
}

// EncodeHeader writes the header for kid and ctr in the fewest bytes.
func EncodeHeader(kid, ctr uint64) []byte {
	var config byte
	var tail []byte
	if kid < 8 {
		config |= byte(kid) << 4
	} else {
		b := minimal(kid)
		config |= 0x80 | byte(len(b)-1)<<4
		tail = append(tail, b...)
	}
	if ctr < 8 {
		config |= byte(ctr)
	} else {
		b := minimal(ctr)
		config |= 0x08 | byte(len(b)-1)
		tail = append(tail, b...)
	}
	return append([]byte{config}, tail...)
}

func minimal(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	i := 0
	for i < 7 && b[i] == 0 {
		i++
	}
	return b[i:]
}

// ParseHeader reads the header at the start of b; like the browser it
// refuses truncated and non-minimal encodings.
func ParseHeader(b []byte) (Header, error) {
	if len(b) < 1 {
		return Header{}, ErrMalformed
	}
	config, at := b[0], 1
	read := func(long bool, short byte, lenBits byte) (uint64, error) {
		if !long {
			return uint64(short), nil
		}
		n := int(lenBits) + 1
		if at+n > len(b) || (n > 1 && b[at] == 0) {
			return 0, ErrMalformed
		}
		var v uint64
		for _, c := range b[at : at+n] {
			v = v<<8 | uint64(c)
		}
		at += n
		if v < 8 {
			return 0, ErrMalformed
		}
		return v, nil
	}
	kid, err := read(config&0x80 != 0, config>>4&0x07, config>>4&0x07)
	if err != nil {
		return Header{}, err
	}
	ctr, err := read(config&0x08 != 0, config&0x07, config&0x07)
	if err != nil {
		return Header{}, err
	}
	return Header{KID: kid, CTR: ctr, Len: at}, nil
}

// Key is one KID's derived key and salt (RFC 9605 §4.4.2).
type Key struct {
	KID   uint64
	Suite uint16
	aead  cipher.AEAD
	salt  []byte
}

// DeriveMaterial returns sframe_secret, sframe_key and sframe_salt for kid
// and baseKey (exported for the RFC's vectors).
func DeriveMaterial(suiteID uint16, kid uint64, baseKey []byte) (secret, key, salt []byte, err error) {
	s, err := suiteOf(suiteID)
	if err != nil {
		return nil, nil, nil, err
	}
	secret, err = hkdf.Extract(s.hash, baseKey, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	label := func(what string) string {
		var b []byte
		b = append(b, "SFrame 1.0 Secret "+what+" "...)
		b = binary.BigEndian.AppendUint64(b, kid)
		b = binary.BigEndian.AppendUint16(b, suiteID)
		return string(b)
	}
	if key, err = hkdf.Expand(s.hash, secret, label("key"), s.nk); err != nil {
		return nil, nil, nil, err
	}
	if salt, err = hkdf.Expand(s.hash, secret, label("salt"), 12); err != nil {
		return nil, nil, nil, err
	}
	return secret, key, salt, nil
}

// NewKey derives the key of kid from a sender's base key.
func NewKey(suiteID uint16, kid uint64, baseKey []byte) (*Key, error) {
	_, k, salt, err := DeriveMaterial(suiteID, kid, baseKey)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Key{KID: kid, Suite: suiteID, aead: aead, salt: salt}, nil
}

// Ratchet is RFC 9605 §5.1's next base key:
// HKDF-Expand(HKDF-Extract("", base_key), "SFrame 1.0 Ratchet", Nh).
func Ratchet(suiteID uint16, baseKey []byte) ([]byte, error) {
	s, err := suiteOf(suiteID)
	if err != nil {
		return nil, err
	}
	prk, err := hkdf.Extract(s.hash, baseKey, nil)
	if err != nil {
		return nil, err
	}
	return hkdf.Expand(s.hash, prk, "SFrame 1.0 Ratchet", s.nh)
}

func (k *Key) nonce(ctr uint64) []byte {
	n := append([]byte(nil), k.salt...)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], ctr)
	for i := range c {
		n[len(n)-8+i] ^= c[i]
	}
	return n
}

// Seal is RFC 9605's encrypt(CTR, KID, metadata, plaintext): header and
// ciphertext, with header and metadata as the AAD.
func (k *Key) Seal(ctr uint64, metadata, plaintext []byte) []byte {
	header := EncodeHeader(k.KID, ctr)
	aad := append(append([]byte(nil), header...), metadata...)
	return k.aead.Seal(header, k.nonce(ctr), plaintext, aad)
}

// Open is RFC 9605's decrypt(metadata, sframe_ciphertext) with one key;
// ErrUnknownKID when the frame names another KID.
func (k *Key) Open(metadata, sframe []byte) ([]byte, error) {
	h, err := ParseHeader(sframe)
	if err != nil {
		return nil, err
	}
	if h.KID != k.KID {
		return nil, ErrUnknownKID
	}
	aad := append(append([]byte(nil), sframe[:h.Len]...), metadata...)
	plain, err := k.aead.Open(nil, k.nonce(h.CTR), sframe[h.Len:], aad)
	if err != nil {
		return nil, ErrAuth
	}
	return plain, nil
}
