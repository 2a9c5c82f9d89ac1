package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/conclave-meet/conclave/internal/store"
)

// PasskeyUse is what an assertion proved: whose passkey, which one.
// UserID is set as soon as the credential is known, even when the
// assertion then fails, so that the failure counts against the account.
type PasskeyUse struct {
	UserID       string
	CredentialID string
	Name         string
}

// BeginPasskeyAssertion asks for one of userID's passkeys (the second
// factor after a password, or a fresh verification before a change),
// bound to key (the session's). ErrNoEnrolment when it has none.
func (f *Factors) BeginPasskeyAssertion(ctx context.Context, userID, key string) (*protocol.CredentialAssertion, error) {
	if f.rp == nil {
		return nil, ErrNoPasskeys
	}
	pu, err := f.loadPasskeyUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	if len(pu.creds) == 0 {
		return nil, ErrNoEnrolment
	}
	opts, data, err := f.rp.BeginLogin(pu, webauthn.WithUserVerification(protocol.VerificationPreferred))
	if err != nil {
		return nil, fmt.Errorf("begin passkey assertion: %w", err)
	}
	return opts, f.ceremonies.put(purposeAssert+key, ceremony{data: *data, userID: userID, expires: f.now().Add(CeremonyTTL)}, f.now())
}

// VerifyPasskey checks an answer to the assertion bound to key, which must
// be by one of userID's passkeys. ErrBadCode for anything that does not
// verify (no open ceremony, another account's or a removed credential, a
// bad signature); ErrPasskeyClone for a signature count that did not
// increase.
func (f *Factors) VerifyPasskey(ctx context.Context, userID, key string, response []byte) (PasskeyUse, error) {
	use := PasskeyUse{UserID: userID}
	cer, ok := f.ceremonies.take(purposeAssert+key, f.now())
	if !ok || cer.userID != userID {
		return use, ErrBadCode
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return use, fmt.Errorf("%w: %v", ErrBadCode, err)
	}
	pu, err := f.loadPasskeyUser(ctx, userID)
	if err != nil {
		return use, err
	}
	wc, err := f.rp.ValidateLogin(pu, cer.data, parsed)
	if err != nil {
		return use, fmt.Errorf("%w: %v", ErrBadCode, err)
	}
	return f.usePasskey(ctx, pu, wc)
}

// BeginPasskeyLogin starts a passwordless sign-in bound to key (a
// pre-sign-in cookie): the browser offers any of the site's discoverable
// credentials, and user verification is required, which makes the passkey
// a second factor in itself.
func (f *Factors) BeginPasskeyLogin(key string) (*protocol.CredentialAssertion, error) {
	if f.rp == nil {
		return nil, ErrNoPasskeys
	}
	opts, data, err := f.rp.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, fmt.Errorf("begin passkey sign-in: %w", err)
	}
	return opts, f.ceremonies.put(purposeLogin+key, ceremony{data: *data, expires: f.now().Add(CeremonyTTL)}, f.now())
}

// PasskeyLogin checks a passwordless answer to the ceremony bound to key
// and says whose passkey it was. Errors as VerifyPasskey; UserID is set
// when the credential belongs to an account.
func (f *Factors) PasskeyLogin(ctx context.Context, key string, response []byte) (PasskeyUse, error) {
	var use PasskeyUse
	cer, ok := f.ceremonies.take(purposeLogin+key, f.now())
	if !ok {
		return use, ErrBadCode
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return use, fmt.Errorf("%w: %v", ErrBadCode, err)
	}
	var pu *passkeyUser
	handler := func(rawID, userHandle []byte) (webauthn.User, error) {
		c, err := f.creds.CredentialByLookup(ctx, store.CredentialWebAuthn, passkeyLookup(rawID))
		if err != nil {
			return nil, err
		}
		use.UserID = c.UserID
		// The handle the authenticator returns must name the owner:
		// a credential of one account never signs in another.
		if !bytes.Equal(userHandle, []byte(c.UserID)) {
			return nil, errors.New("user handle does not match the credential's account")
		}
		pu, err = f.loadPasskeyUser(ctx, c.UserID)
		return pu, err
	}
	_, wc, err := f.rp.ValidatePasskeyLogin(handler, cer.data, parsed)
	if err != nil {
		return use, fmt.Errorf("%w: %v", ErrBadCode, err)
	}
	return f.usePasskey(ctx, pu, wc)
}

// usePasskey refuses a signature count that did not increase (a cloned
// key, or an old answer replayed) and stores the new count by
// compare-and-set, so that of two answers racing with one count only one
// passes.
func (f *Factors) usePasskey(ctx context.Context, pu *passkeyUser, wc *webauthn.Credential) (PasskeyUse, error) {
	use := PasskeyUse{UserID: pu.id}
	var row store.Credential
	for i, c := range pu.creds {
		if bytes.Equal(c.ID, wc.ID) {
			row = pu.rows[i]
		}
	}
	if row.ID == "" {
		return use, ErrBadCode
	}
	use.CredentialID, use.Name = row.ID, row.Name
	if wc.Authenticator.CloneWarning {
		return use, ErrPasskeyClone
	}
	won, err := f.creds.UseCredential(ctx, row.ID, row.Counter, int64(wc.Authenticator.SignCount), f.now().UTC())
	if err != nil {
		return use, fmt.Errorf("use passkey: %w", err)
	}
	if !won {
		return use, ErrPasskeyClone
	}
	return use, nil
}
