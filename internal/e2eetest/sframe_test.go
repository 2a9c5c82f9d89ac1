package e2eetest

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strconv"
	"testing"
)

// The RFC 9605 Appendix C vectors, as the TypeScript tests read them.
const vectorsFile = "../../web/test/testdata/rfc9605-vectors.json"

type vectors struct {
	Header []struct{ KID, CTR, Header string }
	SFrame []struct {
		Suite     string `json:"cipher_suite"`
		KID       string `json:"kid"`
		CTR       string `json:"ctr"`
		BaseKey   string `json:"base_key"`
		Secret    string `json:"sframe_secret"`
		Key       string `json:"sframe_key"`
		Salt      string `json:"sframe_salt"`
		Metadata  string `json:"metadata"`
		Nonce     string `json:"nonce"`
		Plaintext string `json:"pt"`
		CT        string `json:"ct"`
	} `json:"sframe"`
}

func readVectors(t *testing.T) vectors {
	t.Helper()
	b, err := os.ReadFile(vectorsFile)
	if err != nil {
		t.Fatal(err)
	}
	var v vectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func u64(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestRFC9605Headers: every header vector of C.1 encodes and parses.
func TestRFC9605Headers(t *testing.T) {
	v := readVectors(t)
	if len(v.Header) < 200 {
		t.Fatalf("only %d header vectors", len(v.Header))
	}
	for _, h := range v.Header {
		kid, ctr, want := u64(t, h.KID), u64(t, h.CTR), unhex(t, h.Header)
		if got := EncodeHeader(kid, ctr); !bytes.Equal(got, want) {
			t.Fatalf("encode %x/%x = %x, want %x", kid, ctr, got, want)
		}
		got, err := ParseHeader(append(want, 0xaa))
		if err != nil || got.KID != kid || got.CTR != ctr || got.Len != len(want) {
			t.Fatalf("parse %x = %+v, %v", want, got, err)
		}
	}
	// Non-minimal and truncated encodings are refused, as in the browser.
	for _, b := range [][]byte{{0x88, 0x00}, {0x80, 0x07}, {0x90, 0x00, 0x09}, {0x09, 0x01}, {}} {
		if _, err := ParseHeader(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%x: %v, want ErrMalformed", b, err)
		}
	}
}

// TestRFC9605Encryption: the C.3 vectors of the AES-GCM suites derive the
// same secret, key and salt, seal to the same bytes and open again; a
// changed bit, other metadata or another key opens nothing.
func TestRFC9605Encryption(t *testing.T) {
	v := readVectors(t)
	done := 0
	for _, c := range v.SFrame {
		suite := uint16(u64(t, c.Suite))
		if suite != AES128GCMSHA256 && suite != AES256GCMSHA512 {
			continue // the AES-CTR + HMAC suites are not used by Conclave
		}
		done++
		kid, ctr := u64(t, c.KID), u64(t, c.CTR)
		secret, key, salt, err := DeriveMaterial(suite, kid, unhex(t, c.BaseKey))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(secret, unhex(t, c.Secret)) || !bytes.Equal(key, unhex(t, c.Key)) || !bytes.Equal(salt, unhex(t, c.Salt)) {
			t.Fatalf("suite %04x: derived %x %x %x", suite, secret, key, salt)
		}
		k, err := NewKey(suite, kid, unhex(t, c.BaseKey))
		if err != nil {
			t.Fatal(err)
		}
		if n := k.nonce(ctr); !bytes.Equal(n, unhex(t, c.Nonce)) {
			t.Fatalf("suite %04x: nonce %x", suite, n)
		}
		md, pt, ct := unhex(t, c.Metadata), unhex(t, c.Plaintext), unhex(t, c.CT)
		if got := k.Seal(ctr, md, pt); !bytes.Equal(got, ct) {
			t.Fatalf("suite %04x: sealed %x, want %x", suite, got, ct)
		}
		if got, err := k.Open(md, ct); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("suite %04x: opened %x, %v", suite, got, err)
		}
		flipped := bytes.Clone(ct)
		flipped[len(flipped)-1] ^= 1
		if _, err := k.Open(md, flipped); !errors.Is(err, ErrAuth) {
			t.Errorf("suite %04x: a changed bit: %v", suite, err)
		}
		if _, err := k.Open(append(bytes.Clone(md), 0), ct); !errors.Is(err, ErrAuth) {
			t.Errorf("suite %04x: other metadata: %v", suite, err)
		}
		wrong, _ := NewKey(suite, kid, bytes.Repeat([]byte{7}, 16))
		if _, err := wrong.Open(md, ct); !errors.Is(err, ErrAuth) {
			t.Errorf("suite %04x: another base key: %v", suite, err)
		}
	}
	if done != 2 {
		t.Fatalf("%d AES-GCM vectors, want 2", done)
	}
}

// TestWrapRoundTrip: a key wrapped for Bob opens for Bob only, only as
// from Ada, only in its meeting.
func TestWrapRoundTrip(t *testing.T) {
	ada, _ := NewIdentity()
	bob, _ := NewIdentity()
	eve, _ := NewIdentity()
	key := SenderKey{Generation: 3, Step: 1, BaseKey: bytes.Repeat([]byte{9}, BaseKeyBytes)}
	p := WrapParties{Context: "m1", From: "ada", To: "bob", FromSPKI: ada.SPKI, ToSPKI: bob.SPKI}
	w, err := Wrap(ada, key, p)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Unwrap(bob, w, p)
	if err != nil || got.Generation != 3 || got.Step != 1 || !bytes.Equal(got.BaseKey, key.BaseKey) {
		t.Fatalf("unwrap: %+v, %v", got, err)
	}
	for name, q := range map[string]WrapParties{
		"another meeting": {Context: "m2", From: "ada", To: "bob", FromSPKI: ada.SPKI, ToSPKI: bob.SPKI},
		"another sender":  {Context: "m1", From: "eve", To: "bob", FromSPKI: ada.SPKI, ToSPKI: bob.SPKI},
		"a swapped key":   {Context: "m1", From: "ada", To: "bob", FromSPKI: eve.SPKI, ToSPKI: bob.SPKI},
	} {
		if _, err := Unwrap(bob, w, q); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
	if _, err := Unwrap(eve, w, WrapParties{Context: "m1", From: "ada", To: "eve", FromSPKI: ada.SPKI, ToSPKI: eve.SPKI}); err == nil {
		t.Error("a third participant opened Bob's key")
	}
}

// TestKeyringRatchetsAndSplits: a keyring opens frames of a later ratchet
// step by itself, keeps the clear prefix as metadata, and opens nothing of
// a generation it was not given.
func TestKeyringRatchetsAndSplits(t *testing.T) {
	base := bytes.Repeat([]byte{1}, BaseKeyBytes)
	next, err := Ratchet(AES128GCMSHA256, base)
	if err != nil {
		t.Fatal(err)
	}
	k, _ := NewKey(AES128GCMSHA256, KID(2, 1), next)
	keyframe := []byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}
	frame := append(bytes.Clone(keyframe), k.Seal(5, keyframe, []byte("picture"))...)
	if w, h := VP8Size(frame); w != 640 || h != 480 {
		t.Fatalf("size %dx%d", w, h)
	}
	r := NewKeyring()
	r.Add("ada", SenderKey{Generation: 2, BaseKey: base})
	plain, kid, err := r.Open("ada", true, frame)
	if err != nil || string(plain) != "picture" || kid != KID(2, 1) {
		t.Fatalf("open: %q %d %v", plain, kid, err)
	}
	if _, _, err := r.Open("bob", true, frame); !errors.Is(err, ErrUnknownKID) {
		t.Errorf("another participant's keys: %v", err)
	}
	frame[1] ^= 0x40 // a clear byte: authenticated all the same
	if _, _, err := r.Open("ada", true, frame); !errors.Is(err, ErrAuth) {
		t.Errorf("changed clear prefix: %v", err)
	}
}
