// Package meeting creates meetings and decides who may join them.
package meeting

import (
	"crypto/rand"
	"errors"
	"strings"
)

// alphabet is Crockford's base32 in lower case: no i, l, o or u, so IDs
// survive being read aloud or retyped.
const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// Lengths in characters; each character carries 5 bits.
const (
	idChars       = 16 // 80 bits
	passcodeChars = 12 // 60 bits
)

// ErrBadID means a string is not a meeting ID.
var ErrBadID = errors.New("meeting: not a valid meeting ID")

// randomChars returns n random alphabet characters.
func randomChars(n int) string {
	b := make([]byte, n)
	rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	for i := range b {
		b[i] = alphabet[b[i]&31] // 32 symbols: masking is unbiased
	}
	return string(b)
}

// NewID returns 80 random bits as 16 Crockford base32 characters in four
// dash-separated groups, e.g. "k3m9-x2qa-7hvt-p4dz".
func NewID() string { return group(randomChars(idChars)) }

// NewPasscode returns 60 random bits as 12 Crockford base32 characters
// without dashes, e.g. "7hvtp4dzk3m9". It travels mostly inside links, where
// dashes add nothing; people who type it may add dashes or spaces and use
// either case, which NormalizePasscode accepts.
func NewPasscode() string { return randomChars(passcodeChars) }

func group(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte('-')
		}
		b.WriteString(s[i : i+4])
	}
	return b.String()
}

// canonical lower-cases s, drops separators in drop and maps the Crockford
// look-alikes (i, l → 1; o → 0). ok is false if any other character is
// outside the alphabet.
func canonical(s, drop string) (string, bool) {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case strings.ContainsRune(drop, r):
			continue
		case r == 'i' || r == 'l':
			r = '1'
		case r == 'o':
			r = '0'
		case !strings.ContainsRune(alphabet, r):
			return "", false
		}
		b.WriteRune(r)
	}
	return b.String(), true
}

// NormalizeID returns the canonical "xxxx-xxxx-xxxx-xxxx" form of s. It
// accepts upper case, missing dashes and the Crockford look-alikes; anything
// else is ErrBadID.
func NormalizeID(s string) (string, error) {
	c, ok := canonical(s, "-")
	if !ok || len(c) != idChars {
		return "", ErrBadID
	}
	return group(c), nil
}

// NormalizePasscode returns the canonical form of a typed passcode: lower
// case, without dashes or spaces, look-alikes mapped. Input that cannot be a
// passcode is returned unchanged so it simply fails to match.
func NormalizePasscode(s string) string {
	c, ok := canonical(strings.TrimSpace(s), "- ")
	if !ok {
		return s
	}
	return c
}
