package auth

import (
	"context"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Store is what accounts, sign-in sessions and the first-run setup need of
// the database (both store backends implement it). Sessions use the
// store's SessionStore too where it has it.
type Store interface {
	CreateUser(ctx context.Context, u store.User) error
	UserByID(ctx context.Context, id string) (store.User, error)
	UserByEmail(ctx context.Context, email string) (store.User, error)
	CountUsers(ctx context.Context) (int, error)
	RecordLogin(ctx context.Context, userID string, at time.Time) error
	CreateFirstAdmin(ctx context.Context, u store.User, tokenHash []byte, now time.Time) error
	ReplaceSetupToken(ctx context.Context, t store.SetupToken) error

	CreateSession(ctx context.Context, s store.Session) error
	SessionByTokenHash(ctx context.Context, hash []byte) (store.Session, error)
	DeleteSession(ctx context.Context, hash []byte) error
	DeleteExpiredSessions(ctx context.Context, now time.Time) error

	store.AccountStore
}
