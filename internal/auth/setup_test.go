package auth

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

func newSetup(e *env) *Setup { return NewSetup(e.store, e.accounts, e.clock.Now) }

func TestEnsureSetupTokenOnEmptyServer(t *testing.T) {
	e := newEnv(t)
	s := newSetup(e)
	ctx := context.Background()
	tok1, needed, err := s.EnsureSetupToken(ctx)
	if err != nil || !needed || !wellFormedToken(tok1) {
		t.Fatalf("first: %q %v %v", tok1, needed, err)
	}
	tok2, needed, err := s.EnsureSetupToken(ctx)
	if err != nil || !needed || tok2 == tok1 {
		t.Fatalf("second start must print a fresh token: %v %v", needed, err)
	}
	if _, err := s.CompleteSetup(ctx, tok1, "a@example.org", "Ada", goodPassword); !errors.Is(err, ErrBadSetupToken) {
		t.Fatalf("superseded token: %v", err)
	}
	u, err := s.CompleteSetup(ctx, tok2, " Ada@Example.org ", "Ada", goodPassword)
	if err != nil || u.Role != store.RoleAdmin || u.Email != "ada@example.org" {
		t.Fatalf("complete: %+v %v", u, err)
	}
	if _, err := e.accounts.Login(ctx, "ada@example.org", goodPassword); err != nil {
		t.Fatalf("admin cannot log in: %v", err)
	}
	tok3, needed, err := s.EnsureSetupToken(ctx)
	if err != nil || needed || tok3 != "" {
		t.Fatalf("after setup: %q %v %v", tok3, needed, err)
	}
	if n, _ := s.Needed(ctx); n {
		t.Fatal("Needed after setup")
	}
}

func TestCompleteSetupIsOneTime(t *testing.T) {
	e := newEnv(t)
	s := newSetup(e)
	ctx := context.Background()
	tok, _, _ := s.EnsureSetupToken(ctx)
	if _, err := s.CompleteSetup(ctx, tok, "a@example.org", "Ada", goodPassword); err != nil {
		t.Fatal(err)
	}
	before := e.derives.Load()
	if _, err := s.CompleteSetup(ctx, tok, "b@example.org", "Bob", goodPassword); !errors.Is(err, ErrSetupDone) {
		t.Fatalf("reuse: %v, want ErrSetupDone", err)
	}
	if e.derives.Load() != before {
		t.Fatal("closed setup must not hash passwords")
	}
}

func TestCompleteSetupRefusals(t *testing.T) {
	e := newEnv(t)
	s := newSetup(e)
	ctx := context.Background()
	tok, _, _ := s.EnsureSetupToken(ctx)
	before := e.derives.Load()
	for _, bad := range []string{"", "short", tok + "x", tok[:42]} {
		if _, err := s.CompleteSetup(ctx, bad, "a@example.org", "Ada", goodPassword); !errors.Is(err, ErrBadSetupToken) {
			t.Errorf("token %q: %v", bad, err)
		}
	}
	if e.derives.Load() != before {
		t.Fatal("malformed tokens must be refused before hashing")
	}
	if _, err := s.CompleteSetup(ctx, newToken(), "a@example.org", "Ada", goodPassword); !errors.Is(err, ErrBadSetupToken) {
		t.Errorf("wrong token: %v", err)
	}
	var ve *ValidationError
	if _, err := s.CompleteSetup(ctx, tok, "a@example.org", "Ada", "too short"); !errors.As(err, &ve) || ve.Field != "password" {
		t.Errorf("weak password: %v", err)
	}
	if _, err := s.CompleteSetup(ctx, tok, "nope", "Ada", goodPassword); !errors.As(err, &ve) || ve.Field != "email" {
		t.Errorf("bad e-mail: %v", err)
	}
	// Failed attempts leave the token usable.
	if _, err := s.CompleteSetup(ctx, tok, "a@example.org", "Ada", goodPassword); err != nil {
		t.Fatalf("valid attempt after refusals: %v", err)
	}
}

func TestSetupTokenExpires(t *testing.T) {
	e := newEnv(t)
	s := newSetup(e)
	ctx := context.Background()
	tok, _, _ := s.EnsureSetupToken(ctx)
	e.clock.Advance(SetupTokenTTL)
	if _, err := s.CompleteSetup(ctx, tok, "a@example.org", "Ada", goodPassword); !errors.Is(err, ErrBadSetupToken) {
		t.Fatalf("expired token: %v", err)
	}
	e.clock.Advance(-time.Nanosecond)
	if _, err := s.CompleteSetup(ctx, tok, "a@example.org", "Ada", goodPassword); err != nil {
		t.Fatalf("token just before expiry: %v", err)
	}
}

func TestSetupClosedWhenCLICreatedUser(t *testing.T) {
	e := newEnv(t)
	s := newSetup(e)
	ctx := context.Background()
	tok, _, _ := s.EnsureSetupToken(ctx)
	e.mustUser(t, "cli@example.org", store.RoleAdmin)
	if _, err := s.CompleteSetup(ctx, tok, "a@example.org", "Ada", goodPassword); !errors.Is(err, ErrSetupDone) {
		t.Fatalf("setup after CLI user: %v", err)
	}
}
