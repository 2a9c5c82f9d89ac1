package sealed

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

var when = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("X", 3600))

func ada() store.User {
	return store.User{ID: "u_ada", Email: "Ada@Example.org", Name: "Ada Lovelace", Role: store.RoleAdmin,
		PasswordHash: "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", CreatedAt: when, Disabled: true, Restricted: true}
}

func TestUserRoundTrip(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	u := ada()
	r, err := SealUser(ctx, k, u)
	if err != nil {
		t.Fatal(err)
	}
	noPlain(t, "the e-mail", r.Email, u.Email)
	noPlain(t, "the name", r.Name, u.Name)
	if r.EmailIndex == "" || r.EmailIndex != EmailIndex(k, "ada@example.ORG") {
		t.Errorf("the e-mail index %q does not ignore case", r.EmailIndex)
	}
	got, err := r.Open(ctx, k)
	if err != nil {
		t.Fatal(err)
	}
	if got.CreatedAt.Location() != time.UTC || !got.CreatedAt.Equal(when) || !got.PasswordChangedAt.Equal(when) {
		t.Errorf("times came back as %v, %v", got.CreatedAt, got.PasswordChangedAt)
	}
	got.CreatedAt, got.PasswordChangedAt = u.CreatedAt, u.PasswordChangedAt
	if got != u {
		t.Fatalf("got %+v, want %+v", got, u)
	}
}

func TestUserPasswordAge(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	u := ada()
	u.PasswordChangedAt = when.Add(time.Hour)
	if r, err := SealUser(ctx, k, u); err != nil || !r.PasswordChangedAt.Equal(u.PasswordChangedAt) {
		t.Errorf("a given password time became %v, %v", r.PasswordChangedAt, err)
	}
	u.PasswordHash = ""
	if r, err := SealUser(ctx, k, u); err != nil || !r.PasswordChangedAt.IsZero() {
		t.Errorf("an account without a password has a password time %v, %v", r.PasswordChangedAt, err)
	}
}

// TestUserFieldsBound: a sealed value opens only as the field it was
// sealed for, and only for its own account.
func TestUserFieldsBound(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	r, err := SealUser(ctx, k, ada())
	if err != nil {
		t.Fatal(err)
	}
	swapped := r
	swapped.Email, swapped.Name = r.Name, r.Email
	if _, err := swapped.Open(ctx, k); err == nil {
		t.Error("a name opened as an e-mail")
	}
	other := r
	other.ID = "u_bob"
	if _, err := SealUser(ctx, k, store.User{ID: "u_bob", Email: "b@example.org"}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Open(ctx, k); err == nil {
		t.Error("one account's fields opened as another's")
	}
}

func TestUserErased(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	r, err := SealUser(ctx, k, ada())
	if err != nil {
		t.Fatal(err)
	}
	tomb := r
	tomb.Erased = true
	if _, err := tomb.Open(ctx, k); !errors.Is(err, store.ErrErased) {
		t.Errorf("an erased row: %v, want ErrErased", err)
	}
	if err := k.Shred(ctx, SubjectOwner(r.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Open(ctx, k); !errors.Is(err, store.ErrErased) {
		t.Errorf("a shredded account: %v, want ErrErased", err)
	}
}

func TestOwners(t *testing.T) {
	for got, want := range map[string]string{
		SubjectOwner("u_1"):       "subject:u_1",
		MeetingOwner("abcd-efgh"): "meeting:abcd-efgh",
		RequestOwner(42):          "request:42",
	} {
		if got != want {
			t.Errorf("owner %q, want %q", got, want)
		}
	}
}
