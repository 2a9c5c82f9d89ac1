package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/conclave-meet/conclave/internal/store"
)

// Passkeys (docs/security.md, "Passkeys"): WebAuthn credentials, several
// per account, as a second factor after the password or alone
// (passwordless: possession of the key plus the user verification it
// requires). A credential is a store.Credential of kind webauthn: Lookup
// is the credential ID, Secret the serialised webauthn.Credential (public
// key, AAGUID, transports, flags), Counter the signature count.

var (
	// ErrPasskeyClone: the signature count did not increase. Two copies
	// of the key may exist; the assertion is refused (and recorded).
	ErrPasskeyClone = fmt.Errorf("%w: passkey signature count did not increase", ErrBadCode)
	// ErrNoPasskeys: passkeys are off because the public URL names no
	// domain (WebAuthn needs one as the relying party ID).
	ErrNoPasskeys = errors.New("auth: passkeys need the public URL to name a domain")
	// ErrBadName: a passkey's name is empty or too long.
	ErrBadName = errors.New("auth: a passkey needs a name of 1 to 64 characters")
)

// Ceremony purposes: a binding is purpose + the caller's key, so an answer
// to one kind of ceremony is never checked as another.
const (
	purposeRegister = "register:"
	purposeAssert   = "assert:"
	purposeLogin    = "login:"
)

// PasskeyOptions configures the relying party.
type PasskeyOptions struct {
	// PublicURL is the origin people reach the server at; its host is the
	// relying party ID. "" or an IP address: no passkeys.
	PublicURL string
	// Name is shown by the browser ("Conclave").
	Name string
}

// RelyingParty returns the RP ID and origin for publicURL: the RP ID is
// the URL's host (no port), which must be a domain name; browsers accept
// "localhost" for http://localhost.
func RelyingParty(publicURL string) (id, origin string, err error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", "", ErrNoPasskeys
	}
	host := u.Hostname()
	if net.ParseIP(host) != nil {
		return "", "", ErrNoPasskeys
	}
	return strings.ToLower(host), u.Scheme + "://" + u.Host, nil
}

func newRelyingParty(o PasskeyOptions) (*webauthn.WebAuthn, error) {
	id, origin, err := RelyingParty(o.PublicURL)
	if err != nil {
		return nil, err
	}
	if o.Name == "" {
		o.Name = "Conclave"
	}
	timeout := webauthn.TimeoutConfig{Enforce: true, Timeout: CeremonyTTL, TimeoutUVD: CeremonyTTL}
	rp, err := webauthn.New(&webauthn.Config{RPID: id, RPDisplayName: o.Name, RPOrigins: []string{origin},
		AttestationPreference: protocol.PreferNoAttestation,
		Timeouts:              webauthn.TimeoutsConfig{Login: timeout, Registration: timeout}})
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	return rp, nil
}

// PasskeysEnabled reports whether the relying party is configured.
func (f *Factors) PasskeysEnabled() bool { return f.rp != nil }

// passkeyUser is an account as go-webauthn sees it. The user handle is
// the account ID: random, so it tells the authenticator nothing personal.
type passkeyUser struct {
	id, name, display string
	creds             []webauthn.Credential
	rows              []store.Credential // creds[i] is rows[i]
}

func (u *passkeyUser) WebAuthnID() []byte                         { return []byte(u.id) }
func (u *passkeyUser) WebAuthnName() string                       { return u.name }
func (u *passkeyUser) WebAuthnDisplayName() string                { return u.display }
func (u *passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// loadPasskeyUser reads userID's passkeys. The stored Counter, not the
// serialised copy, is the signature count: only UseCredential moves it.
func (f *Factors) loadPasskeyUser(ctx context.Context, userID string) (*passkeyUser, error) {
	cs, err := f.creds.Credentials(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	pu := &passkeyUser{id: userID}
	for _, c := range cs {
		if c.Kind != store.CredentialWebAuthn {
			continue
		}
		var wc webauthn.Credential
		if err := json.Unmarshal(c.Secret, &wc); err != nil {
			return nil, fmt.Errorf("passkeys: credential %s: %w", c.ID, err)
		}
		wc.Authenticator.SignCount = uint32(c.Counter)
		pu.creds, pu.rows = append(pu.creds, wc), append(pu.rows, c)
	}
	return pu, nil
}

// PasskeyInfo is one passkey as its owner sees it.
type PasskeyInfo struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
}

// Passkeys lists userID's passkeys, oldest first.
func (f *Factors) Passkeys(ctx context.Context, userID string) ([]PasskeyInfo, error) {
	cs, err := f.creds.Credentials(ctx, userID)
	if err != nil {
		return nil, fmt.Errorf("passkeys: %w", err)
	}
	out := []PasskeyInfo{}
	for _, c := range cs {
		if c.Kind == store.CredentialWebAuthn {
			out = append(out, PasskeyInfo{ID: c.ID, Name: c.Name, CreatedAt: c.CreatedAt, LastUsedAt: c.LastUsedAt})
		}
	}
	return out, nil
}

// BeginPasskeyRegistration starts adding a passkey to u, bound to key (the
// session's). The options ask for a discoverable credential with user
// verification, so that the passkey can also sign in alone, and exclude
// the account's passkeys (one authenticator, one passkey).
func (f *Factors) BeginPasskeyRegistration(ctx context.Context, u store.User, key string) (*protocol.CredentialCreation, error) {
	if f.rp == nil {
		return nil, ErrNoPasskeys
	}
	pu, err := f.loadPasskeyUser(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	pu.name, pu.display = u.Email, u.Name
	sel := protocol.AuthenticatorSelection{ResidentKey: protocol.ResidentKeyRequirementRequired,
		RequireResidentKey: protocol.ResidentKeyRequired(), UserVerification: protocol.VerificationRequired}
	opts, data, err := f.rp.BeginRegistration(pu, webauthn.WithAuthenticatorSelection(sel),
		webauthn.WithExclusions(webauthn.Credentials(pu.creds).CredentialDescriptors()))
	if err != nil {
		return nil, fmt.Errorf("begin passkey registration: %w", err)
	}
	if err := f.ceremonies.put(purposeRegister+key, ceremony{data: *data, userID: u.ID, expires: f.now().Add(CeremonyTTL)}, f.now()); err != nil {
		return nil, err
	}
	return opts, nil
}

// FinishPasskeyRegistration checks the browser's answer to the ceremony
// bound to key and stores the passkey under name. ErrBadCode for an answer
// that does not verify or no open ceremony; ErrFactorExists when the
// credential is registered already.
func (f *Factors) FinishPasskeyRegistration(ctx context.Context, u store.User, key, name string, response []byte) (PasskeyInfo, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 64 {
		return PasskeyInfo{}, ErrBadName
	}
	cer, ok := f.ceremonies.take(purposeRegister+key, f.now())
	if !ok || cer.userID != u.ID {
		return PasskeyInfo{}, ErrBadCode
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return PasskeyInfo{}, fmt.Errorf("%w: %v", ErrBadCode, err)
	}
	pu, err := f.loadPasskeyUser(ctx, u.ID)
	if err != nil {
		return PasskeyInfo{}, err
	}
	pu.name, pu.display = u.Email, u.Name
	wc, err := f.rp.CreateCredential(pu, cer.data, parsed)
	if err != nil {
		return PasskeyInfo{}, fmt.Errorf("%w: %v", ErrBadCode, err)
	}
	secret, err := json.Marshal(wc)
	if err != nil {
		return PasskeyInfo{}, fmt.Errorf("finish passkey registration: %w", err)
	}
	c := store.Credential{ID: NewCredentialID(), UserID: u.ID, Kind: store.CredentialWebAuthn, Name: name, Secret: secret,
		Lookup: passkeyLookup(wc.ID), Counter: int64(wc.Authenticator.SignCount), CreatedAt: f.now().UTC()}
	if err := f.creds.AddCredential(ctx, c); errors.Is(err, store.ErrConflict) {
		return PasskeyInfo{}, ErrFactorExists
	} else if err != nil {
		return PasskeyInfo{}, fmt.Errorf("finish passkey registration: %w", err)
	}
	return PasskeyInfo{ID: c.ID, Name: name, CreatedAt: c.CreatedAt}, nil
}

// passkeyLookup is the credential ID as the store indexes it.
func passkeyLookup(rawID []byte) string { return base64.RawURLEncoding.EncodeToString(rawID) }

// RemovePasskey removes one of userID's passkeys; ErrNoEnrolment when it
// has no such passkey. Recovery codes go with the last second factor.
func (f *Factors) RemovePasskey(ctx context.Context, userID, id string) error {
	pks, err := f.Passkeys(ctx, userID)
	if err != nil {
		return err
	}
	found := false
	for _, p := range pks {
		found = found || p.ID == id
	}
	if !found {
		return ErrNoEnrolment
	}
	if err := f.creds.DeleteCredential(ctx, userID, id); errors.Is(err, store.ErrNotFound) {
		return ErrNoEnrolment
	} else if err != nil {
		return fmt.Errorf("remove passkey: %w", err)
	}
	if len(pks) == 1 {
		if _, err := f.totpCredential(ctx, userID, false); errors.Is(err, ErrNoEnrolment) {
			_, err = f.creds.DeleteCredentials(ctx, userID, store.CredentialRecovery)
			if err != nil {
				return fmt.Errorf("remove passkey: %w", err)
			}
		}
	}
	return nil
}
