package sealed

import (
	"context"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Names bound into a user's sealed fields and e-mail index.
const (
	AADUserEmail = "users.email"
	AADUserName  = "users.name"
	indexEmail   = "user.email"
)

// User is an account as a backend stores it. Email and Name are sealed
// under the account's subject key; EmailIndex, a blind index of the
// lower-cased e-mail, is what lookups by e-mail and the uniqueness of
// e-mails use.
type User struct {
	ID          string
	EmailIndex  string
	Email, Name []byte
	Role        store.Role
	// PasswordHash is an argon2id PHC string: not personal, never logged.
	PasswordHash string
	// PasswordChangedAt is zero when the account has no password.
	PasswordChangedAt time.Time
	CreatedAt         time.Time
	// Erased: the account was erased; its row remains as a tombstone.
	Erased     bool
	Disabled   bool
	Restricted bool
}

// EmailIndex is the blind index a users row holds for email.
func EmailIndex(k Keys, email string) string {
	return k.Index(indexEmail, strings.ToLower(email))
}

// SealUser seals u's personal fields. A password counts from the
// account's creation unless u says when it was set.
func SealUser(ctx context.Context, k Keys, u store.User) (User, error) {
	owner := SubjectOwner(u.ID)
	email, err := k.Seal(ctx, owner, []byte(u.Email), []byte(AADUserEmail))
	if err != nil {
		return User{}, err
	}
	name, err := k.Seal(ctx, owner, []byte(u.Name), []byte(AADUserName))
	if err != nil {
		return User{}, err
	}
	changed := u.PasswordChangedAt
	if u.PasswordHash == "" {
		changed = time.Time{}
	} else if changed.IsZero() {
		changed = u.CreatedAt
	}
	return User{ID: u.ID, EmailIndex: EmailIndex(k, u.Email), Email: email, Name: name,
		Role: u.Role, PasswordHash: u.PasswordHash, PasswordChangedAt: changed, CreatedAt: u.CreatedAt,
		Disabled: u.Disabled, Restricted: u.Restricted}, nil
}

// Open opens the row's sealed fields. An erased account, or one whose key
// is gone, reads as store.ErrErased. Times come back in UTC.
func (r User) Open(ctx context.Context, k Keys) (store.User, error) {
	if r.Erased || r.Email == nil {
		return store.User{}, store.ErrErased
	}
	owner := SubjectOwner(r.ID)
	email, err := k.Open(ctx, owner, r.Email, []byte(AADUserEmail))
	if IsShredded(err) {
		return store.User{}, store.ErrErased
	}
	if err != nil {
		return store.User{}, err
	}
	name, err := k.Open(ctx, owner, r.Name, []byte(AADUserName))
	if err != nil {
		return store.User{}, err
	}
	return store.User{ID: r.ID, Email: string(email), Name: string(name), Role: r.Role,
		PasswordHash: r.PasswordHash, PasswordChangedAt: utc(r.PasswordChangedAt), CreatedAt: utc(r.CreatedAt),
		Disabled: r.Disabled, Restricted: r.Restricted}, nil
}

// utc returns t in UTC, keeping the zero time zero.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
