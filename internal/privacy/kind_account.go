package privacy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// AccountStore is what the account kind reads and erases
// (sqlite.Store implements it).
type AccountStore interface {
	UserByID(ctx context.Context, id string) (store.User, error)
	// EraseUser deletes the account's sessions and co-host entries,
	// destroys its subject key and leaves a tombstone row.
	EraseUser(ctx context.Context, id string, at time.Time) (store.UserErasure, error)
	// InactiveUsers lists members whose last sign-in is before a time.
	InactiveUsers(ctx context.Context, before time.Time) ([]string, error)
}

// AccountKind is an account's profile: e-mail, name, role.
type AccountKind struct {
	Store AccountStore
	Now   func() time.Time // time.Now when nil
}

// Declare implements Kind.
func (AccountKind) Declare() Declaration {
	return Declaration{
		Name:     "account",
		Category: CatAccount,
		Description: "An account: e-mail address and name (encrypted under the person's own key), " +
			"role, password hash, when the password was last set, and creation time.",
		Purpose:    "Sign in, show who is who in meetings, decide what the account may do.",
		LegalBasis: Contract,
		Storage:    "table users (sealed e-mail and name), key in table data_keys",
		Fields: []string{"account ID (plain)", "e-mail (sealed)", "e-mail blind index (plain)", "name (sealed)",
			"role (plain)", "argon2id password hash (plain)", "password last set (plain)", "created (plain)"},
	}
}

type accountRecord struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	// PasswordChangedAt: when the password was last set (none without
	// one); the maximum password age counts from it.
	PasswordChangedAt *time.Time `json:"password_changed_at,omitempty"`
}

// Export implements Kind. The password hash is left out: it is a
// credential check, not information about the person.
func (k AccountKind) Export(ctx context.Context, s Subject) ([]Item, error) {
	if !strings.HasPrefix(s.ID, "u_") {
		return nil, nil // guests have no account
	}
	u, err := k.Store.UserByID(ctx, s.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil // unknown or already erased
	}
	if err != nil {
		return nil, fmt.Errorf("account: %w", err)
	}
	rec := accountRecord{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role), CreatedAt: u.CreatedAt}
	if !u.PasswordChangedAt.IsZero() {
		rec.PasswordChangedAt = &u.PasswordChangedAt
	}
	return []Item{{Record: rec}}, nil
}

// Erase implements Kind: the subject key is shredded, so the sealed e-mail
// and name are unreadable in the database and in every later backup; the
// row stays as a tombstone (ID, role, creation time), so that the audit
// log's references to the ID stay resolvable and the meetings it hosted
// are not deleted by cascade before the meeting kind shreds their keys.
func (k AccountKind) Erase(ctx context.Context, s Subject) (Erased, error) {
	if !strings.HasPrefix(s.ID, "u_") {
		return Erased{}, nil
	}
	now := time.Now
	if k.Now != nil {
		now = k.Now
	}
	res, err := k.Store.EraseUser(ctx, s.ID, now())
	if errors.Is(err, store.ErrNotFound) {
		return Erased{}, nil
	}
	if err != nil {
		return Erased{}, fmt.Errorf("account: %w", err)
	}
	out := Erased{Deleted: res.Sessions + res.Cohosts, Pseudonymous: 1,
		Note: "account kept as a tombstone (ID, role, created) with its key shredded"}
	if res.Shredded {
		out.Shredded = 1
	}
	return out, nil
}

// Expire implements Kind: the accounts of members who have not signed in
// since before (never signed in: created before) are erased like an
// erasure request would erase the account itself. Administrators and
// privacy officers are never expired: their accounts carry the
// organisation's duties, and expiring the last one would lock everyone out.
// The person's other data follows the retention of its own category.
func (k AccountKind) Expire(ctx context.Context, before time.Time) (int, error) {
	ids, err := k.Store.InactiveUsers(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("account: %w", err)
	}
	n := 0
	for _, id := range ids {
		if _, err := k.Erase(ctx, Subject{ID: id}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
