package auth

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/conclave-meet/conclave/internal/password"
	"github.com/conclave-meet/conclave/internal/store"
)

// Limits on account fields.
const (
	MaxNameLen  = 64
	MaxEmailLen = 254
)

// Accounts creates users and checks their passwords.
type Accounts struct {
	store  Store
	hasher *Hasher
	now    func() time.Time
	// breached is the operator's breached-password list, or nil.
	breached *password.Breached
}

// SetBreachedList makes new passwords be checked against b as well (nil:
// no list). Call it before serving.
func (a *Accounts) SetBreachedList(b *password.Breached) { a.breached = b }

// AcceptablePassword applies the whole policy to a new password of the person
// with this e-mail address and name: ValidatePassword, then the breached
// list.
func (a *Accounts) AcceptablePassword(pw, email, name string) error {
	if err := ValidatePassword(pw, email, name); err != nil {
		return err
	}
	if a.breached == nil {
		return nil
	}
	var perr *password.Error
	if err := a.breached.Check(pw); errors.As(err, &perr) {
		return invalid("password", perr.Message)
	} else if err != nil {
		return fmt.Errorf("check password: %w", err)
	}
	return nil
}

// NewAccounts returns an Accounts; now defaults to time.Now.
func NewAccounts(st Store, h *Hasher, now func() time.Time) *Accounts {
	if now == nil {
		now = time.Now
	}
	return &Accounts{store: st, hasher: h, now: now}
}

// NewUser is the input for CreateUser.
type NewUser struct {
	Email    string
	Name     string
	Password string
	Role     store.Role
	// NoPassword creates an account without a password (Password must be
	// ""), which signs in only through another credential: an OIDC
	// identity or a passkey (store.CredentialStore). Password sign-in is
	// refused for it like a wrong password.
	NoPassword bool
}

// CreateUser validates and normalises in, hashes the password and stores the
// account. Input problems are *ValidationError; a taken e-mail is
// store.ErrConflict.
func (a *Accounts) CreateUser(ctx context.Context, in NewUser) (store.User, error) {
	u, err := a.prepare(ctx, in)
	if err != nil {
		return store.User{}, err
	}
	if err := a.store.CreateUser(ctx, u); err != nil {
		return store.User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// prepare builds the store.User for in without storing it.
func (a *Accounts) prepare(ctx context.Context, in NewUser) (store.User, error) {
	email, err := NormalizeEmail(in.Email)
	if err != nil {
		return store.User{}, err
	}
	name, err := ValidateName(in.Name)
	if err != nil {
		return store.User{}, err
	}
	if !in.Role.Valid() {
		return store.User{}, invalid("role", "role must be admin, privacy_officer or member")
	}
	u := store.User{ID: NewUserID(), Email: email, Name: name, Role: in.Role, CreatedAt: a.now().UTC()}
	if in.NoPassword {
		if in.Password != "" {
			return store.User{}, invalid("password", "an account without a password cannot be given one")
		}
		return u, nil
	}
	if err := a.AcceptablePassword(in.Password, email, name); err != nil {
		return store.User{}, err
	}
	hash, err := a.hasher.Hash(ctx, in.Password)
	if err != nil {
		return store.User{}, fmt.Errorf("hash password: %w", err)
	}
	u.PasswordHash = hash
	return u, nil
}

// Login returns the user when email and password match, and
// ErrBadCredentials otherwise (ErrAccountDisabled, once the password
// matched, for a disabled account, and ErrAccountRestricted for a
// restricted one). Unknown and malformed addresses cost one
// dummy verification, so timing does not reveal which accounts exist.
func (a *Accounts) Login(ctx context.Context, email, password string) (store.User, error) {
	u, err := a.lookup(ctx, email)
	if errors.Is(err, ErrBadCredentials) {
		if derr := a.hasher.VerifyDummy(ctx, password); derr != nil {
			return store.User{}, fmt.Errorf("login: %w", derr)
		}
		return store.User{}, ErrBadCredentials
	}
	if err != nil {
		return store.User{}, err
	}
	// An account without a password (OIDC or passkey only) costs the same
	// and answers the same as a wrong password.
	ok, err := a.verify(ctx, u, password)
	if err != nil {
		return store.User{}, fmt.Errorf("login %s: %w", u.ID, err)
	}
	if !ok {
		return store.User{}, ErrBadCredentials
	}
	if u.Disabled {
		return store.User{}, ErrAccountDisabled
	}
	if u.Restricted {
		return store.User{}, ErrAccountRestricted
	}
	if err := a.store.RecordLogin(ctx, u.ID, a.now().UTC()); err != nil {
		return store.User{}, fmt.Errorf("login %s: %w", u.ID, err)
	}
	return u, nil
}

func (a *Accounts) lookup(ctx context.Context, email string) (store.User, error) {
	norm, err := NormalizeEmail(email)
	if err != nil {
		return store.User{}, ErrBadCredentials
	}
	u, err := a.store.UserByEmail(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrBadCredentials
	}
	if err != nil {
		return store.User{}, fmt.Errorf("login: %w", err)
	}
	return u, nil
}

// AccountID returns the ID of the account with this e-mail address, or ""
// when there is none (or the address is malformed). It exists so that the
// audit record of a failed login can name the account that was tried; its
// answer must never reach the client, which would learn which addresses
// have accounts.
func (a *Accounts) AccountID(ctx context.Context, email string) (string, error) {
	u, err := a.lookup(ctx, email)
	if errors.Is(err, ErrBadCredentials) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return u.ID, nil
}

// NormalizeEmail trims and lower-cases s and checks that it is a bare
// address (no display name). Lower-casing the local part is technically
// lossy but matches how people type addresses and prevents duplicates.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return "", invalid("email", "e-mail address is required")
	}
	if len(s) > MaxEmailLen || hasControl(s) {
		return "", invalid("email", "e-mail address is not valid")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Address != s || addr.Name != "" {
		return "", invalid("email", "e-mail address is not valid")
	}
	return s, nil
}

// ValidateName trims s and checks it is 1..64 characters without control
// or bidirectional-override characters (which could spoof how names render).
func ValidateName(s string) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return "", invalid("name", "name is required")
	}
	if n > MaxNameLen {
		return "", invalid("name", fmt.Sprintf("name must be at most %d characters", MaxNameLen))
	}
	if !utf8.ValidString(s) || hasControl(s) {
		return "", invalid("name", "name must not contain control characters")
	}
	return s, nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) || isBidiControl(r) {
			return true
		}
	}
	return false
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F
}
