// Package totp implements time-based one-time passwords (RFC 6238, on
// RFC 4226's HOTP) as authenticator apps use them: SHA-1, six digits, a
// 30-second step. Verification accepts one step of clock skew either way
// and never a step at or before the last one accepted, so a code works
// once (the caller keeps that step: store.Credential.Counter).
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"hash"
	"net/url"
	"strings"
	"time"
)

// Parameters of the codes Conclave issues: what every authenticator app
// understands.
const (
	Digits = 6
	Period = 30 * time.Second
	// Skew is how many steps before and after the current one are
	// accepted (RFC 6238 §5.2 recommends at most one).
	Skew = 1
	// SecretLen is the key length in bytes: 160 bits, as RFC 4226 §4
	// recommends for SHA-1.
	SecretLen = 20
)

// NewSecret returns a random key.
func NewSecret() []byte {
	b := make([]byte, SecretLen)
	rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return b
}

// Encode is the key as people type it and otpauth URIs carry it: base32
// without padding.
func Encode(secret []byte) string {
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(secret)
}

// Decode reads Encode's form, ignoring case, spaces and padding.
func Decode(s string) ([]byte, error) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(s, "="))
	if err != nil {
		return nil, fmt.Errorf("totp: bad secret: %w", err)
	}
	return b, nil
}

// Step is the time step that t falls in.
func Step(t time.Time) int64 { return t.Unix() / int64(Period/time.Second) }

// HOTP is RFC 4226's code for counter, with digits digits, under the HMAC
// hash h (sha1.New for authenticator apps; RFC 6238 also tests SHA-256
// and SHA-512).
func HOTP(h func() hash.Hash, secret []byte, counter int64, digits int) string {
	mac := hmac.New(h, secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(counter))
	mac.Write(msg[:])
	sum := mac.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// Code is the code an authenticator app shows at t.
func Code(secret []byte, t time.Time) string { return HOTP(sha1.New, secret, Step(t), Digits) }

// Verify checks code against the steps around now and returns the step it
// matched. Steps at or before last (the last accepted, 0 for none) are
// not tried, so a code that was accepted once is refused after. Every
// candidate is compared in constant time.
func Verify(secret []byte, code string, now time.Time, last int64) (int64, bool) {
	code = strings.Join(strings.Fields(code), "")
	if len(code) != Digits {
		return 0, false
	}
	cur := Step(now)
	var matched int64
	for step := cur - Skew; step <= cur+Skew; step++ {
		want := HOTP(sha1.New, secret, step, Digits)
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > last && matched == 0 {
			matched = step
		}
	}
	return matched, matched != 0
}

// URI is the otpauth:// URI that authenticator apps read from the QR code
// (the Key Uri Format of Google Authenticator).
func URI(issuer, account string, secret []byte) string {
	label := url.PathEscape(issuer) + ":" + url.PathEscape(account)
	q := url.Values{}
	q.Set("secret", Encode(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(Digits))
	q.Set("period", fmt.Sprint(int(Period/time.Second)))
	return "otpauth://totp/" + label + "?" + q.Encode()
}
