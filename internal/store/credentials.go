package store

import (
	"context"
	"time"
)

// Credential kinds: the factors an account signs in with besides (or, for
// an account without a password, instead of) its password.
const (
	// CredentialTOTP is an authenticator app's shared secret (RFC 6238);
	// Counter is the last accepted time step.
	CredentialTOTP = "totp"
	// CredentialRecovery is one one-time recovery code; its Lookup is the
	// code (the store keeps only a keyed hash of it) and Secret is empty.
	CredentialRecovery = "recovery"
	// CredentialWebAuthn is a passkey; Lookup is its credential ID, Secret
	// its public key, Counter its signature count.
	CredentialWebAuthn = "webauthn"
	// CredentialOIDC is an identity at an OpenID Connect provider; Lookup
	// is its issuer and subject.
	CredentialOIDC = "oidc"
)

// CredentialKinds lists every kind.
var CredentialKinds = []string{CredentialTOTP, CredentialRecovery, CredentialWebAuthn, CredentialOIDC}

// Credential is one factor of an account (table credentials). Name and
// Secret are sealed under the account's data key, so erasing the account
// destroys them with the key.
type Credential struct {
	ID     string // "cr_" + random
	UserID string
	Kind   string // a Credential* constant
	// Name is what the person calls it ("Phone"); personal, sealed.
	Name string
	// Secret is the factor's secret (a TOTP key, a passkey's public key);
	// sealed, never logged or exported.
	Secret []byte
	// Lookup is what the credential is found by (CredentialByLookup), or
	// "" for none. It is given in the clear to AddCredential and
	// CredentialByLookup, and stored only as a keyed blind index: reads
	// return that index, not the value.
	Lookup string
	// Counter is the TOTP's last accepted time step, or a passkey's
	// signature count; it changes only through UseCredential.
	Counter    int64
	CreatedAt  time.Time
	LastUsedAt time.Time // zero until first use
}

// CredentialStore keeps the credentials. Not part of Store: package auth
// and the credential privacy kind declare the narrow interfaces they use.
type CredentialStore interface {
	// AddCredential stores c. ErrConflict when its ID, or its kind and
	// Lookup, are taken; ErrNotFound when the account does not exist or
	// is erased.
	AddCredential(ctx context.Context, c Credential) error
	// Credentials returns the account's credentials, oldest first (nil
	// when it has none).
	Credentials(ctx context.Context, userID string) ([]Credential, error)
	// CredentialByLookup returns the credential of kind whose Lookup is
	// lookup; ErrNotFound when there is none.
	CredentialByLookup(ctx context.Context, kind, lookup string) (Credential, error)
	// UseCredential sets the credential's counter to newCounter and its
	// last use to at, but only while the counter is still oldCounter
	// (compare-and-set); it reports false, changing nothing, when the
	// counter moved meanwhile (a replay or a concurrent use) or the
	// credential is gone.
	UseCredential(ctx context.Context, id string, oldCounter, newCounter int64, at time.Time) (bool, error)
	// DeleteCredential removes the account's credential id; ErrNotFound
	// when the account has no such credential.
	DeleteCredential(ctx context.Context, userID, id string) error
	// DeleteCredentials removes the account's credentials of kind (every
	// kind when kind is "") and returns how many it removed.
	DeleteCredentials(ctx context.Context, userID, kind string) (int, error)
}
