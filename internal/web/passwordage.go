package web

import (
	"errors"
	"net/http"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/store"
)

// The optional maximum password age (docs/security.md, "Passwords"): a
// sign-in whose password is older than password_max_age ends in a session
// that owes a new password (store.SessionPasswordChange). Like a pending
// second factor it resolves to nobody in Sessions.UserFromRequest, so
// every other API refuses it; only the route here takes it.

func (s *server) passwordAgeRoutes(mux *http.ServeMux) {
	route(mux, "/api/login/password-change", methods{"POST": s.expiredPasswordChange})
}

// expiredPasswordChange takes the current and a new password from a
// session that owes one, under the login throttle, and on success signs it
// in under a new cookie; every other session of the account ends.
func (s *server) expiredPasswordChange(w http.ResponseWriter, r *http.Request) {
	u, sess, ok := s.pendingSession(w, r, store.SessionPasswordChange)
	if !ok {
		return
	}
	if err := authz.Check(orgRole(u.Role), authz.PasswordChange, false); err != nil {
		s.auditRefusal(r, audit.Event{Action: audit.UserPasswordChange, Actor: u.ID, Outcome: audit.Denied,
			Details: map[string]string{"role": string(u.Role)}})
		writeError(w, http.StatusForbidden, "forbidden", forbidden[authz.PasswordChange])
		return
	}
	if !s.replacePassword(w, r, u, sess.TokenHash, map[string]string{"reason": "expired"}) {
		return
	}
	err := s.Sessions.Promote(r.Context(), w, r, sess, auth.Start{Stage: store.SessionSignedIn, Method: sess.Method})
	if errors.Is(err, auth.ErrNoSession) {
		writeError(w, http.StatusUnauthorized, "unauthorized", "sign in first")
		return
	}
	if err != nil {
		s.internalError(w, r, "promote session", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, userResponse{User: toUserJSON(u)})
}

// owesNewPassword answers 401 password_expired for a session that must
// choose a new password, so that the page can show that step; false
// otherwise, having written nothing.
func (s *server) owesNewPassword(w http.ResponseWriter, r *http.Request) bool {
	_, sess, ok := s.Sessions.Current(r)
	if !ok || sess.Stage != store.SessionPasswordChange {
		return false
	}
	writeError(w, http.StatusUnauthorized, "password_expired", "your password has expired: choose a new one")
	return true
}
