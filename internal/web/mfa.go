package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/store"
)

// Second factors at sign-in (docs/security.md, "Second factors"). A right
// password gives a session that owes its second factor (or, when the
// role requires one that is not enrolled, must enrol one); such a session
// resolves to nobody in Sessions.UserFromRequest, so every other API
// refuses it, and only the routes here take it.

func (s *server) mfaRoutes(mux *http.ServeMux) {
	if s.Factors == nil {
		return
	}
	route(mux, "/api/login/second-factor", methods{"POST": s.secondFactor})
	route(mux, "/api/account/security", methods{"GET": s.accountSecurity})
	route(mux, "/api/account/totp", methods{"POST": s.beginTOTP, "DELETE": s.removeTOTP})
	route(mux, "/api/account/totp/confirm", methods{"POST": s.confirmTOTP})
	route(mux, "/api/account/recovery-codes", methods{"POST": s.regenerateRecovery})
	route(mux, "/api/account/sessions/{id}", methods{"DELETE": s.revokeSession})
	route(mux, "/api/account/sessions", methods{"DELETE": s.revokeOtherSessions})
	route(mux, "/api/users/{id}/mfa-reset", methods{"POST": s.resetUserMFA})
	route(mux, "/api/users/{id}/sessions/revoke", methods{"POST": s.revokeUserSessions})
	s.passkeyRoutes(mux)
}

// pendingResponse answers a right password whose session still owes a
// second factor: "second_factor" (give it) or "enrol" (enrol one first).
type pendingResponse struct {
	Pending string `json:"pending"`
	// Methods lists what the second step may take: "totp" (with its
	// recovery codes) and "passkey".
	Methods []string `json:"methods,omitempty"`
}

// signInStage decides what a right password leads to for u.
func (s *server) signInStage(r *http.Request, u store.User) (string, error) {
	if s.Factors == nil {
		return store.SessionSignedIn, nil
	}
	st, err := s.Factors.Status(r.Context(), u)
	if err != nil {
		return "", err
	}
	switch {
	case st.HasSecondFactor():
		return store.SessionSecondFactor, nil
	case st.Required:
		return store.SessionEnrol, nil
	}
	return store.SessionSignedIn, nil
}

// startStagedSession starts u's session at the stage the account's
// factors call for, and answers with the user or with what is owed.
func (s *server) startStagedSession(w http.ResponseWriter, r *http.Request, u store.User, method string, status int) {
	stage, err := s.signInStage(r, u)
	if err != nil {
		s.internalError(w, r, "sign-in stage", err)
		return
	}
	if stage == store.SessionSignedIn {
		stage = s.Sessions.SignedInStage(u, method)
	}
	if err := s.Sessions.Start(r.Context(), w, r, u.ID, auth.Start{Stage: stage, Method: method}); err != nil {
		s.internalError(w, r, "create session", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if stage != store.SessionSignedIn {
		writeJSON(w, status, pendingResponse{Pending: stage, Methods: s.secondStepMethods(r, u, stage)})
		return
	}
	writeJSON(w, status, userResponse{User: toUserJSON(u)})
}

// pendingSession returns the request's session when it is at one of
// stages, or answers 401.
func (s *server) pendingSession(w http.ResponseWriter, r *http.Request, stages ...string) (store.User, store.Session, bool) {
	u, sess, ok := s.Sessions.Current(r)
	if ok {
		for _, st := range stages {
			if sess.Stage == st {
				return u, sess, true
			}
		}
	}
	writeError(w, http.StatusUnauthorized, "unauthorized", "sign in first")
	return store.User{}, store.Session{}, false
}

type secondFactorRequest struct {
	Code         string `json:"code"`
	RecoveryCode string `json:"recovery_code"`
	// Passkey is the browser's answer to the assertion begun at POST
	// /api/login/second-factor/passkey (PublicKeyCredential, JSON).
	Passkey json.RawMessage `json:"passkey,omitempty"`
	// Password: removing a passkey also takes the current password.
	Password string `json:"password,omitempty"`
}

// secondFactor takes the authenticator's code or a recovery code from a
// session that owes it, under the login throttle (the client address and
// the account), and on success replaces the session with a signed-in one
// under a new cookie.
func (s *server) secondFactor(w http.ResponseWriter, r *http.Request) {
	u, sess, ok := s.pendingSession(w, r, store.SessionSecondFactor)
	if !ok {
		return
	}
	var req secondFactorRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	keys := newLoginKeys(r, u.Email)
	if s.refuseIfLocked(w, keys) {
		return
	}
	method, details, err := s.checkSecondFactor(r, u, req)
	if errors.Is(err, auth.ErrBadCode) || errors.Is(err, auth.ErrNoEnrolment) {
		if details["reason"] == "" {
			details["reason"] = "wrong"
		}
		s.auditOrLog(r, audit.Event{Action: audit.AuthSecondFactor, Actor: u.ID, Target: u.ID, Outcome: audit.Failure, Details: details})
		if !s.loginFailed(r, keys, u.ID) && s.refuseIfLocked(w, keys) {
			return
		}
		writeError(w, http.StatusUnauthorized, "wrong_code", "the code is wrong or was already used")
		return
	}
	if err != nil {
		s.internalError(w, r, "second factor", err)
		return
	}
	if s.refuseIfLocked(w, keys) {
		return // locked by a parallel wrong guess meanwhile
	}
	s.LoginThrottle.Reset(keys.account)
	if !s.auditOrFail(w, r, audit.Event{Action: audit.AuthSecondFactor, Actor: u.ID, Target: u.ID, Outcome: audit.Success, Details: details}) {
		return
	}
	s.promote(w, r, u, sess, method)
}

// checkSecondFactor verifies req's code and says which method it was.
func (s *server) checkSecondFactor(r *http.Request, u store.User, req secondFactorRequest) (string, map[string]string, error) {
	if req.RecoveryCode != "" {
		details := map[string]string{"method": "recovery"}
		left, err := s.Factors.UseRecoveryCode(r.Context(), u.ID, req.RecoveryCode)
		details["left"] = strconv.Itoa(left)
		return auth.MethodPasswordRecovery, details, err
	}
	if len(req.Passkey) > 0 {
		use, err := s.Factors.VerifyPasskey(r.Context(), u.ID, s.passkeyKey(r), req.Passkey)
		return auth.MethodPasswordPasskey, passkeyDetails(use, err), err
	}
	return auth.MethodPasswordTOTP, map[string]string{"method": "totp"}, s.Factors.VerifyTOTP(r.Context(), u.ID, req.Code)
}

// promote turns the pending session into a signed-in one (new cookie), or
// one that owes a new password, and answers with the user or with what is
// owed.
func (s *server) promote(w http.ResponseWriter, r *http.Request, u store.User, sess store.Session, method string) {
	stage, err := s.factorsGiven(w, r, u, sess, method)
	if errors.Is(err, auth.ErrNoSession) {
		writeError(w, http.StatusUnauthorized, "unauthorized", "sign in first")
		return
	}
	if err != nil {
		s.internalError(w, r, "promote session", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if stage != store.SessionSignedIn {
		writeJSON(w, http.StatusOK, pendingResponse{Pending: stage})
		return
	}
	writeJSON(w, http.StatusOK, userResponse{User: toUserJSON(u)})
}

// factorsGiven moves sess, whose every factor is now given by method, to
// the stage that follows (Sessions.SignedInStage) under a new cookie,
// and returns that stage.
func (s *server) factorsGiven(w http.ResponseWriter, r *http.Request, u store.User, sess store.Session, method string) (string, error) {
	stage := s.Sessions.SignedInStage(u, method)
	return stage, s.Sessions.Promote(r.Context(), w, r, sess, auth.Start{Stage: stage, Method: method})
}

type enrolmentJSON struct {
	Secret string `json:"secret"`
	URI    string `json:"uri"`
	// QR is the QR code as a data: URL (PNG), drawn by the server.
	QR string `json:"qr"`
}

// securityUser is the account acting on its own factors: a signed-in
// session, or one that must enrol (allowEnrol) before anything else.
func (s *server) securityUser(w http.ResponseWriter, r *http.Request, allowEnrol bool) (store.User, store.Session, bool) {
	stages := []string{store.SessionSignedIn}
	if allowEnrol {
		stages = append(stages, store.SessionEnrol)
	}
	u, sess, ok := s.pendingSession(w, r, stages...)
	if !ok {
		return u, sess, false
	}
	if !s.allowedSelf(w, r, u) {
		return u, sess, false
	}
	return u, sess, true
}

func (s *server) beginTOTP(w http.ResponseWriter, r *http.Request) {
	u, _, ok := s.securityUser(w, r, true)
	if !ok {
		return
	}
	en, err := s.Factors.BeginTOTP(r.Context(), u)
	if errors.Is(err, auth.ErrFactorExists) {
		writeError(w, http.StatusConflict, "conflict", "an authenticator app is already set up; remove it first")
		return
	}
	if err != nil {
		s.internalError(w, r, "begin totp", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, enrolmentJSON{Secret: en.Secret, URI: en.URI,
		QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(en.QRPNG)})
}

type codeRequest struct {
	Code string `json:"code"`
}

type recoveryCodesJSON struct {
	RecoveryCodes []string `json:"recovery_codes"`
	User          userJSON `json:"user"`
	// Pending: the enrolment completed a sign-in that now owes a new
	// password ("password_change").
	Pending string `json:"pending,omitempty"`
}

// confirmTOTP completes the enrolment with the app's first code, under
// the login throttle. A session that had to enrol becomes signed in, under
// a new cookie.
func (s *server) confirmTOTP(w http.ResponseWriter, r *http.Request) {
	u, sess, ok := s.securityUser(w, r, true)
	if !ok {
		return
	}
	var req codeRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	keys := newLoginKeys(r, u.Email)
	if s.refuseIfLocked(w, keys) {
		return
	}
	codes, err := s.Factors.ConfirmTOTP(r.Context(), u.ID, req.Code)
	if s.badCode(w, r, u, keys, "totp-enrolment", err) {
		return
	}
	if err != nil {
		s.internalError(w, r, "confirm totp", err)
		return
	}
	s.auditOrLog(r, audit.Event{Action: audit.FactorEnrol, Actor: u.ID, Target: u.ID, Outcome: audit.Success,
		Details: map[string]string{"kind": store.CredentialTOTP}})
	resp := recoveryCodesJSON{RecoveryCodes: codes, User: toUserJSON(u)}
	if sess.Stage == store.SessionEnrol {
		stage, err := s.factorsGiven(w, r, u, sess, sess.Method+"+totp")
		if err != nil {
			s.internalError(w, r, "promote session", err)
			return
		}
		resp.Pending = stage
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

// badCode answers a wrong code (ErrBadCode, ErrNoEnrolment) given while
// managing factors: recorded, counted against the throttle, 400.
func (s *server) badCode(w http.ResponseWriter, r *http.Request, u store.User, keys loginKeys, method string, err error) bool {
	if errors.Is(err, auth.ErrNoEnrolment) && method == "totp-enrolment" {
		writeError(w, http.StatusConflict, "conflict", "start setting up the authenticator app first")
		return true
	}
	if !errors.Is(err, auth.ErrBadCode) && !errors.Is(err, auth.ErrNoEnrolment) {
		return false
	}
	reason := "wrong"
	if errors.Is(err, auth.ErrPasskeyClone) {
		reason = "sign_count"
	}
	s.auditOrLog(r, audit.Event{Action: audit.AuthSecondFactor, Actor: u.ID, Target: u.ID, Outcome: audit.Failure,
		Details: map[string]string{"method": method, "reason": reason}})
	if !s.loginFailed(r, keys, u.ID) && s.refuseIfLocked(w, keys) {
		return true
	}
	writeError(w, http.StatusBadRequest, "wrong_code", "the code is wrong or was already used")
	return true
}
