package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// tokenBytes is the entropy of session and setup tokens.
const tokenBytes = 32

// newToken returns 32 random bytes, base64url without padding (43 chars).
func newToken() string {
	b := make([]byte, tokenBytes)
	rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// wellFormedToken rejects values that newToken cannot have produced, so
// garbage never reaches the database.
func wellFormedToken(s string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == tokenBytes
}

// hashToken is what the database stores instead of the token itself.
func hashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// NewUserID returns "u_" followed by 20 random lower-case base32 characters
// (100 bits).
func NewUserID() string {
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[b[i]&31] // 32 symbols: masking is unbiased
	}
	return "u_" + string(b)
}
