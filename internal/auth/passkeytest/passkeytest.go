// Package passkeytest is a software WebAuthn authenticator for tests: one
// ECDSA P-256 credential that answers ceremonies as the WebAuthn spec lays
// them out (authenticator data, attestation "none", ES256 assertions).
// Tests only; it holds its private key in memory.
package passkeytest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"testing"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/protocol/webauthncbor"
)

// softKey is a software authenticator for tests: one ECDSA P-256
// credential, answering ceremonies as the WebAuthn spec lays out (packed
// authenticator data, attestation "none", ES256 assertions).
type Key struct {
	t          testing.TB
	ID         []byte
	key        *ecdsa.PrivateKey
	RPID       string
	Origin     string
	UserHandle []byte
	Count      uint32
}

// New returns a fresh credential for the relying party rpID at origin.
func New(t testing.TB, rpID, origin string) *Key {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	rand.Read(id)
	return &Key{t: t, ID: id, key: key, RPID: rpID, Origin: origin}
}

const (
	flagUP = 0x01
	flagUV = 0x04
	flagAT = 0x40
)

func enc(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func (k *Key) clientData(typ string, challenge []byte) []byte {
	cd, _ := json.Marshal(map[string]any{"type": typ, "challenge": enc(challenge), "origin": k.Origin, "crossOrigin": false})
	return cd
}

func (k *Key) authData(flags byte, attested []byte) []byte {
	rp := sha256.Sum256([]byte(k.RPID))
	out := append(rp[:], flags)
	out = binary.BigEndian.AppendUint32(out, k.Count)
	return append(out, attested...)
}

// Create answers a registration ceremony.
func (k *Key) Create(opts *protocol.CredentialCreation) []byte {
	k.t.Helper()
	switch id := opts.Response.User.ID.(type) {
	case protocol.URLEncodedBase64:
		k.UserHandle = id
	case []byte:
		k.UserHandle = id
	case string: // options that went through JSON: base64url
		h, err := base64.RawURLEncoding.DecodeString(id)
		if err != nil {
			k.t.Fatalf("user handle %q: %v", id, err)
		}
		k.UserHandle = h
	default:
		k.t.Fatalf("user handle of type %T", id)
	}
	x, y := k.key.X.FillBytes(make([]byte, 32)), k.key.Y.FillBytes(make([]byte, 32))
	cose, err := webauthncbor.Marshal(map[int]any{1: 2, 3: -7, -1: 1, -2: x, -3: y})
	if err != nil {
		k.t.Fatal(err)
	}
	attested := make([]byte, 16) // AAGUID: none
	attested = binary.BigEndian.AppendUint16(attested, uint16(len(k.ID)))
	attested = append(append(attested, k.ID...), cose...)
	att, err := webauthncbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{},
		"authData": k.authData(flagUP|flagUV|flagAT, attested)})
	if err != nil {
		k.t.Fatal(err)
	}
	resp, _ := json.Marshal(map[string]any{"id": enc(k.ID), "rawId": enc(k.ID), "type": "public-key",
		"response": map[string]any{"clientDataJSON": enc(k.clientData("webauthn.create", opts.Response.Challenge)),
			"attestationObject": enc(att)}})
	return resp
}

// Get answers an assertion, counting one more signature first.
func (k *Key) Get(opts *protocol.CredentialAssertion) []byte {
	k.Count++
	return k.GetAt(opts, k.Count)
}

// GetAt answers with a chosen signature count (a clone's).
func (k *Key) GetAt(opts *protocol.CredentialAssertion, count uint32) []byte {
	k.t.Helper()
	saved := k.Count
	k.Count = count
	ad := k.authData(flagUP|flagUV, nil)
	k.Count = saved
	cd := k.clientData("webauthn.get", opts.Response.Challenge)
	h := sha256.Sum256(cd)
	digest := sha256.Sum256(append(append([]byte{}, ad...), h[:]...))
	sig, err := ecdsa.SignASN1(rand.Reader, k.key, digest[:])
	if err != nil {
		k.t.Fatal(err)
	}
	resp, _ := json.Marshal(map[string]any{"id": enc(k.ID), "rawId": enc(k.ID), "type": "public-key",
		"response": map[string]any{"clientDataJSON": enc(cd), "authenticatorData": enc(ad),
			"signature": enc(sig), "userHandle": enc(k.UserHandle)}})
	return resp
}
