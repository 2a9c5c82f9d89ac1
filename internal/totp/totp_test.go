package totp

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"strings"
	"testing"
	"time"
)

// TestRFC6238Vectors is Appendix B of RFC 6238: eight digits, the ASCII
// seeds "1234567890" repeated to the hash's block of key length.
func TestRFC6238Vectors(t *testing.T) {
	seeds := map[string][]byte{
		"SHA1":   []byte("12345678901234567890"),
		"SHA256": []byte("12345678901234567890123456789012"),
		"SHA512": []byte("1234567890123456789012345678901234567890123456789012345678901234"),
	}
	hashes := map[string]func() hash.Hash{"SHA1": sha1.New, "SHA256": sha256.New, "SHA512": sha512.New}
	vectors := []struct {
		unix int64
		algo string
		want string
	}{
		{59, "SHA1", "94287082"}, {59, "SHA256", "46119246"}, {59, "SHA512", "90693936"},
		{1111111109, "SHA1", "07081804"}, {1111111109, "SHA256", "68084774"}, {1111111109, "SHA512", "25091201"},
		{1111111111, "SHA1", "14050471"}, {1111111111, "SHA256", "67062674"}, {1111111111, "SHA512", "99943326"},
		{1234567890, "SHA1", "89005924"}, {1234567890, "SHA256", "91819424"}, {1234567890, "SHA512", "93441116"},
		{2000000000, "SHA1", "69279037"}, {2000000000, "SHA256", "90698825"}, {2000000000, "SHA512", "38618901"},
		{20000000000, "SHA1", "65353130"}, {20000000000, "SHA256", "77737706"}, {20000000000, "SHA512", "47863826"},
	}
	for _, v := range vectors {
		got := HOTP(hashes[v.algo], seeds[v.algo], Step(time.Unix(v.unix, 0)), 8)
		if got != v.want {
			t.Errorf("%s at %d = %s, want %s", v.algo, v.unix, got, v.want)
		}
	}
}

// TestRFC4226Vectors is Appendix D of RFC 4226 (six digits, HOTP).
func TestRFC4226Vectors(t *testing.T) {
	want := []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"}
	for i, w := range want {
		if got := HOTP(sha1.New, []byte("12345678901234567890"), int64(i), 6); got != w {
			t.Errorf("HOTP(%d) = %s, want %s", i, got, w)
		}
	}
}

func TestVerifySkewAndReplay(t *testing.T) {
	secret := []byte("12345678901234567890")
	now := time.Unix(1111111111, 0)
	cur := Step(now)
	for _, d := range []int64{-1, 0, 1} {
		code := HOTP(sha1.New, secret, cur+d, Digits)
		step, ok := Verify(secret, code, now, 0)
		if !ok || step != cur+d {
			t.Errorf("skew %d: %d, %v", d, step, ok)
		}
		// Replay: the same step again, once accepted, is refused.
		if _, ok := Verify(secret, code, now, step); ok {
			t.Errorf("skew %d: replayed code accepted", d)
		}
	}
	for _, d := range []int64{-2, 2} {
		if _, ok := Verify(secret, HOTP(sha1.New, secret, cur+d, Digits), now, 0); ok {
			t.Errorf("skew %d accepted", d)
		}
	}
	// An older step than the last accepted one is refused too.
	if _, ok := Verify(secret, HOTP(sha1.New, secret, cur-1, Digits), now, cur); ok {
		t.Error("a code older than the last accepted one was accepted")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := Verify(secret, bad, now, 0); ok {
			t.Errorf("%q accepted", bad)
		}
	}
	// Spaces, as people type "123 456", are ignored.
	code := Code(secret, now)
	if _, ok := Verify(secret, code[:3]+" "+code[3:], now, 0); !ok {
		t.Error("a code typed with a space was refused")
	}
}

func TestEncodeDecode(t *testing.T) {
	s := NewSecret()
	if len(s) != SecretLen {
		t.Fatal(len(s))
	}
	enc := Encode(s)
	got, err := Decode(strings.ToLower(enc[:8]) + " " + enc[8:])
	if err != nil || string(got) != string(s) {
		t.Fatalf("round trip: %v", err)
	}
	uri := URI("Conclave", "ada@example.org", s)
	if !strings.HasPrefix(uri, "otpauth://totp/Conclave:ada@example.org?") || !strings.Contains(uri, "secret="+enc) {
		t.Errorf("URI = %s", uri)
	}
}
