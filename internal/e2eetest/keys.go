package e2eetest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// The browser's key layout (web/src/e2ee/keys.ts): KID = generation << 4 |
// ratchet step; a base key is 32 bytes.
const (
	RatchetBits  = 4
	BaseKeyBytes = 32
	wrapVersion  = 1
	wrapLabel    = "conclave e2ee sender key wrap v1"
)

// KID composes a key ID from a sender key's generation and ratchet step.
func KID(generation uint32, step uint8) uint64 {
	return uint64(generation)<<RatchetBits | uint64(step)
}

// SplitKID is KID's inverse.
func SplitKID(kid uint64) (generation uint32, step uint8) {
	return uint32(kid >> RatchetBits), uint8(kid & (1<<RatchetBits - 1))
}

// SenderKey is one sender's key at one ratchet step.
type SenderKey struct {
	Generation uint32
	Step       uint8
	BaseKey    []byte
}

// Identity is an ephemeral ECDH P-256 key pair, as a browser makes per stay.
type Identity struct {
	Private *ecdh.PrivateKey
	// SPKI is the public key as SubjectPublicKeyInfo bytes: what is published.
	SPKI []byte
}

// NewIdentity makes a key pair.
func NewIdentity() (*Identity, error) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(priv.PublicKey())
	if err != nil {
		return nil, err
	}
	return &Identity{Private: priv, SPKI: spki}, nil
}

// ParseSPKI reads a P-256 public key from SubjectPublicKeyInfo bytes.
func ParseSPKI(spki []byte) (*ecdh.PublicKey, error) {
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		return nil, err
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, errors.New("e2eetest: not an EC public key")
	}
	return ec.ECDH()
}

// WrapParties are what a wrapped key is bound to (keys.ts WrapParties).
type WrapParties struct {
	Context, From, To string
	FromSPKI, ToSPKI  []byte
}

// fields is keys.ts's length-prefixed concatenation.
func fields(parts ...[]byte) []byte {
	var out []byte
	for _, p := range parts {
		out = binary.BigEndian.AppendUint32(out, uint32(len(p)))
		out = append(out, p...)
	}
	return out
}

func (p WrapParties) info() []byte {
	return fields([]byte(wrapLabel), []byte(p.Context), []byte(p.From), []byte(p.To), p.FromSPKI, p.ToSPKI)
}

func (p WrapParties) aad() []byte {
	return fields([]byte(wrapLabel), []byte(p.Context), []byte(p.From), []byte(p.To))
}

// wrappingKey is ECDH, then HKDF-SHA256 with 32 zero bytes of salt and the
// parties as info, to an AES-128-GCM key: the same on both sides.
func wrappingKey(own *Identity, peerSPKI []byte, p WrapParties) (cipher.AEAD, error) {
	peer, err := ParseSPKI(peerSPKI)
	if err != nil {
		return nil, err
	}
	shared, err := own.Private.ECDH(peer)
	if err != nil {
		return nil, err
	}
	k, err := hkdf.Key(sha256.New, shared, make([]byte, 32), string(p.info()), 16)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Wrap encrypts key for p.To, as keys.ts wrapSenderKey does.
func Wrap(own *Identity, key SenderKey, p WrapParties) ([]byte, error) {
	aead, err := wrappingKey(own, p.ToSPKI, p)
	if err != nil {
		return nil, err
	}
	plain := binary.BigEndian.AppendUint32(nil, key.Generation)
	plain = append(plain, key.Step)
	plain = append(plain, key.BaseKey...)
	iv := make([]byte, 12)
	if _, err := rand.Read(iv); err != nil {
		return nil, err
	}
	return aead.Seal(append([]byte{wrapVersion}, iv...), iv, plain, p.aad()), nil
}

// Unwrap opens a key p.From wrapped for p.To (own is p.To's identity).
func Unwrap(own *Identity, wrapped []byte, p WrapParties) (SenderKey, error) {
	if len(wrapped) < 1+12+16+5 || wrapped[0] != wrapVersion {
		return SenderKey{}, errors.New("e2eetest: malformed wrapped key")
	}
	aead, err := wrappingKey(own, p.FromSPKI, p)
	if err != nil {
		return SenderKey{}, err
	}
	plain, err := aead.Open(nil, wrapped[1:13], wrapped[13:], p.aad())
	if err != nil {
		return SenderKey{}, fmt.Errorf("e2eetest: wrapped key did not authenticate: %w", err)
	}
	if len(plain) != 5+BaseKeyBytes || plain[4] >= 1<<RatchetBits {
		return SenderKey{}, errors.New("e2eetest: malformed sender key")
	}
	return SenderKey{Generation: binary.BigEndian.Uint32(plain), Step: plain[4], BaseKey: plain[5:]}, nil
}

// B64 and UnB64 are the protocol's unpadded base64url.
func B64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// UnB64 decodes unpadded base64url.
func UnB64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
