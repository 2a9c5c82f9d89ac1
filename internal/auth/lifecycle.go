package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/conclave-meet/conclave/internal/store"
)

// ErrAccountDisabled is returned by Login for a disabled account, and only
// after the password matched: telling it to someone who does not know the
// password would reveal that the address has an account.
var ErrAccountDisabled = errors.New("auth: account is disabled")

// ErrSelfDisable is returned when an administrator tries to disable their
// own account: they would lock themselves out with no way back in from the
// web UI.
var ErrSelfDisable = errors.New("auth: you cannot disable your own account")

// ChangePassword replaces userID's password after checking current, and
// revokes every session of the account except keep (the token hash of the
// session making the change; nil revokes all). A wrong current password is
// ErrBadCredentials; an unacceptable new one a *ValidationError.
func (a *Accounts) ChangePassword(ctx context.Context, userID, current, next string, keep []byte) error {
	u, err := a.store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	ok, err := a.verify(ctx, u, current)
	if err != nil {
		return fmt.Errorf("change password %s: %w", u.ID, err)
	}
	if !ok {
		return ErrBadCredentials
	}
	if next == current {
		// Harmless by itself, but it would let an expired password live on.
		return invalid("new", "choose a password different from the current one")
	}
	if err := a.AcceptablePassword(next, u.Email, u.Name); err != nil {
		return err
	}
	hash, err := a.hasher.Hash(ctx, next)
	if err != nil {
		return fmt.Errorf("change password %s: hash: %w", u.ID, err)
	}
	if err := a.store.SetPassword(ctx, u.ID, hash, a.now().UTC(), keep); err != nil {
		return fmt.Errorf("change password: %w", err)
	}
	return nil
}

// SetAccess gives the account targetID the role and disabled state, on
// behalf of actorID, revoking all the target's sessions so that the change
// applies at once. It returns the account as it was before. An actor
// cannot disable themselves (ErrSelfDisable); a change that would leave no
// enabled administrator is store.ErrLastAdmin.
func (a *Accounts) SetAccess(ctx context.Context, actorID, targetID string, role store.Role, disabled bool) (store.User, error) {
	if !role.Valid() {
		return store.User{}, invalid("role", "role must be admin, privacy_officer or member")
	}
	if disabled && actorID == targetID {
		return store.User{}, ErrSelfDisable
	}
	before, err := a.store.UserByID(ctx, targetID)
	if err != nil {
		return store.User{}, fmt.Errorf("set access: %w", err)
	}
	if err := a.store.SetAccess(ctx, targetID, role, disabled, a.now().UTC()); err != nil {
		return store.User{}, fmt.Errorf("set access: %w", err)
	}
	return before, nil
}

// TokenHash returns the stored hash of the request's session token, so that
// a password change can keep the session it was made from.
func (s *Sessions) TokenHash(r *http.Request) ([]byte, bool) {
	sess, ok := s.session(r)
	return sess.TokenHash, ok
}
