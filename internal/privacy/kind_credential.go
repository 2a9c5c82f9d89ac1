package privacy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// CredentialStore is what the credential kind reads and erases.
type CredentialStore interface {
	Credentials(ctx context.Context, userID string) ([]store.Credential, error)
	DeleteCredentials(ctx context.Context, userID, kind string) (int, error)
}

// CredentialKind is an account's sign-in factors: authenticator apps,
// recovery codes, passkeys and single sign-on identities (table
// credentials, docs/security.md "Second factors").
type CredentialKind struct{ Store CredentialStore }

// Declare implements Kind.
func (CredentialKind) Declare() Declaration {
	return Declaration{
		Name:        "credential",
		Category:    CatAccount,
		Description: "Sign-in factors of an account: authenticator apps (TOTP), one-time recovery codes, passkeys and single sign-on identities.",
		Purpose:     "Let the person prove who they are with more than a password.",
		LegalBasis:  Contract,
		Storage:     "table credentials",
		Fields: []string{"account ID (plain)", "kind (plain)", "name (sealed)", "secret (sealed)",
			"keyed hash of the lookup value (recovery code, identity)", "last accepted time step or signature count (plain)",
			"created (plain)", "last used (plain)"},
	}
}

type credentialRecord struct {
	Kind       string    `json:"kind"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// Export implements Kind. Secrets, lookup hashes and counters are left
// out: they are credentials, not information about the person, and a copy
// of them in an export would weaken the account.
func (k CredentialKind) Export(ctx context.Context, s Subject) ([]Item, error) {
	if !strings.HasPrefix(s.ID, "u_") {
		return nil, nil // guests have no credentials
	}
	cs, err := k.Store.Credentials(ctx, s.ID)
	if err != nil {
		return nil, fmt.Errorf("credential: %w", err)
	}
	items := make([]Item, 0, len(cs))
	for _, c := range cs {
		items = append(items, Item{Record: credentialRecord{Kind: c.Kind, Name: c.Name, CreatedAt: c.CreatedAt, LastUsedAt: c.LastUsedAt}})
	}
	return items, nil
}

// Erase implements Kind: every factor of the account goes.
func (k CredentialKind) Erase(ctx context.Context, s Subject) (Erased, error) {
	if !strings.HasPrefix(s.ID, "u_") {
		return Erased{}, nil
	}
	n, err := k.Store.DeleteCredentials(ctx, s.ID, "")
	if err != nil {
		return Erased{}, fmt.Errorf("credential: %w", err)
	}
	return Erased{Deleted: n}, nil
}

// Expire implements Kind. Credentials live as long as their account,
// whose own retention erases them.
func (CredentialKind) Expire(context.Context, time.Time) (int, error) { return 0, nil }
