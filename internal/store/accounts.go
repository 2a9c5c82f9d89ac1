package store

import (
	"context"
	"errors"
	"time"
)

// ErrLastAdmin is returned when a change would leave no enabled (and
// unrestricted) administrator: nobody could then manage accounts from the
// web UI.
var ErrLastAdmin = errors.New("store: this would leave no enabled administrator")

// AccountStore changes existing accounts. Each method revokes sessions in
// the same transaction as the change, so that no request can slip in
// between with the old password, role or access.
type AccountStore interface {
	// ListUsers returns every account that is not erased, oldest first.
	ListUsers(ctx context.Context) ([]User, error)
	// SetPassword replaces the account's password hash, noting at as its
	// change, and deletes all its sessions except the one whose token hash
	// is keep (nil: all of them). ErrNotFound when the account does not
	// exist or is erased.
	SetPassword(ctx context.Context, userID, hash string, at time.Time, keep []byte) error
	// SetAccess sets the account's role and whether it is disabled (at
	// records when, for a disable), and deletes all its sessions. It
	// returns ErrLastAdmin, changing nothing, when afterwards no enabled
	// administrator would remain; ErrNotFound for an unknown or erased
	// account.
	SetAccess(ctx context.Context, userID string, role Role, disabled bool, at time.Time) error
	// SetProfile replaces the account's name and e-mail address (stored
	// as given: callers validate and normalise) and the e-mail's lookup
	// index. Sessions stay: the person is the same. ErrConflict when
	// another account has the e-mail; ErrNotFound for an unknown or erased
	// account.
	SetProfile(ctx context.Context, userID, name, email string) error
	// SetRestricted restricts the account's processing (Art. 18) or lifts
	// the restriction. Restricting deletes all its sessions and records
	// at (a repeated restriction keeps the first time). It returns
	// ErrLastAdmin, changing nothing, when afterwards no enabled and
	// unrestricted administrator would remain; ErrNotFound for an unknown
	// or erased account.
	SetRestricted(ctx context.Context, userID string, restricted bool, at time.Time) error
}
