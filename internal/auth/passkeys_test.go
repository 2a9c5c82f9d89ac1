package auth

import (
	"context"
	"errors"
	"testing"

	"github.com/conclave-meet/conclave/internal/auth/passkeytest"
	"github.com/conclave-meet/conclave/internal/store"
)

const (
	testRPID   = "meet.example.org"
	testOrigin = "https://meet.example.org"
)

func newPasskeyFactors(e *env) *Factors {
	return NewFactors(e.store, FactorOptions{Required: []store.Role{store.RoleAdmin}, Now: e.clock.Now,
		Passkeys: PasskeyOptions{PublicURL: testOrigin}})
}

// registerKey adds a software passkey to u under the session key sess.
func registerKey(t *testing.T, f *Factors, u store.User, sess string) *passkeytest.Key {
	t.Helper()
	ctx := context.Background()
	k := passkeytest.New(t, testRPID, testOrigin)
	opts, err := f.BeginPasskeyRegistration(ctx, u, sess)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Response.AuthenticatorSelection.UserVerification != "required" ||
		opts.Response.AuthenticatorSelection.ResidentKey != "required" {
		t.Errorf("registration does not ask for a discoverable, verified credential: %+v", opts.Response.AuthenticatorSelection)
	}
	if _, err := f.FinishPasskeyRegistration(ctx, u, sess, "Laptop", k.Create(opts)); err != nil {
		t.Fatal(err)
	}
	return k
}

func assert2FA(t *testing.T, f *Factors, k *passkeytest.Key, userID, sess string) (PasskeyUse, error) {
	t.Helper()
	opts, err := f.BeginPasskeyAssertion(context.Background(), userID, sess)
	if err != nil {
		t.Fatal(err)
	}
	return f.VerifyPasskey(context.Background(), userID, sess, k.Get(opts))
}

func TestRelyingParty(t *testing.T) {
	for in, want := range map[string]string{"https://Meet.Example.org": "meet.example.org",
		"http://localhost:8080": "localhost", "http://127.0.0.1:8080": "", "https://[::1]": "", "": ""} {
		id, _, err := RelyingParty(in)
		if id != want || (want == "") != errors.Is(err, ErrNoPasskeys) {
			t.Errorf("RelyingParty(%q) = %q, %v; want %q", in, id, err, want)
		}
	}
	if f := NewFactors(newEnv(t).store, FactorOptions{Passkeys: PasskeyOptions{PublicURL: "http://127.0.0.1:1"}}); f.PasskeysEnabled() {
		t.Error("passkeys on for an IP address")
	}
}

func TestPasskeySecondFactorAndPasswordless(t *testing.T) {
	e := newEnv(t)
	f := newPasskeyFactors(e)
	ctx := context.Background()
	u := e.mustUser(t, "a@example.org", store.RoleAdmin)
	k := registerKey(t, f, u, "s1")
	registerKey(t, f, u, "s1") // several per account
	st, err := f.Status(ctx, u)
	if err != nil || st.Passkeys != 2 || !st.HasSecondFactor() {
		t.Fatalf("status %+v %v", st, err)
	}
	use, err := assert2FA(t, f, k, u.ID, "s2")
	if err != nil || use.UserID != u.ID || use.Name != "Laptop" {
		t.Fatalf("second factor: %+v %v", use, err)
	}
	opts, err := f.BeginPasskeyLogin("cookie")
	if err != nil {
		t.Fatal(err)
	}
	if use, err := f.PasskeyLogin(ctx, "cookie", k.Get(opts)); err != nil || use.UserID != u.ID {
		t.Fatalf("passwordless: %+v %v", use, err)
	}
	pks, err := f.Passkeys(ctx, u.ID)
	used := 0
	for _, p := range pks {
		if !p.LastUsedAt.IsZero() {
			used++
		}
	}
	if err != nil || len(pks) != 2 || used != 1 {
		t.Fatalf("passkeys %+v %v", pks, err)
	}
}

// TestPasskeyAttacks: what must be refused.
func TestPasskeyAttacks(t *testing.T) {
	e := newEnv(t)
	f := newPasskeyFactors(e)
	ctx := context.Background()
	alice := e.mustUser(t, "alice@example.org", store.RoleMember)
	mallory := e.mustUser(t, "mallory@example.org", store.RoleMember)
	ka := registerKey(t, f, alice, "a")
	km := registerKey(t, f, mallory, "m")

	t.Run("another account's credential", func(t *testing.T) {
		if _, err := assert2FA(t, f, km, alice.ID, "a2"); !errors.Is(err, ErrBadCode) {
			t.Fatalf("mallory's key passed as alice's second factor: %v", err)
		}
		opts, _ := f.BeginPasskeyLogin("c1")
		forged := *km
		forged.UserHandle = []byte(alice.ID) // mallory's key claiming alice
		if use, err := f.PasskeyLogin(ctx, "c1", forged.Get(opts)); !errors.Is(err, ErrBadCode) || use.UserID == alice.ID && err == nil {
			t.Fatalf("forged user handle: %+v %v", use, err)
		}
	})
	t.Run("replayed answer", func(t *testing.T) {
		opts, _ := f.BeginPasskeyAssertion(ctx, alice.ID, "a3")
		answer := ka.Get(opts)
		if _, err := f.VerifyPasskey(ctx, alice.ID, "a3", answer); err != nil {
			t.Fatal(err)
		}
		if _, err := f.VerifyPasskey(ctx, alice.ID, "a3", answer); !errors.Is(err, ErrBadCode) {
			t.Fatalf("replayed answer accepted: %v", err)
		}
	})
	t.Run("cloned sign count", func(t *testing.T) {
		opts, _ := f.BeginPasskeyAssertion(ctx, alice.ID, "a4")
		_, err := f.VerifyPasskey(ctx, alice.ID, "a4", ka.GetAt(opts, ka.Count)) // not above the last
		if !errors.Is(err, ErrPasskeyClone) {
			t.Fatalf("stale sign count: %v", err)
		}
	})
	t.Run("ceremony bound to its session", func(t *testing.T) {
		opts, _ := f.BeginPasskeyAssertion(ctx, alice.ID, "a5")
		if _, err := f.VerifyPasskey(ctx, alice.ID, "other", ka.Get(opts)); !errors.Is(err, ErrBadCode) {
			t.Fatalf("answer taken under another session: %v", err)
		}
		reg, _ := f.BeginPasskeyRegistration(ctx, alice, "a6")
		if _, err := f.FinishPasskeyRegistration(ctx, mallory, "a6", "x", passkeytest.New(t, testRPID, testOrigin).Create(reg)); !errors.Is(err, ErrBadCode) {
			t.Fatalf("registration finished by another account: %v", err)
		}
	})
	t.Run("wrong origin", func(t *testing.T) {
		evil := *ka
		evil.Origin = "https://evil.example"
		opts, _ := f.BeginPasskeyAssertion(ctx, alice.ID, "a7")
		if _, err := f.VerifyPasskey(ctx, alice.ID, "a7", evil.Get(opts)); !errors.Is(err, ErrBadCode) {
			t.Fatalf("phished answer accepted: %v", err)
		}
	})
	t.Run("removed credential", func(t *testing.T) {
		pks, _ := f.Passkeys(ctx, alice.ID)
		if err := f.RemovePasskey(ctx, alice.ID, pks[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.BeginPasskeyAssertion(ctx, alice.ID, "a8"); !errors.Is(err, ErrNoEnrolment) {
			t.Fatalf("assertion begun without passkeys: %v", err)
		}
		opts, _ := f.BeginPasskeyLogin("c2")
		if _, err := f.PasskeyLogin(ctx, "c2", ka.Get(opts)); !errors.Is(err, ErrBadCode) {
			t.Fatalf("removed passkey signed in: %v", err)
		}
	})
	t.Run("registered twice", func(t *testing.T) {
		opts, _ := f.BeginPasskeyRegistration(ctx, alice, "a9")
		if _, err := f.FinishPasskeyRegistration(ctx, alice, "a9", "Again", km.Create(opts)); !errors.Is(err, ErrFactorExists) {
			t.Fatalf("another account's credential registered: %v", err)
		}
	})
}

func TestPasskeyRemovalKeepsRecoveryWithTOTP(t *testing.T) {
	e := newEnv(t)
	f := newPasskeyFactors(e)
	ctx := context.Background()
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	registerKey(t, f, u, "s")
	if _, err := f.NewRecoveryCodes(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	pks, _ := f.Passkeys(ctx, u.ID)
	if err := f.RemovePasskey(ctx, u.ID, pks[0].ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.Status(ctx, u); st.RecoveryLeft != 0 || st.Passkeys != 0 {
		t.Fatalf("recovery codes outlived the last factor: %+v", st)
	}
	if err := f.RemovePasskey(ctx, u.ID, pks[0].ID); !errors.Is(err, ErrNoEnrolment) {
		t.Fatalf("removed twice: %v", err)
	}
	registerKey(t, f, u, "s")
	if n, err := f.Reset(ctx, u.ID); err != nil || n != 1 {
		t.Fatalf("reset removed %d: %v", n, err)
	}
}
