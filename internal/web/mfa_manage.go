package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/store"
)

// allowedSelf is authorize's permission check for a session that may
// still be enrolling: AccountSecurity for u's role.
func (s *server) allowedSelf(w http.ResponseWriter, r *http.Request, u store.User) bool {
	if err := authz.Check(orgRole(u.Role), authz.AccountSecurity, false); err != nil {
		s.auditRefusal(r, audit.Event{Action: audit.FactorEnrol, Actor: u.ID, Outcome: audit.Denied,
			Details: map[string]string{"role": string(u.Role)}})
		writeError(w, http.StatusForbidden, "forbidden", forbidden[authz.AccountSecurity])
		return false
	}
	return true
}

type sessionJSON struct {
	ID         string    `json:"id"`
	Method     string    `json:"method"`
	Device     string    `json:"device"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Current    bool      `json:"current"`
}

type securityJSON struct {
	Factors auth.FactorStatus `json:"factors"`
	// Passkeys lists the account's passkeys; PasskeysEnabled says whether
	// this server offers them (its public URL names a domain).
	Passkeys        []auth.PasskeyInfo `json:"passkeys"`
	PasskeysEnabled bool               `json:"passkeys_enabled"`
	Sessions        []sessionJSON      `json:"sessions"`
	// MFAResetAt: an administrator reset the account's second factors
	// then; told once, on the first look after it.
	MFAResetAt time.Time `json:"mfa_reset_at,omitzero"`
}

// accountSecurity is the account page's security section: the factors,
// the live sessions, and (once) an administrator's reset.
func (s *server) accountSecurity(w http.ResponseWriter, r *http.Request) {
	u, sess, ok := s.securityUser(w, r, true)
	if !ok {
		return
	}
	st, err := s.Factors.Status(r.Context(), u)
	if err != nil {
		s.internalError(w, r, "factor status", err)
		return
	}
	resp := securityJSON{Factors: st, Sessions: []sessionJSON{}, PasskeysEnabled: s.Factors.PasskeysEnabled()}
	if resp.Passkeys, err = s.Factors.Passkeys(r.Context(), u.ID); err != nil {
		s.internalError(w, r, "list passkeys", err)
		return
	}
	if sess.Stage == store.SessionSignedIn {
		infos, err := s.Sessions.List(r.Context(), u.ID, sess)
		if err != nil {
			s.internalError(w, r, "list sessions", err)
			return
		}
		for _, i := range infos {
			resp.Sessions = append(resp.Sessions, sessionJSON{ID: i.ID, Method: i.Method, Device: i.Device,
				CreatedAt: i.CreatedAt, LastSeenAt: i.LastSeenAt, ExpiresAt: i.ExpiresAt, Current: i.Current})
		}
	}
	if resp.MFAResetAt, err = s.takeMFAResetNotice(r, u.ID); err != nil {
		s.internalError(w, r, "mfa reset notice", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

// takeMFAResetNotice returns an administrator's reset not yet told, and
// marks it told.
func (s *server) takeMFAResetNotice(r *http.Request, userID string) (time.Time, error) {
	ss, ok := s.Store.(store.SessionStore)
	if !ok {
		return time.Time{}, nil
	}
	at, err := ss.MFAResetAt(r.Context(), userID)
	if err != nil || at.IsZero() {
		return at, err
	}
	return at, ss.SetMFAReset(r.Context(), userID, time.Time{})
}

// removeTOTP removes the account's authenticator after a code from it
// (or a recovery code): a stolen session alone cannot weaken the account.
// Refused while the role requires a second factor and it is the only one.
func (s *server) removeTOTP(w http.ResponseWriter, r *http.Request) {
	u, _, ok := s.securityUser(w, r, false)
	if !ok {
		return
	}
	var req secondFactorRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	st, err := s.Factors.Status(r.Context(), u)
	if err != nil {
		s.internalError(w, r, "factor status", err)
		return
	}
	if !st.TOTP {
		writeError(w, http.StatusNotFound, "not_found", "no authenticator app is set up")
		return
	}
	if st.Required && st.Passkeys == 0 {
		writeError(w, http.StatusConflict, "conflict", "your role requires a second factor; set up another before removing this one")
		return
	}
	if !s.reauthenticate(w, r, u, req) {
		return
	}
	if err := s.Factors.RemoveTOTP(r.Context(), u.ID); err != nil && !errors.Is(err, auth.ErrNoEnrolment) {
		s.internalError(w, r, "remove totp", err)
		return
	}
	s.auditOrLog(r, audit.Event{Action: audit.FactorRemove, Actor: u.ID, Target: u.ID, Outcome: audit.Success,
		Details: map[string]string{"kind": store.CredentialTOTP}})
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// reauthenticate checks a current second factor under the login throttle.
func (s *server) reauthenticate(w http.ResponseWriter, r *http.Request, u store.User, req secondFactorRequest) bool {
	keys := newLoginKeys(r, u.Email)
	if s.refuseIfLocked(w, keys) {
		return false
	}
	_, details, err := s.checkSecondFactor(r, u, req)
	if s.badCode(w, r, u, keys, details["method"], err) {
		return false
	}
	if err != nil {
		s.internalError(w, r, "check second factor", err)
		return false
	}
	return true
}

// regenerateRecovery replaces the recovery codes, after a code from the
// authenticator.
func (s *server) regenerateRecovery(w http.ResponseWriter, r *http.Request) {
	u, _, ok := s.securityUser(w, r, false)
	if !ok {
		return
	}
	var req codeRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if !s.reauthenticate(w, r, u, secondFactorRequest{Code: req.Code}) {
		return
	}
	codes, err := s.Factors.NewRecoveryCodes(r.Context(), u.ID)
	if err != nil {
		s.internalError(w, r, "recovery codes", err)
		return
	}
	s.auditOrLog(r, audit.Event{Action: audit.FactorEnrol, Actor: u.ID, Target: u.ID, Outcome: audit.Success,
		Details: map[string]string{"kind": store.CredentialRecovery}})
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, recoveryCodesJSON{RecoveryCodes: codes, User: toUserJSON(u)})
}

func (s *server) revokeSession(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.AccountSecurity, audit.SessionRevoke)
	if !ok {
		return
	}
	err := s.Sessions.RevokeByID(r.Context(), u.ID, r.PathValue("id"))
	if errors.Is(err, auth.ErrNoSession) {
		writeError(w, http.StatusNotFound, "not_found", "no such session")
		return
	}
	if err != nil {
		s.internalError(w, r, "revoke session", err)
		return
	}
	s.auditOrLog(r, audit.Event{Action: audit.SessionRevoke, Actor: u.ID, Target: u.ID, Outcome: audit.Success,
		Details: map[string]string{"scope": "one", "count": "1"}})
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) revokeOtherSessions(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.AccountSecurity, audit.SessionRevoke)
	if !ok {
		return
	}
	keep, _ := s.Sessions.TokenHash(r)
	s.revokeAndAnswer(w, r, u.ID, u.ID, keep, "others")
}

func (s *server) revokeAndAnswer(w http.ResponseWriter, r *http.Request, actorID, targetID string, keep []byte, scope string) {
	n, err := s.Sessions.RevokeOthers(r.Context(), targetID, keep)
	if err != nil {
		s.internalError(w, r, "revoke sessions", err)
		return
	}
	s.auditOrLog(r, audit.Event{Action: audit.SessionRevoke, Actor: actorID, Target: targetID, Outcome: audit.Success,
		Details: map[string]string{"scope": scope, "count": strconv.Itoa(n)}})
	if s.Live != nil && scope == "all" {
		s.Live.DisconnectDisabled(targetID)
	}
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
}

// adminTarget authorises UserSecurity and reads the target account.
func (s *server) adminTarget(w http.ResponseWriter, r *http.Request, auditAction audit.Action) (store.User, store.User, bool) {
	actor, ok := s.authorize(w, r, authz.UserSecurity, auditAction)
	if !ok {
		return actor, store.User{}, false
	}
	target, err := s.Store.UserByID(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "no such account")
		return actor, target, false
	}
	if err != nil {
		s.internalError(w, r, "user", err)
		return actor, target, false
	}
	return actor, target, true
}

// revokeUserSessions ends every session of another account.
func (s *server) revokeUserSessions(w http.ResponseWriter, r *http.Request) {
	actor, target, ok := s.adminTarget(w, r, audit.SessionRevoke)
	if !ok {
		return
	}
	s.revokeAndAnswer(w, r, actor.ID, target.ID, nil, "all")
}

// resetUserMFA removes every second factor of an account and ends its
// sessions; the person is told at their next sign-in, and where the role
// requires a factor, walked through enrolling a new one.
func (s *server) resetUserMFA(w http.ResponseWriter, r *http.Request) {
	actor, target, ok := s.adminTarget(w, r, audit.FactorReset)
	if !ok {
		return
	}
	n, err := s.Factors.Reset(r.Context(), target.ID)
	if err != nil {
		s.internalError(w, r, "reset factors", err)
		return
	}
	if ss, ok := s.Store.(store.SessionStore); ok {
		if err := ss.SetMFAReset(r.Context(), target.ID, time.Now().UTC()); err != nil {
			s.internalError(w, r, "reset factors", err)
			return
		}
	}
	revoked, err := s.Sessions.RevokeOthers(r.Context(), target.ID, nil)
	if err != nil {
		s.internalError(w, r, "reset factors", err)
		return
	}
	s.auditOrLog(r, audit.Event{Action: audit.FactorReset, Actor: actor.ID, Target: target.ID, Outcome: audit.Success,
		Details: map[string]string{"credentials": strconv.Itoa(n), "sessions": strconv.Itoa(revoked)}})
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]int{"credentials": n, "sessions": revoked})
}
