package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/store"
)

// Passkeys (docs/security.md, "Passkeys"; docs/api.md, "Second factors
// and sessions"). The server keeps each ceremony's challenge, single use
// and short-lived, bound to the session that began it, or for a
// passwordless sign-in to a pre-sign-in cookie; the browser only answers.

// passkeyCookie binds a passwordless sign-in's ceremony to the browser
// that began it. Scoped to the two routes that use it.
const passkeyCookie = "conclave_passkey"

func (s *server) passkeyRoutes(mux *http.ServeMux) {
	if !s.Factors.PasskeysEnabled() {
		return // the public URL names no domain: /api/ answers 404
	}
	route(mux, "/api/login/passkey/options", methods{"POST": s.beginPasskeyLogin})
	route(mux, "/api/login/passkey", methods{"GET": s.passkeysOffered, "POST": s.passkeyLogin})
	route(mux, "/api/login/second-factor/passkey", methods{"POST": s.beginPasskeyAssertion})
	route(mux, "/api/account/passkey-options", methods{"POST": s.beginPasskeyRegistration})
	route(mux, "/api/account/passkeys", methods{"GET": s.listPasskeys, "POST": s.finishPasskeyRegistration})
	route(mux, "/api/account/passkeys/{id}", methods{"DELETE": s.removePasskey})
}

// passkeyKey binds a ceremony to the request's session: the hex of its
// token hash, which only the cookie's holder can present.
func (s *server) passkeyKey(r *http.Request) string {
	h, ok := s.Sessions.TokenHash(r)
	if !ok {
		return ""
	}
	return hex.EncodeToString(h)
}

// passkeyDetails are the audit details of a passkey assertion: which
// credential (its ID, never its name or key) and, on failure, why.
func passkeyDetails(use auth.PasskeyUse, err error) map[string]string {
	d := map[string]string{"method": "passkey"}
	if use.CredentialID != "" {
		d["credential"] = use.CredentialID
	}
	if errors.Is(err, auth.ErrPasskeyClone) {
		d["reason"] = "sign_count"
	}
	return d
}

// secondStepMethods says what the second step may take, for the page to
// offer: the enrolled kinds, or at enrolment the kinds that can be set up.
func (s *server) secondStepMethods(r *http.Request, u store.User, stage string) []string {
	passkeys := s.Factors.PasskeysEnabled()
	if stage == store.SessionPasswordChange {
		return nil
	}
	if stage == store.SessionEnrol {
		if passkeys {
			return []string{"totp", "passkey"}
		}
		return []string{"totp"}
	}
	st, err := s.Factors.Status(r.Context(), u)
	if err != nil {
		return nil // the page then offers both; the server decides anyway
	}
	var out []string
	if st.TOTP || st.RecoveryLeft > 0 {
		out = append(out, "totp")
	}
	if st.Passkeys > 0 && passkeys {
		out = append(out, "passkey")
	}
	return out
}

// passkeysOffered tells the sign-in page to offer "Sign in with a
// passkey" (the route exists only when passkeys are on).
func (s *server) passkeysOffered(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]bool{"enabled": true})
}

// beginPasskeyAssertion asks for one of the account's passkeys: the
// second step after a password, or a fresh verification before removing
// a factor. The answer goes to POST /api/login/second-factor or with the
// removal.
func (s *server) beginPasskeyAssertion(w http.ResponseWriter, r *http.Request) {
	u, _, ok := s.pendingSession(w, r, store.SessionSecondFactor, store.SessionSignedIn)
	if !ok {
		return
	}
	if s.refuseIfLocked(w, newLoginKeys(r, u.Email)) {
		return
	}
	opts, err := s.Factors.BeginPasskeyAssertion(r.Context(), u.ID, s.passkeyKey(r))
	if s.passkeyBeginFailed(w, r, err) {
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, opts)
}

// passkeyBeginFailed answers a ceremony that could not begin.
func (s *server) passkeyBeginFailed(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, auth.ErrNoEnrolment):
		writeError(w, http.StatusConflict, "conflict", "this account has no passkey")
	case errors.Is(err, auth.ErrBusy):
		w.Header().Set("Retry-After", "10")
		writeError(w, http.StatusServiceUnavailable, "unavailable", "too many passkey sign-ins in progress; try again shortly")
	default:
		s.internalError(w, r, "begin passkey ceremony", err)
	}
	return true
}

// beginPasskeyLogin starts a passwordless sign-in: a challenge bound to a
// new pre-sign-in cookie. Refused while the address is locked out.
func (s *server) beginPasskeyLogin(w http.ResponseWriter, r *http.Request) {
	keys := loginKeys{ip: newLoginKeys(r, "").ip}
	if s.refuseIfLocked(w, keys) {
		return
	}
	token := rand.Text()
	opts, err := s.Factors.BeginPasskeyLogin(token)
	if s.passkeyBeginFailed(w, r, err) {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: passkeyCookie, Value: token, Path: "/api/login/passkey",
		MaxAge: int(auth.CeremonyTTL / time.Second), HttpOnly: true, Secure: s.Config.Secure(), SameSite: http.SameSiteStrictMode})
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, opts)
}

type passkeyLoginRequest struct {
	Credential json.RawMessage `json:"credential"`
}

// passkeyLogin completes a passwordless sign-in. Failures count against
// the address and, once the passkey names one, the account, on the same
// throttle as passwords; success gives a fully signed-in session.
func (s *server) passkeyLogin(w http.ResponseWriter, r *http.Request) {
	var req passkeyLoginRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	keys := loginKeys{ip: newLoginKeys(r, "").ip}
	if s.refuseIfLocked(w, keys) {
		return
	}
	var token string
	if c, err := r.Cookie(passkeyCookie); err == nil {
		token = c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: passkeyCookie, Path: "/api/login/passkey", MaxAge: -1, HttpOnly: true,
		Secure: s.Config.Secure(), SameSite: http.SameSiteStrictMode})
	use, err := auth.PasskeyUse{}, auth.ErrBadCode
	if token != "" {
		use, err = s.Factors.PasskeyLogin(r.Context(), token, req.Credential)
	}
	u, found := s.passkeyAccount(r, use.UserID)
	if found {
		keys.account = newLoginKeys(r, u.Email).account
	}
	if errors.Is(err, auth.ErrBadCode) {
		s.passkeyLoginFailed(w, r, keys, u.ID, passkeyDetails(use, err))
		return
	}
	if err != nil {
		s.internalError(w, r, "passkey sign-in", err)
		return
	}
	if !found || s.refuseIfLocked(w, keys) || s.refuseBlocked(w, r, u) {
		if !found {
			writeError(w, http.StatusUnauthorized, "unauthorized", "this passkey is not recognised")
		}
		return
	}
	s.LoginThrottle.Reset(keys.account)
	if !s.auditOrFail(w, r, audit.Event{Action: audit.AuthLoginSuccess, Actor: u.ID, Outcome: audit.Success,
		Details: passkeyDetails(use, nil)}) {
		return
	}
	if err := s.Sessions.Start(r.Context(), w, r, u.ID, auth.Start{Stage: store.SessionSignedIn, Method: auth.MethodPasskey}); err != nil {
		s.internalError(w, r, "create session", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, userResponse{User: toUserJSON(u)})
}

// passkeyAccount reads the account a passkey belongs to, if any.
func (s *server) passkeyAccount(r *http.Request, userID string) (store.User, bool) {
	if userID == "" {
		return store.User{}, false
	}
	u, err := s.Store.UserByID(r.Context(), userID)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.Logger.ErrorContext(r.Context(), "passkey sign-in: account lookup", "err", err)
		}
		return store.User{}, false
	}
	return u, true
}

func (s *server) passkeyLoginFailed(w http.ResponseWriter, r *http.Request, keys loginKeys, target string, details map[string]string) {
	if details["reason"] == "" {
		details["reason"] = "wrong"
	}
	s.auditOrLog(r, audit.Event{Action: audit.AuthLoginFailure, Target: target, Outcome: audit.Failure, Details: details})
	if !s.loginFailed(r, keys, target) && s.refuseIfLocked(w, keys) {
		return
	}
	writeError(w, http.StatusUnauthorized, "wrong_passkey", "the passkey was not accepted")
}

// refuseBlocked answers a disabled or restricted account as the password
// sign-in does, after the passkey proved who it is.
func (s *server) refuseBlocked(w http.ResponseWriter, r *http.Request, u store.User) bool {
	reason, code, msg := "", "", ""
	switch {
	case u.Disabled:
		reason, code, msg = "disabled", "account_disabled", "this account is disabled; ask an administrator"
	case u.Restricted:
		reason, code, msg = "restricted", "account_restricted",
			"processing of this account is restricted at your request; ask the privacy officer to lift the restriction"
	default:
		return false
	}
	s.auditOrLog(r, audit.Event{Action: audit.AuthLoginFailure, Target: u.ID, Outcome: audit.Denied,
		Details: map[string]string{"method": "passkey", "reason": reason}})
	writeError(w, http.StatusForbidden, code, msg)
	return true
}
