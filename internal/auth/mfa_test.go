package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/totp"
)

func newFactors(e *env) *Factors {
	return NewFactors(e.store, FactorOptions{Required: []store.Role{store.RoleAdmin}, Now: e.clock.Now})
}

// enrol enrols an authenticator for u and returns its secret and the
// recovery codes.
func enrol(t *testing.T, e *env, f *Factors, u store.User) ([]byte, []string) {
	t.Helper()
	ctx := context.Background()
	en, err := f.BeginTOTP(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	if len(en.QRPNG) < 100 || string(en.QRPNG[1:4]) != "PNG" {
		t.Fatalf("QR code is not a PNG (%d bytes)", len(en.QRPNG))
	}
	secret, err := totp.Decode(en.Secret)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := f.Status(ctx, u); st.TOTP {
		t.Fatal("an unconfirmed authenticator counts as a factor")
	}
	if _, err := f.ConfirmTOTP(ctx, u.ID, "000000"); !errors.Is(err, ErrBadCode) && totp.Code(secret, e.clock.Now()) != "000000" {
		t.Fatalf("wrong first code: %v", err)
	}
	codes, err := f.ConfirmTOTP(ctx, u.ID, totp.Code(secret, e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if len(codes) != RecoveryCodes {
		t.Fatalf("%d recovery codes", len(codes))
	}
	return secret, codes
}

func TestTOTPEnrolAndSignIn(t *testing.T) {
	e := newEnv(t)
	f := newFactors(e)
	ctx := context.Background()
	u := e.mustUser(t, "a@example.org", store.RoleAdmin)
	secret, _ := enrol(t, e, f, u)
	st, err := f.Status(ctx, u)
	if err != nil || !st.TOTP || !st.Required || st.RecoveryLeft != RecoveryCodes || !st.HasSecondFactor() {
		t.Fatalf("status %+v %v", st, err)
	}
	if _, err := f.BeginTOTP(ctx, u); !errors.Is(err, ErrFactorExists) {
		t.Errorf("second enrolment: %v", err)
	}
	// The confirming code was used: it does not sign in again.
	if err := f.VerifyTOTP(ctx, u.ID, totp.Code(secret, e.clock.Now())); !errors.Is(err, ErrBadCode) {
		t.Errorf("the confirming code replayed: %v", err)
	}
	e.clock.Advance(totp.Period)
	code := totp.Code(secret, e.clock.Now())
	if err := f.VerifyTOTP(ctx, u.ID, code); err != nil {
		t.Fatal(err)
	}
	if err := f.VerifyTOTP(ctx, u.ID, code); !errors.Is(err, ErrBadCode) {
		t.Errorf("replayed code: %v", err)
	}
}

// TestTOTPClockSkew: one step either way is accepted, two are not.
func TestTOTPClockSkew(t *testing.T) {
	e := newEnv(t)
	f := newFactors(e)
	ctx := context.Background()
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	secret, _ := enrol(t, e, f, u)
	e.clock.Advance(10 * totp.Period)
	if err := f.VerifyTOTP(ctx, u.ID, totp.Code(secret, e.clock.Now().Add(-2*totp.Period))); !errors.Is(err, ErrBadCode) {
		t.Errorf("two steps behind: %v", err)
	}
	if err := f.VerifyTOTP(ctx, u.ID, totp.Code(secret, e.clock.Now().Add(-totp.Period))); err != nil {
		t.Errorf("one step behind: %v", err)
	}
	if err := f.VerifyTOTP(ctx, u.ID, totp.Code(secret, e.clock.Now().Add(totp.Period))); err != nil {
		t.Errorf("one step ahead: %v", err)
	}
	// The current step is now older than the last accepted one.
	if err := f.VerifyTOTP(ctx, u.ID, totp.Code(secret, e.clock.Now())); !errors.Is(err, ErrBadCode) {
		t.Errorf("a step before the last accepted: %v", err)
	}
	if err := f.VerifyTOTP(ctx, u.ID, totp.Code(secret, e.clock.Now().Add(2*totp.Period))); !errors.Is(err, ErrBadCode) {
		t.Errorf("two steps ahead: %v", err)
	}
}

// TestTOTPRace: one code sent by many requests at once passes once.
func TestTOTPRace(t *testing.T) {
	e := newEnv(t)
	f := newFactors(e)
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	secret, _ := enrol(t, e, f, u)
	e.clock.Advance(totp.Period)
	code := totp.Code(secret, e.clock.Now())
	var (
		wins atomic.Int32
		wg   sync.WaitGroup
	)
	for range 6 {
		wg.Go(func() {
			if f.VerifyTOTP(context.Background(), u.ID, code) == nil {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d requests passed with one code", wins.Load())
	}
}

func TestRecoveryCodesSingleUse(t *testing.T) {
	e := newEnv(t)
	f := newFactors(e)
	ctx := context.Background()
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	other := e.mustUser(t, "b@example.org", store.RoleMember)
	_, codes := enrol(t, e, f, u)
	if _, err := f.UseRecoveryCode(ctx, other.ID, codes[0]); !errors.Is(err, ErrBadCode) {
		t.Errorf("another account's code: %v", err)
	}
	// Dashes and spaces anywhere, and case, do not matter.
	left, err := f.UseRecoveryCode(ctx, u.ID, " "+strings.ToLower(codes[0][:3])+"-"+codes[0][3:]+" ")
	if err != nil || left != RecoveryCodes-1 {
		t.Fatalf("first use: %d, %v", left, err)
	}
	if _, err := f.UseRecoveryCode(ctx, u.ID, codes[0]); !errors.Is(err, ErrBadCode) {
		t.Errorf("reused code: %v", err)
	}
	if _, err := f.UseRecoveryCode(ctx, u.ID, "AAAAA-AAAAA"); !errors.Is(err, ErrBadCode) {
		t.Errorf("made-up code: %v", err)
	}
	// New codes replace the old ones.
	fresh, err := f.NewRecoveryCodes(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.UseRecoveryCode(ctx, u.ID, codes[1]); !errors.Is(err, ErrBadCode) {
		t.Errorf("replaced code: %v", err)
	}
	if _, err := f.UseRecoveryCode(ctx, u.ID, fresh[9]); err != nil {
		t.Errorf("new code: %v", err)
	}
}

func TestRemoveAndResetFactors(t *testing.T) {
	e := newEnv(t)
	f := newFactors(e)
	ctx := context.Background()
	u := e.mustUser(t, "a@example.org", store.RoleMember)
	_, codes := enrol(t, e, f, u)
	if err := f.RemoveTOTP(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.UseRecoveryCode(ctx, u.ID, codes[0]); !errors.Is(err, ErrBadCode) {
		t.Errorf("recovery code outlived its authenticator: %v", err)
	}
	if err := f.RemoveTOTP(ctx, u.ID); !errors.Is(err, ErrNoEnrolment) {
		t.Errorf("second removal: %v", err)
	}
	e.clock.Advance(time.Minute)
	enrol(t, e, f, u)
	if n, err := f.Reset(ctx, u.ID); err != nil || n != 1+RecoveryCodes {
		t.Errorf("reset = %d, %v", n, err)
	}
	if st, _ := f.Status(ctx, u); st.HasSecondFactor() || st.RecoveryLeft != 0 {
		t.Errorf("after reset: %+v", st)
	}
}
