package web

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/store"
)

// The account's passkeys: list, add (also in the enrolment walk-through
// instead of an authenticator app), remove after a fresh verification.

func (s *server) listPasskeys(w http.ResponseWriter, r *http.Request) {
	u, _, ok := s.securityUser(w, r, false)
	if !ok {
		return
	}
	pks, err := s.Factors.Passkeys(r.Context(), u.ID)
	if err != nil {
		s.internalError(w, r, "list passkeys", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string][]auth.PasskeyInfo{"passkeys": pks})
}

// beginPasskeyRegistration starts adding a passkey. A session that still
// owes its second factor may not: only a signed-in session, or one in the
// enrolment walk-through, adds factors.
func (s *server) beginPasskeyRegistration(w http.ResponseWriter, r *http.Request) {
	u, _, ok := s.securityUser(w, r, true)
	if !ok {
		return
	}
	opts, err := s.Factors.BeginPasskeyRegistration(r.Context(), u, s.passkeyKey(r))
	if s.passkeyBeginFailed(w, r, err) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, opts)
}

type passkeyRegistrationRequest struct {
	Name       string          `json:"name"`
	Credential json.RawMessage `json:"credential"`
}

type passkeyAddedJSON struct {
	Passkey auth.PasskeyInfo `json:"passkey"`
	// RecoveryCodes: new codes when this passkey is the account's first
	// second factor, shown once.
	RecoveryCodes []string `json:"recovery_codes,omitempty"`
	User          userJSON `json:"user"`
	// Pending: the enrolment completed a sign-in that now owes a new
	// password ("password_change").
	Pending string `json:"pending,omitempty"`
}

// finishPasskeyRegistration stores the new passkey. The account's first
// second factor comes with recovery codes; a session in the enrolment
// walk-through becomes signed in, under a new cookie.
func (s *server) finishPasskeyRegistration(w http.ResponseWriter, r *http.Request) {
	u, sess, ok := s.securityUser(w, r, true)
	if !ok {
		return
	}
	var req passkeyRegistrationRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	before, err := s.Factors.Status(r.Context(), u)
	if err != nil {
		s.internalError(w, r, "factor status", err)
		return
	}
	pk, err := s.Factors.FinishPasskeyRegistration(r.Context(), u, s.passkeyKey(r), req.Name, req.Credential)
	if s.passkeyRegistrationFailed(w, r, u, err) {
		return
	}
	s.auditOrLog(r, audit.Event{Action: audit.FactorEnrol, Actor: u.ID, Target: u.ID, Outcome: audit.Success,
		Details: map[string]string{"kind": "passkey", "credential": pk.ID}})
	resp := passkeyAddedJSON{Passkey: pk, User: toUserJSON(u)}
	if !before.HasSecondFactor() && before.RecoveryLeft == 0 {
		if resp.RecoveryCodes, err = s.Factors.NewRecoveryCodes(r.Context(), u.ID); err != nil {
			s.internalError(w, r, "recovery codes", err)
			return
		}
	}
	if sess.Stage == store.SessionEnrol {
		if resp.Pending, err = s.factorsGiven(w, r, u, sess, sess.Method+"+passkey"); err != nil {
			s.internalError(w, r, "promote session", err)
			return
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, resp)
}

func (s *server) passkeyRegistrationFailed(w http.ResponseWriter, r *http.Request, u store.User, err error) bool {
	if err == nil {
		return false
	}
	fail := func(reason string) {
		s.auditOrLog(r, audit.Event{Action: audit.FactorEnrol, Actor: u.ID, Target: u.ID, Outcome: audit.Failure,
			Details: map[string]string{"kind": "passkey", "reason": reason}})
	}
	switch {
	case errors.Is(err, auth.ErrBadName):
		writeError(w, http.StatusBadRequest, "bad_request", "name: give the passkey a name of 1 to 64 characters")
	case errors.Is(err, auth.ErrFactorExists):
		fail("exists")
		writeError(w, http.StatusConflict, "conflict", "this passkey is registered already")
	case errors.Is(err, auth.ErrBadCode):
		fail("invalid")
		writeError(w, http.StatusBadRequest, "bad_passkey", "the passkey could not be registered; start again")
	default:
		s.internalError(w, r, "finish passkey registration", err)
	}
	return true
}

// removePasskey removes one passkey after a fresh verification: the
// current password, a code from the authenticator app or a recovery code,
// or a passkey assertion (any of the account's passkeys, this one too).
// Refused while the role requires a second factor and it is the last one.
func (s *server) removePasskey(w http.ResponseWriter, r *http.Request) {
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
	if !s.ownsPasskey(w, r, u.ID, r.PathValue("id")) {
		return
	}
	if st.Required && !st.TOTP && st.Passkeys == 1 {
		writeError(w, http.StatusConflict, "conflict", "your role requires a second factor; set up another before removing this one")
		return
	}
	if !s.freshVerification(w, r, u, req) {
		return
	}
	if err := s.Factors.RemovePasskey(r.Context(), u.ID, r.PathValue("id")); errors.Is(err, auth.ErrNoEnrolment) {
		writeError(w, http.StatusNotFound, "not_found", "no such passkey")
		return
	} else if err != nil {
		s.internalError(w, r, "remove passkey", err)
		return
	}
	s.auditOrLog(r, audit.Event{Action: audit.FactorRemove, Actor: u.ID, Target: u.ID, Outcome: audit.Success,
		Details: map[string]string{"kind": "passkey", "credential": r.PathValue("id")}})
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

func (s *server) ownsPasskey(w http.ResponseWriter, r *http.Request, userID, id string) bool {
	pks, err := s.Factors.Passkeys(r.Context(), userID)
	if err != nil {
		s.internalError(w, r, "list passkeys", err)
		return false
	}
	for _, p := range pks {
		if p.ID == id {
			return true
		}
	}
	writeError(w, http.StatusNotFound, "not_found", "no such passkey")
	return false
}

// freshVerification takes the current password or a second factor, under
// the login throttle.
func (s *server) freshVerification(w http.ResponseWriter, r *http.Request, u store.User, req secondFactorRequest) bool {
	if req.Password == "" {
		return s.reauthenticate(w, r, u, req)
	}
	keys := newLoginKeys(r, u.Email)
	if s.refuseIfLocked(w, keys) {
		return false
	}
	err := s.Accounts.CheckPassword(r.Context(), u.ID, req.Password)
	if errors.Is(err, auth.ErrBadCredentials) {
		s.auditOrLog(r, audit.Event{Action: audit.AuthSecondFactor, Actor: u.ID, Target: u.ID, Outcome: audit.Failure,
			Details: map[string]string{"method": "password", "reason": "wrong"}})
		if !s.loginFailed(r, keys, u.ID) && s.refuseIfLocked(w, keys) {
			return false
		}
		writeError(w, http.StatusBadRequest, "wrong_password", "the password is wrong")
		return false
	}
	if err != nil {
		s.internalError(w, r, "check password", err)
		return false
	}
	s.LoginThrottle.Reset(keys.account)
	return true
}
