package sso

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/store"
)

// signIn finds (or creates) the identity's account, applies the
// provider's role, records the sign-in and starts a fresh session.
//
// Accounts are found by the identity (issuer and subject) only, never by
// e-mail address: a provider that lets people choose their address, or
// a second provider, could otherwise take over any account with a
// matching address. An existing account gets an identity by linking it
// while signed in (link).
func (s *Service) signIn(w http.ResponseWriter, r *http.Request, p *provider, id identity) error {
	ctx := r.Context()
	u, cred, err := s.account(r, p, id)
	if err != nil {
		return err
	}
	switch {
	case u.Disabled:
		return refuseUser(u, reasonDisabled, errors.New("account disabled"))
	case u.Restricted:
		return refuseUser(u, reasonRestricted, errors.New("account restricted"))
	}
	u = s.applyRole(r, p, id, u)
	now := s.opts.Now().UTC()
	if cred.ID != "" {
		if err := s.opts.Identities.Used(ctx, cred, now); err != nil {
			return err
		}
	}
	if err := s.opts.Users.RecordLogin(ctx, u.ID, now); err != nil {
		return fmt.Errorf("sso: record login: %w", err)
	}
	stage, err := s.stage(r, p, id, u)
	if err != nil {
		return err
	}
	details := map[string]string{"method": MethodOIDC, "provider": p.cfg.Name}
	if p.showsMFA(id) {
		details["mfa"] = "provider"
	}
	if stage != store.SessionSignedIn {
		details["stage"] = stage
	}
	// Recorded before the session exists, failing closed: no session
	// without an entry.
	if err := s.appendAudit(r, audit.Event{Action: audit.AuthLoginSuccess, Actor: u.ID, Outcome: audit.Success,
		Details: details}); err != nil {
		return err
	}
	return s.startSession(w, r, u.ID, stage)
}

// MethodOIDC is how sessions started here record their sign-in method.
const MethodOIDC = "oidc"

// stage is what the session still owes. A provider that showed MFA (amr
// or acr, whether or not require_mfa asks for it) has done the second
// factor; otherwise the account's own second factor is owed as after a
// password (one it has, or one its role must enrol).
func (s *Service) stage(r *http.Request, p *provider, id identity, u store.User) (string, error) {
	if p.showsMFA(id) || s.opts.Factors == nil {
		return store.SessionSignedIn, nil
	}
	st, err := s.opts.Factors.Status(r.Context(), u)
	switch {
	case err != nil:
		return "", fmt.Errorf("sso: second factors: %w", err)
	case st.HasSecondFactor():
		return store.SessionSecondFactor, nil
	case st.Required:
		return store.SessionEnrol, nil
	}
	return store.SessionSignedIn, nil
}

// startSession ends the browser's previous session, if any, and starts a
// new one with a fresh token (a token planted before sign-in never
// becomes a signed-in one), then sends the browser home, or to the
// sign-in page's second-factor step for what a pending session owes.
func (s *Service) startSession(w http.ResponseWriter, r *http.Request, userID, stage string) error {
	if err := s.opts.Sessions.Revoke(r.Context(), w, r); err != nil {
		return fmt.Errorf("sso: end previous session: %w", err)
	}
	if err := s.opts.Sessions.Start(r.Context(), w, r, userID, auth.Start{Stage: stage, Method: MethodOIDC}); err != nil {
		return fmt.Errorf("sso: %w", err)
	}
	next := "/"
	if stage != store.SessionSignedIn {
		next = "/login?pending=" + stage
	}
	http.Redirect(w, r, next, http.StatusFound)
	return nil
}

// account returns the account linked to the identity, creating one when
// the provider allows just-in-time creation. cred is the link; it is
// empty for an account created now.
func (s *Service) account(r *http.Request, p *provider, id identity) (store.User, store.Credential, error) {
	ctx := r.Context()
	cred, err := s.opts.Identities.Lookup(ctx, id.Issuer, id.Subject)
	if errors.Is(err, store.ErrNotFound) {
		u, err := s.createAccount(r, p, id)
		return u, store.Credential{}, err
	}
	if err != nil {
		return store.User{}, store.Credential{}, err
	}
	u, err := s.opts.Users.UserByID(ctx, cred.UserID)
	if err != nil {
		return store.User{}, store.Credential{}, fmt.Errorf("sso: linked account: %w", err)
	}
	return u, cred, nil
}

// createAccount is just-in-time creation: an account without a password,
// with the provider's verified e-mail address and name and the mapped
// role, linked to the identity.
func (s *Service) createAccount(r *http.Request, p *provider, id identity) (store.User, error) {
	if !p.cfg.JIT {
		return store.User{}, refuse(reasonNoAccount, errors.New("no account has this identity and jit is off"))
	}
	u, err := s.newUser(p, id)
	if err != nil {
		return store.User{}, err
	}
	ctx := r.Context()
	if err := s.opts.Users.CreateUser(ctx, u); isConflict(err) {
		return store.User{}, refuse(reasonEmailInUse, errors.New("an account has the e-mail address"))
	} else if err != nil {
		return store.User{}, fmt.Errorf("sso: create account: %w", err)
	}
	if err := s.opts.Identities.Link(ctx, u.ID, p.cfg.Name, id, u.CreatedAt); err != nil {
		// A concurrent first sign-in of the same identity won the race;
		// this account stays without an identity and can be removed.
		return store.User{}, fmt.Errorf("sso: link new account %s: %w", u.ID, err)
	}
	s.auditOrLog(r, audit.Event{Action: audit.UserCreate, Target: u.ID, Outcome: audit.Success,
		Details: map[string]string{"role": string(u.Role), "method": MethodOIDC, "provider": p.cfg.Name}})
	return u, nil
}

func (s *Service) newUser(p *provider, id identity) (store.User, error) {
	email, err := auth.NormalizeEmail(id.Email)
	if err != nil {
		return store.User{}, refuse(reasonClaims, errors.New("no verified, valid e-mail address"))
	}
	name := id.Name
	if strings.TrimSpace(name) == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	if name, err = auth.ValidateName(truncate(name, auth.MaxNameLen)); err != nil {
		return store.User{}, refuse(reasonClaims, errors.New("the name is not usable"))
	}
	role, managed := p.role(id)
	if !managed {
		role = store.RoleMember
	}
	return store.User{ID: auth.NewUserID(), Email: email, Name: name, Role: role, CreatedAt: s.opts.Now().UTC()}, nil
}

// truncate cuts s to n characters.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// applyRole sets the account's role to the one the provider's claim maps
// to, when the provider manages roles. The last administrator is not
// demoted (the sign-in goes on with the old role), so that a provider
// misconfiguration cannot lock everyone out of administration.
func (s *Service) applyRole(r *http.Request, p *provider, id identity, u store.User) store.User {
	role, managed := p.role(id)
	if !managed || role == u.Role {
		return u
	}
	err := s.opts.Users.SetAccess(r.Context(), u.ID, role, false, s.opts.Now().UTC())
	if err != nil {
		s.opts.Logger.WarnContext(r.Context(), "single sign-on role not applied", "provider", p.cfg.Name,
			"user_id", u.ID, "role", string(role), "err", err)
		return u
	}
	s.auditOrLog(r, audit.Event{Action: audit.UserRoleChange, Target: u.ID, Outcome: audit.Success,
		Details: map[string]string{"role": string(role), "from": string(u.Role), "method": MethodOIDC, "provider": p.cfg.Name}})
	u.Role = role
	return u
}

// link adds the identity to the signed-in account that asked for it
// (the flow remembers who); the person proves both the account (their
// session) and the identity (the provider).
func (s *Service) link(w http.ResponseWriter, r *http.Request, p *provider, userID string, id identity) error {
	u, signedIn := s.opts.Sessions.UserFromRequest(r)
	if !signedIn || u.ID != userID {
		return refuse(reasonState, errors.New("the account that started linking is no longer signed in"))
	}
	err := s.opts.Identities.Link(r.Context(), u.ID, p.cfg.Name, id, s.opts.Now())
	if isConflict(err) {
		return refuseUser(u, reasonLinked, errors.New("the identity is linked to an account already"))
	}
	if err != nil {
		return err
	}
	s.auditOrLog(r, audit.Event{Action: audit.UserIdentityLink, Actor: u.ID, Target: u.ID, Outcome: audit.Success,
		Details: map[string]string{"method": MethodOIDC, "provider": p.cfg.Name}})
	http.Redirect(w, r, "/account", http.StatusFound)
	return nil
}
