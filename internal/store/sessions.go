package store

import (
	"context"
	"time"
)

// SessionStore manages an account's sessions beyond Store's basics: the
// sessions page, revocation, the idle timeout and the rotation of the
// cookie at a change of privilege. Not part of Store: package auth
// declares the narrow interface it uses.
type SessionStore interface {
	// SessionsByUser returns the account's sessions, oldest first (as
	// PrivacyStore's).
	SessionsByUser(ctx context.Context, userID string) ([]Session, error)
	// TouchSession sets the session's last use to at.
	TouchSession(ctx context.Context, hash []byte, at time.Time) error
	// ReplaceSession deletes the session oldHash and creates next in one
	// transaction (a new cookie for a new privilege); ErrNotFound, creating
	// nothing, when oldHash is gone (revoked meanwhile).
	ReplaceSession(ctx context.Context, oldHash []byte, next Session) error
	// RevokeSessions deletes the account's sessions except keep (nil: all)
	// and returns how many it deleted.
	RevokeSessions(ctx context.Context, userID string, keep []byte) (int, error)
	// SetMFAReset records that an administrator reset the account's second
	// factors at at (zero: the person has been told).
	SetMFAReset(ctx context.Context, userID string, at time.Time) error
	// MFAResetAt is the last such reset not yet told (zero: none).
	MFAResetAt(ctx context.Context, userID string) (time.Time, error)
}
