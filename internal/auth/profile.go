package auth

import (
	"context"
	"errors"
	"fmt"

	"github.com/conclave-meet/conclave/internal/store"
)

// ErrAccountRestricted is returned by Login for an account whose
// processing a privacy officer restricted (Art. 18), and only after the
// password matched, as ErrAccountDisabled is.
var ErrAccountRestricted = errors.New("auth: account is restricted")

// ErrSelfRestrict is returned when an officer tries to restrict their own
// account: they would lock themselves out, as with disabling.
var ErrSelfRestrict = errors.New("auth: you cannot restrict your own account")

// ErrNoChange is returned by UpdateProfile when neither the name nor the
// e-mail address would change.
var ErrNoChange = errors.New("auth: nothing to change")

// Profile is what rectification changes: an empty field keeps its value.
type Profile struct {
	Name  string
	Email string
}

// ProfileChange says what UpdateProfile did.
type ProfileChange struct {
	Before, After store.User
	// Fields lists what changed, "name" and/or "email", in that order.
	Fields []string
}

// UpdateProfile corrects userID's name and e-mail address (an empty field
// keeps its value). Both are checked as at creation; an address that
// another account holds is store.ErrConflict; a change that changes
// nothing is ErrNoChange. The account's sessions stay: rectification
// corrects data about the same person.
func (a *Accounts) UpdateProfile(ctx context.Context, userID string, p Profile) (ProfileChange, error) {
	u, err := a.store.UserByID(ctx, userID)
	if err != nil {
		return ProfileChange{}, fmt.Errorf("update profile: %w", err)
	}
	next := u
	if p.Name != "" {
		if next.Name, err = ValidateName(p.Name); err != nil {
			return ProfileChange{}, err
		}
	}
	if p.Email != "" {
		if next.Email, err = NormalizeEmail(p.Email); err != nil {
			return ProfileChange{}, err
		}
	}
	var fields []string
	if next.Name != u.Name {
		fields = append(fields, "name")
	}
	if next.Email != u.Email {
		fields = append(fields, "email")
	}
	if len(fields) == 0 {
		return ProfileChange{}, ErrNoChange
	}
	if err := a.store.SetProfile(ctx, u.ID, next.Name, next.Email); err != nil {
		return ProfileChange{}, fmt.Errorf("update profile: %w", err)
	}
	return ProfileChange{Before: u, After: next, Fields: fields}, nil
}

// CheckPassword returns nil when password is userID's password and
// ErrBadCredentials when it is not, for changes that need the person to
// prove it is them (a new e-mail address, which is what they sign in with).
func (a *Accounts) CheckPassword(ctx context.Context, userID, password string) error {
	u, err := a.store.UserByID(ctx, userID)
	if err != nil {
		return fmt.Errorf("check password: %w", err)
	}
	ok, err := a.verify(ctx, u, password)
	if err != nil {
		return fmt.Errorf("check password %s: %w", u.ID, err)
	}
	if !ok {
		return ErrBadCredentials
	}
	return nil
}

// SetRestricted restricts the account targetID's processing (Art. 18) or
// lifts the restriction, on behalf of actorID. Restricting revokes its
// sessions. It returns the account as it was before. An actor cannot
// restrict themselves (ErrSelfRestrict); restricting the last enabled
// administrator is store.ErrLastAdmin.
func (a *Accounts) SetRestricted(ctx context.Context, actorID, targetID string, restricted bool) (store.User, error) {
	if restricted && actorID == targetID {
		return store.User{}, ErrSelfRestrict
	}
	before, err := a.store.UserByID(ctx, targetID)
	if err != nil {
		return store.User{}, fmt.Errorf("set restricted: %w", err)
	}
	if err := a.store.SetRestricted(ctx, targetID, restricted, a.now().UTC()); err != nil {
		return store.User{}, fmt.Errorf("set restricted: %w", err)
	}
	return before, nil
}
