package sealed

import (
	"context"
	"errors"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Names bound into a credential's sealed fields, with the row's ID after
// them, so that a value moved to another row of the same account fails to
// open; and the blind-index field prefix of its lookup value (the kind
// follows).
const (
	AADCredentialName   = "credentials.name\x00"
	AADCredentialSecret = "credentials.secret\x00"
	indexCredential     = "credential."
)

// Credential is a sign-in factor as a backend stores it: Name and Secret
// sealed under the account's subject key, Lookup a blind index of the
// lookup value ("" for none).
type Credential struct {
	ID, UserID, Kind string
	Lookup           string
	Name, Secret     []byte
	Counter          int64
	CreatedAt        time.Time
	LastUsedAt       time.Time // zero until first use
}

// CredentialLookup is the blind index stored for a credential's lookup
// value; "" stays "" (no lookup).
func CredentialLookup(k Keys, kind, value string) string {
	if value == "" {
		return ""
	}
	return k.Index(indexCredential+kind, value)
}

// SealCredential seals c's name and secret and indexes its lookup value.
// Callers check first that the account exists and is not erased: sealing
// creates a missing subject key, which for such an account would own
// nothing.
func SealCredential(ctx context.Context, k Keys, c store.Credential) (Credential, error) {
	owner := SubjectOwner(c.UserID)
	name, err := k.Seal(ctx, owner, []byte(c.Name), []byte(AADCredentialName+c.ID))
	if err != nil {
		return Credential{}, err
	}
	secret, err := k.Seal(ctx, owner, c.Secret, []byte(AADCredentialSecret+c.ID))
	if err != nil {
		return Credential{}, err
	}
	return Credential{ID: c.ID, UserID: c.UserID, Kind: c.Kind, Lookup: CredentialLookup(k, c.Kind, c.Lookup),
		Name: name, Secret: secret, Counter: c.Counter, CreatedAt: c.CreatedAt, LastUsedAt: c.LastUsedAt}, nil
}

// Open opens the row; one whose account key is gone reads as
// store.ErrErased. Lookup comes back as the stored blind index: the value
// itself is not kept.
func (r Credential) Open(ctx context.Context, k Keys) (store.Credential, error) {
	owner := SubjectOwner(r.UserID)
	name, err := k.Open(ctx, owner, r.Name, []byte(AADCredentialName+r.ID))
	if IsShredded(err) {
		return store.Credential{}, store.ErrErased
	}
	if err != nil {
		return store.Credential{}, err
	}
	secret, err := k.Open(ctx, owner, r.Secret, []byte(AADCredentialSecret+r.ID))
	if err != nil {
		return store.Credential{}, errors.Join(store.ErrErased, err)
	}
	return store.Credential{ID: r.ID, UserID: r.UserID, Kind: r.Kind, Name: string(name), Secret: secret,
		Lookup: r.Lookup, Counter: r.Counter, CreatedAt: utc(r.CreatedAt), LastUsedAt: utc(r.LastUsedAt)}, nil
}
