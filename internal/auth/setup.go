package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// SetupTokenTTL is how long a printed setup link stays valid.
const SetupTokenTTL = 24 * time.Hour

// Setup bootstraps the first administrator on an empty server. There is no
// default password: the server prints a one-time token instead.
type Setup struct {
	store    Store
	accounts *Accounts
	now      func() time.Time
}

// NewSetup returns a Setup; now defaults to time.Now.
func NewSetup(st Store, accounts *Accounts, now func() time.Time) *Setup {
	if now == nil {
		now = time.Now
	}
	return &Setup{store: st, accounts: accounts, now: now}
}

// Needed reports whether no account exists yet.
func (s *Setup) Needed(ctx context.Context) (bool, error) {
	n, err := s.store.CountUsers(ctx)
	if err != nil {
		return false, fmt.Errorf("setup needed: %w", err)
	}
	return n == 0, nil
}

// EnsureSetupToken issues a fresh token, replacing any earlier one, when no
// account exists. The caller shows it to the operator; only its hash is
// stored.
func (s *Setup) EnsureSetupToken(ctx context.Context) (token string, needed bool, err error) {
	needed, err = s.Needed(ctx)
	if err != nil || !needed {
		return "", false, err
	}
	token = newToken()
	t := store.SetupToken{TokenHash: hashToken(token), ExpiresAt: s.now().UTC().Add(SetupTokenTTL)}
	if err := s.store.ReplaceSetupToken(ctx, t); err != nil {
		return "", false, fmt.Errorf("store setup token: %w", err)
	}
	return token, true, nil
}

// CompleteSetup creates the first admin when token is valid. It returns
// ErrSetupDone when an account exists, ErrBadSetupToken for a bad token and
// *ValidationError for bad input. Cheap checks come first so that requests
// without a plausible token never cost a password hash.
func (s *Setup) CompleteSetup(ctx context.Context, token, email, name, password string) (store.User, error) {
	needed, err := s.Needed(ctx)
	if err != nil {
		return store.User{}, err
	}
	if !needed {
		return store.User{}, ErrSetupDone
	}
	if !wellFormedToken(token) {
		return store.User{}, ErrBadSetupToken
	}
	u, err := s.accounts.prepare(ctx, NewUser{Email: email, Name: name, Password: password, Role: store.RoleAdmin})
	if err != nil {
		return store.User{}, err
	}
	err = s.store.CreateFirstAdmin(ctx, u, hashToken(token), s.now())
	switch {
	case errors.Is(err, store.ErrConflict):
		return store.User{}, ErrSetupDone
	case errors.Is(err, store.ErrNotFound):
		return store.User{}, ErrBadSetupToken
	case err != nil:
		return store.User{}, fmt.Errorf("complete setup: %w", err)
	}
	return u, nil
}
