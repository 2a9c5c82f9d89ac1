package sealed

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

func passkey() store.Credential {
	return store.Credential{ID: "cr_1", UserID: "u_ada", Kind: store.CredentialWebAuthn, Name: "Ada's security key",
		Secret: []byte("public key of Ada's security key"), Lookup: "credential-id-ada", Counter: 7, CreatedAt: when}
}

func TestCredentialRoundTrip(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	c := passkey()
	r, err := SealCredential(ctx, k, c)
	if err != nil {
		t.Fatal(err)
	}
	noPlain(t, "the name", r.Name, c.Name)
	noPlain(t, "the secret", r.Secret, string(c.Secret))
	if r.Lookup == c.Lookup || r.Lookup != CredentialLookup(k, c.Kind, c.Lookup) {
		t.Errorf("the lookup is stored as %q", r.Lookup)
	}
	if CredentialLookup(k, store.CredentialOIDC, c.Lookup) == r.Lookup {
		t.Error("one lookup value indexes alike for two kinds")
	}
	if CredentialLookup(k, c.Kind, "") != "" {
		t.Error("no lookup value got an index")
	}
	got, err := r.Open(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != c.Name || string(got.Secret) != string(c.Secret) || got.Lookup != r.Lookup ||
		got.Counter != 7 || !got.CreatedAt.Equal(when) || got.CreatedAt.Location() != time.UTC || !got.LastUsedAt.IsZero() {
		t.Fatalf("got %+v", got)
	}
}

// TestCredentialBoundToRow: a credential's sealed values do not open in
// another row of the same account.
func TestCredentialBoundToRow(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	r, err := SealCredential(ctx, k, passkey())
	if err != nil {
		t.Fatal(err)
	}
	moved := r
	moved.ID = "cr_2"
	if _, err := moved.Open(ctx, k); err == nil {
		t.Fatal("a credential's fields opened in another row")
	}
	if err := k.Shred(ctx, SubjectOwner("u_ada")); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Open(ctx, k); !errors.Is(err, store.ErrErased) {
		t.Fatalf("a shredded account's credential: %v, want ErrErased", err)
	}
}
