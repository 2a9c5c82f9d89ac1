package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"rsc.io/qr"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/totp"
)

// Second factors (docs/security.md, "Second factors"): a TOTP
// authenticator with ten one-time recovery codes, and passkeys
// (passkeys.go; store.CredentialWebAuthn), which count as a second factor
// wherever HasSecondFactor looks.

var (
	// ErrBadCode is a wrong, expired or already used code. The person is
	// told no more than that.
	ErrBadCode = errors.New("auth: wrong or used code")
	// ErrFactorExists: the account already has an authenticator; remove
	// it first.
	ErrFactorExists = errors.New("auth: an authenticator is already enrolled")
	// ErrNoEnrolment: there is no enrolment to confirm, or no factor to
	// remove.
	ErrNoEnrolment = errors.New("auth: nothing enrolled")
)

// unconfirmed is the Counter of a TOTP credential whose enrolment has not
// been confirmed with a first code: it is no factor yet.
const unconfirmed = -1

// CredentialStore is what Factors needs of the store.
type CredentialStore interface {
	AddCredential(ctx context.Context, c store.Credential) error
	Credentials(ctx context.Context, userID string) ([]store.Credential, error)
	CredentialByLookup(ctx context.Context, kind, lookup string) (store.Credential, error)
	UseCredential(ctx context.Context, id string, oldCounter, newCounter int64, at time.Time) (bool, error)
	DeleteCredential(ctx context.Context, userID, id string) error
	DeleteCredentials(ctx context.Context, userID, kind string) (int, error)
}

// FactorOptions configures Factors.
type FactorOptions struct {
	// Issuer names the server in authenticator apps ("Conclave").
	Issuer string
	// Required lists the roles that must have a second factor.
	Required []store.Role
	// Passkeys configures the WebAuthn relying party; a public URL
	// without a domain name leaves passkeys off.
	Passkeys PasskeyOptions
	Now      func() time.Time
}

// Factors enrols, checks and removes second factors.
type Factors struct {
	creds    CredentialStore
	issuer   string
	required map[store.Role]bool
	now      func() time.Time
	// rp is the WebAuthn relying party, nil when passkeys are off.
	rp         *webauthn.WebAuthn
	ceremonies ceremonies
}

// NewFactors returns a Factors over creds.
func NewFactors(creds CredentialStore, o FactorOptions) *Factors {
	if o.Issuer == "" {
		o.Issuer = "Conclave"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	req := map[store.Role]bool{}
	for _, r := range o.Required {
		req[r] = true
	}
	rp, _ := newRelyingParty(o.Passkeys) // nil: off (PasskeysEnabled)
	return &Factors{creds: creds, issuer: o.Issuer, required: req, now: o.Now, rp: rp}
}

// Required reports whether accounts of role must have a second factor.
func (f *Factors) Required(role store.Role) bool { return f.required[role] }

// FactorStatus is what an account has enrolled.
type FactorStatus struct {
	TOTP          bool      `json:"totp"`
	TOTPCreatedAt time.Time `json:"totp_created_at,omitzero"`
	Passkeys      int       `json:"passkeys"`
	RecoveryLeft  int       `json:"recovery_codes_left"`
	Required      bool      `json:"required"`
}

// HasSecondFactor reports whether the status includes a factor that can
// be asked for at sign-in (recovery codes only stand in for one).
func (s FactorStatus) HasSecondFactor() bool { return s.TOTP || s.Passkeys > 0 }

// Status reads u's factors.
func (f *Factors) Status(ctx context.Context, u store.User) (FactorStatus, error) {
	cs, err := f.creds.Credentials(ctx, u.ID)
	if err != nil {
		return FactorStatus{}, fmt.Errorf("factor status: %w", err)
	}
	st := FactorStatus{Required: f.Required(u.Role)}
	for _, c := range cs {
		switch {
		case c.Kind == store.CredentialTOTP && c.Counter != unconfirmed:
			st.TOTP, st.TOTPCreatedAt = true, c.CreatedAt
		case c.Kind == store.CredentialWebAuthn:
			st.Passkeys++
		case c.Kind == store.CredentialRecovery:
			st.RecoveryLeft++
		}
	}
	return st, nil
}

// Enrolment is a TOTP secret awaiting its first code.
type Enrolment struct {
	Secret string // base32, for typing into the app
	URI    string // otpauth://, what the QR code holds
	QRPNG  []byte // the QR code, drawn here: never by a remote service
}

// BeginTOTP starts enrolling an authenticator for u: a new secret,
// stored unconfirmed (replacing an earlier unconfirmed one).
// ErrFactorExists when one is enrolled already.
func (f *Factors) BeginTOTP(ctx context.Context, u store.User) (Enrolment, error) {
	cs, err := f.creds.Credentials(ctx, u.ID)
	if err != nil {
		return Enrolment{}, fmt.Errorf("begin totp: %w", err)
	}
	for _, c := range cs {
		if c.Kind != store.CredentialTOTP {
			continue
		}
		if c.Counter != unconfirmed {
			return Enrolment{}, ErrFactorExists
		}
		if err := f.creds.DeleteCredential(ctx, u.ID, c.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return Enrolment{}, fmt.Errorf("begin totp: %w", err)
		}
	}
	secret := totp.NewSecret()
	c := store.Credential{ID: NewCredentialID(), UserID: u.ID, Kind: store.CredentialTOTP, Name: "Authenticator app",
		Secret: secret, Counter: unconfirmed, CreatedAt: f.now().UTC()}
	if err := f.creds.AddCredential(ctx, c); err != nil {
		return Enrolment{}, fmt.Errorf("begin totp: %w", err)
	}
	uri := totp.URI(f.issuer, u.Email, secret)
	code, err := qr.Encode(uri, qr.M)
	if err != nil {
		return Enrolment{}, fmt.Errorf("begin totp: qr code: %w", err)
	}
	return Enrolment{Secret: totp.Encode(secret), URI: uri, QRPNG: code.PNG()}, nil
}

// ConfirmTOTP completes the enrolment with the app's first code and
// returns ten new recovery codes (replacing any earlier ones), to be
// shown once. ErrNoEnrolment without an enrolment; ErrBadCode for a wrong
// code.
func (f *Factors) ConfirmTOTP(ctx context.Context, userID, code string) ([]string, error) {
	c, err := f.totpCredential(ctx, userID, true)
	if err != nil {
		return nil, err
	}
	if err := f.useTOTP(ctx, c, code); err != nil {
		return nil, err
	}
	return f.NewRecoveryCodes(ctx, userID)
}

// VerifyTOTP checks a sign-in code against userID's authenticator: each
// code is accepted once (its step is stored by compare-and-set, so two
// requests racing with one code cannot both pass). ErrBadCode for a wrong
// or replayed code, ErrNoEnrolment when there is no authenticator.
func (f *Factors) VerifyTOTP(ctx context.Context, userID, code string) error {
	c, err := f.totpCredential(ctx, userID, false)
	if err != nil {
		return err
	}
	return f.useTOTP(ctx, c, code)
}

func (f *Factors) useTOTP(ctx context.Context, c store.Credential, code string) error {
	now := f.now()
	step, ok := totp.Verify(c.Secret, code, now, c.Counter)
	if !ok {
		return ErrBadCode
	}
	won, err := f.creds.UseCredential(ctx, c.ID, c.Counter, step, now.UTC())
	if err != nil {
		return fmt.Errorf("use totp: %w", err)
	}
	if !won {
		return ErrBadCode // the same code, used by a parallel request
	}
	return nil
}

// totpCredential finds the account's authenticator: the unconfirmed one
// when pending, else the confirmed one.
func (f *Factors) totpCredential(ctx context.Context, userID string, pending bool) (store.Credential, error) {
	cs, err := f.creds.Credentials(ctx, userID)
	if err != nil {
		return store.Credential{}, fmt.Errorf("totp: %w", err)
	}
	for _, c := range cs {
		if c.Kind == store.CredentialTOTP && (c.Counter == unconfirmed) == pending {
			return c, nil
		}
	}
	return store.Credential{}, ErrNoEnrolment
}

// RemoveTOTP removes the account's authenticator, confirmed or not, and
// its recovery codes (which stand in for it). ErrNoEnrolment when there
// was none.
func (f *Factors) RemoveTOTP(ctx context.Context, userID string) error {
	n, err := f.creds.DeleteCredentials(ctx, userID, store.CredentialTOTP)
	if err != nil {
		return fmt.Errorf("remove totp: %w", err)
	}
	if n == 0 {
		return ErrNoEnrolment
	}
	if err := f.dropRecoveryUnlessPasskeys(ctx, userID); err != nil {
		return fmt.Errorf("remove totp: %w", err)
	}
	return nil
}

func (f *Factors) dropRecoveryUnlessPasskeys(ctx context.Context, userID string) error {
	cs, err := f.creds.Credentials(ctx, userID)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Kind == store.CredentialWebAuthn {
			return nil
		}
	}
	_, err = f.creds.DeleteCredentials(ctx, userID, store.CredentialRecovery)
	return err
}

// Reset removes every second factor of the account (authenticator,
// passkeys, recovery codes) for an administrator; OIDC identities stay,
// they are a way to sign in, not a second factor. It returns how many
// credentials went.
func (f *Factors) Reset(ctx context.Context, userID string) (int, error) {
	total := 0
	for _, kind := range []string{store.CredentialTOTP, store.CredentialWebAuthn, store.CredentialRecovery} {
		n, err := f.creds.DeleteCredentials(ctx, userID, kind)
		if err != nil {
			return total, fmt.Errorf("reset factors: %w", err)
		}
		total += n
	}
	return total, nil
}
