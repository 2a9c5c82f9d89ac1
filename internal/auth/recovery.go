package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"

	"github.com/conclave-meet/conclave/internal/store"
)

// RecoveryCodes is how many one-time recovery codes an account gets.
const RecoveryCodes = 10

// recoveryAlphabet leaves out letters and digits people confuse (0/O,
// 1/I/L, 5/S, 8/B).
const recoveryAlphabet = "ACDEFGHJKMNPQRTUVWXY234679"

// recoveryLen is a code's length: 26^10 ≈ 2^47 per code, ample behind the
// throttle.
const recoveryLen = 10

// NewRecoveryCodes replaces the account's recovery codes with ten new ones
// and returns them, formatted "XXXXX-XXXXX", to be shown once: only a
// keyed hash of each is stored (the credential's lookup index).
func (f *Factors) NewRecoveryCodes(ctx context.Context, userID string) ([]string, error) {
	if _, err := f.creds.DeleteCredentials(ctx, userID, store.CredentialRecovery); err != nil {
		return nil, fmt.Errorf("recovery codes: %w", err)
	}
	now := f.now().UTC()
	codes := make([]string, 0, RecoveryCodes)
	for range RecoveryCodes {
		code := newRecoveryCode()
		c := store.Credential{ID: NewCredentialID(), UserID: userID, Kind: store.CredentialRecovery,
			Name: "Recovery code", Lookup: recoveryLookup(userID, code), CreatedAt: now}
		if err := f.creds.AddCredential(ctx, c); err != nil {
			return nil, fmt.Errorf("recovery codes: %w", err)
		}
		codes = append(codes, code[:5]+"-"+code[5:])
	}
	return codes, nil
}

// UseRecoveryCode accepts one of the account's recovery codes once: the
// code is deleted as it is used, and of two requests racing with it only
// the one whose delete removed the row passes. It returns how many codes
// are left; ErrBadCode for a wrong or used code.
func (f *Factors) UseRecoveryCode(ctx context.Context, userID, code string) (int, error) {
	norm := normalizeRecovery(code)
	if len(norm) != recoveryLen {
		return 0, ErrBadCode
	}
	c, err := f.creds.CredentialByLookup(ctx, store.CredentialRecovery, recoveryLookup(userID, norm))
	if errors.Is(err, store.ErrNotFound) {
		return 0, ErrBadCode
	}
	if err != nil {
		return 0, fmt.Errorf("recovery code: %w", err)
	}
	if c.UserID != userID {
		return 0, ErrBadCode
	}
	if err := f.creds.DeleteCredential(ctx, userID, c.ID); errors.Is(err, store.ErrNotFound) {
		return 0, ErrBadCode
	} else if err != nil {
		return 0, fmt.Errorf("recovery code: %w", err)
	}
	cs, err := f.creds.Credentials(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("recovery code: %w", err)
	}
	left := 0
	for _, c := range cs {
		if c.Kind == store.CredentialRecovery {
			left++
		}
	}
	return left, nil
}

// recoveryLookup binds the code to its account, so that codes of two
// accounts never collide in the unique index.
func recoveryLookup(userID, code string) string { return userID + "\x00" + code }

func normalizeRecovery(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

func newRecoveryCode() string {
	b := make([]byte, recoveryLen)
	for i := range b {
		b[i] = recoveryAlphabet[randIndex(len(recoveryAlphabet))]
	}
	return string(b)
}

// randIndex is uniform in [0, n) for n <= 256, by rejection.
func randIndex(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// NewCredentialID returns "cr_" followed by 20 random lower-case base32
// characters (100 bits).
func NewCredentialID() string { return "cr_" + NewUserID()[2:] }
