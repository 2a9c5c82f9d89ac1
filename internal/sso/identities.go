package sso

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Identities links identities at providers to accounts.
type Identities interface {
	// Lookup returns the account linked to the identity and the link's
	// credential; store.ErrNotFound when none is.
	Lookup(ctx context.Context, issuer, subject string) (store.Credential, error)
	// Link adds the identity to the account; store.ErrConflict when an
	// account (this one or another) already has it.
	Link(ctx context.Context, userID, provider string, id identity, at time.Time) error
	// Used records a sign-in with the linked identity.
	Used(ctx context.Context, c store.Credential, at time.Time) error
	// Linked lists the account's identities.
	Linked(ctx context.Context, userID string) ([]LinkedIdentity, error)
}

// LinkedIdentity is an identity as the account page shows it.
type LinkedIdentity struct {
	Provider   string    `json:"provider"`
	Email      string    `json:"email,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// CredentialIdentities keeps identities as credentials of kind oidc: the
// lookup is the issuer and subject (the store keeps only its keyed blind
// index), the name the provider, and the secret a snapshot of what the
// provider said at linking (e-mail address), sealed with the account's
// key like every credential.
type CredentialIdentities struct {
	Store store.CredentialStore
}

// snapshot is the sealed secret of an oidc credential.
type snapshot struct {
	Email string `json:"email,omitempty"`
}

func identityLookup(issuer, subject string) string { return issuer + "\x00" + subject }

// Lookup implements Identities.
func (ci CredentialIdentities) Lookup(ctx context.Context, issuer, subject string) (store.Credential, error) {
	c, err := ci.Store.CredentialByLookup(ctx, store.CredentialOIDC, identityLookup(issuer, subject))
	if err != nil {
		return store.Credential{}, fmt.Errorf("sso: identity lookup: %w", err)
	}
	return c, nil
}

// Link implements Identities.
func (ci CredentialIdentities) Link(ctx context.Context, userID, provider string, id identity, at time.Time) error {
	secret, err := json.Marshal(snapshot{Email: id.Email})
	if err != nil {
		return fmt.Errorf("sso: link: %w", err)
	}
	c := store.Credential{
		ID: newCredentialID(), UserID: userID, Kind: store.CredentialOIDC, Name: provider,
		Secret: secret, Lookup: identityLookup(id.Issuer, id.Subject), CreatedAt: at.UTC(),
	}
	if err := ci.Store.AddCredential(ctx, c); err != nil {
		return fmt.Errorf("sso: link: %w", err)
	}
	return nil
}

// Used implements Identities. The counter is unused for identities; the
// compare-and-set only moves the last use.
func (ci CredentialIdentities) Used(ctx context.Context, c store.Credential, at time.Time) error {
	if _, err := ci.Store.UseCredential(ctx, c.ID, c.Counter, c.Counter, at.UTC()); err != nil {
		return fmt.Errorf("sso: identity used: %w", err)
	}
	return nil
}

// Linked implements Identities.
func (ci CredentialIdentities) Linked(ctx context.Context, userID string) ([]LinkedIdentity, error) {
	all, err := ci.Store.Credentials(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("sso: identities: %w", err)
	}
	out := []LinkedIdentity{}
	for _, c := range all {
		if c.Kind != store.CredentialOIDC {
			continue
		}
		var snap snapshot
		_ = json.Unmarshal(c.Secret, &snap) // a snapshot is a nicety; none is fine
		out = append(out, LinkedIdentity{Provider: c.Name, Email: snap.Email, CreatedAt: c.CreatedAt, LastUsedAt: c.LastUsedAt})
	}
	return out, nil
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz234567"

// newCredentialID returns "cr_" and 20 random base32 characters.
func newCredentialID() string {
	b := make([]byte, 20)
	rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[b[i]&31]
	}
	return "cr_" + string(b)
}

// isConflict reports a uniqueness violation.
func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }
