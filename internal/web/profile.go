package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
)

type profileRequest struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	// Password is required when the e-mail address changes (see
	// changeProfile).
	Password string `json:"password"`
}

// changeProfile serves POST /api/me/profile: a signed-in person corrects
// their own name and e-mail address (rectification, Art. 16). A new
// e-mail address needs the current password, checked under the login
// throttle as a password change is: the address is what the person signs
// in with, and a stolen session must not be able to take the account over
// by changing it. Sessions stay: it is the same person.
func (s *server) changeProfile(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.ProfileChange, audit.UserProfileChange)
	if !ok {
		return
	}
	var req profileRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.Email != "" {
		email, err := auth.NormalizeEmail(req.Email)
		if badProfile(w, err) {
			return
		}
		if email != u.Email && !s.checkProfilePassword(w, r, u, req.Password) {
			return
		}
	}
	change, err := s.Accounts.UpdateProfile(r.Context(), u.ID, auth.Profile{Name: req.Name, Email: req.Email})
	if badProfile(w, err) {
		return
	}
	if err != nil {
		s.internalError(w, r, "change profile", err)
		return
	}
	// Recorded after the change, like a password change: it has happened.
	s.auditOrLog(r, audit.Event{Action: audit.UserProfileChange, Actor: u.ID, Target: u.ID, Outcome: audit.Success,
		Details: map[string]string{"fields": strings.Join(change.Fields, ",")}})
	writeJSON(w, http.StatusOK, userResponse{User: toUserJSON(change.After)})
}

// checkProfilePassword answers the request itself and returns false when
// the password is missing, wrong or locked out.
func (s *server) checkProfilePassword(w http.ResponseWriter, r *http.Request, u store.User, password string) bool {
	if password == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "password: give your password to change your e-mail address")
		return false
	}
	keys := newLoginKeys(r, u.Email)
	if s.refuseIfLocked(w, keys) {
		return false
	}
	err := s.Accounts.CheckPassword(r.Context(), u.ID, password)
	if errors.Is(err, auth.ErrBadCredentials) {
		s.auditOrLog(r, audit.Event{Action: audit.UserProfileChange, Actor: u.ID, Target: u.ID, Outcome: audit.Failure,
			Details: map[string]string{"reason": "wrong_password"}})
		if !s.loginFailed(r, keys, u.ID) && s.refuseIfLocked(w, keys) {
			return false
		}
		writeError(w, http.StatusBadRequest, "wrong_password", "the password is wrong")
		return false
	}
	if err != nil {
		s.internalError(w, r, "change profile", err)
		return false
	}
	s.LoginThrottle.Reset(keys.account)
	return true
}

// badProfile answers the errors a profile change can meet on the
// caller's side and returns true when it did.
func badProfile(w http.ResponseWriter, err error) bool {
	var invalid *auth.ValidationError
	switch {
	case errors.As(err, &invalid):
		writeError(w, http.StatusBadRequest, "bad_request", invalid.Field+": "+invalid.Message)
	case errors.Is(err, auth.ErrNoChange):
		writeError(w, http.StatusBadRequest, "bad_request", "nothing to change: the name and e-mail address are as given")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", "another account has this e-mail address")
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such account")
	default:
		return false
	}
	return true
}

type rectifyRequest struct {
	Subject string `json:"subject"`
	Name    string `json:"name"`
	Email   string `json:"email"`
	// Request is the register number of the request this answers; 0 when
	// none.
	Request int64 `json:"request"`
}

// rectify serves POST /api/privacy/rectify: a privacy officer (or an
// administrator) corrects another account's name or e-mail address on
// the person's request. The audit entry names the account and the
// request, never the old or new values.
func (s *server) rectify(w http.ResponseWriter, r *http.Request) {
	officer, ok := s.authorize(w, r, authz.DataRectify, audit.DataRectify)
	if !ok {
		return
	}
	var req rectifyRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if !s.accountSubject(w, req.Subject, "corrected") || !s.knownRequest(w, r, req.Request) {
		return
	}
	if req.Subject == officer.ID {
		writeError(w, http.StatusConflict, "conflict", "correct your own details on your account page")
		return
	}
	change, err := s.Accounts.UpdateProfile(r.Context(), req.Subject, auth.Profile{Name: req.Name, Email: req.Email})
	if badProfile(w, err) {
		return
	}
	if err != nil {
		s.internalError(w, r, "rectify account", err)
		return
	}
	details := map[string]string{"fields": strings.Join(change.Fields, ",")}
	if req.Request > 0 {
		details["request"] = strconv.FormatInt(req.Request, 10)
	}
	s.auditOrLog(r, audit.Event{Action: audit.DataRectify, Actor: officer.ID, Target: req.Subject, Outcome: audit.Success, Details: details})
	writeJSON(w, http.StatusOK, map[string]accountJSON{"user": toAccountJSON(change.After)})
}

type restrictRequest struct {
	Subject    string `json:"subject"`
	Restricted bool   `json:"restricted"`
	Request    int64  `json:"request"`
}

// restrict serves POST /api/privacy/restrict: a privacy officer (or an
// administrator) restricts an account's processing (Art. 18) or lifts the
// restriction. A restricted account keeps its data but cannot sign in;
// its sessions end and its live meeting connections are closed at once,
// as when it is disabled.
func (s *server) restrict(w http.ResponseWriter, r *http.Request) {
	officer, ok := s.authorize(w, r, authz.DataRestrict, audit.DataRestrict)
	if !ok {
		return
	}
	var req restrictRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if !s.accountSubject(w, req.Subject, "restricted") || !s.knownRequest(w, r, req.Request) {
		return
	}
	before, err := s.Accounts.SetRestricted(r.Context(), officer.ID, req.Subject, req.Restricted)
	switch {
	case errors.Is(err, auth.ErrSelfRestrict):
		writeError(w, http.StatusConflict, "conflict", "you cannot restrict your own account; ask another officer")
		return
	case errors.Is(err, store.ErrLastAdmin):
		writeError(w, http.StatusConflict, "conflict", "this is the last enabled administrator; make another account an administrator first")
		return
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such account")
		return
	case err != nil:
		s.internalError(w, r, "restrict account", err)
		return
	}
	details := map[string]string{"restricted": strconv.FormatBool(req.Restricted)}
	if req.Request > 0 {
		details["request"] = strconv.FormatInt(req.Request, 10)
	}
	// Recorded after the change, like a disable: the sessions are gone.
	s.auditOrLog(r, audit.Event{Action: audit.DataRestrict, Actor: officer.ID, Target: req.Subject, Outcome: audit.Success, Details: details})
	if req.Restricted && !before.Restricted && s.Live != nil {
		s.Live.DisconnectDisabled(req.Subject)
	}
	after := before
	after.Restricted = req.Restricted
	writeJSON(w, http.StatusOK, map[string]accountJSON{"user": toAccountJSON(after)})
}

// accountSubject answers 400 and returns false unless id is an account
// ID: guests have no account whose details could be corrected, and
// nothing about them is processed beyond the audit log and the ledger.
func (s *server) accountSubject(w http.ResponseWriter, id, what string) bool {
	if privacy.CheckSubject(id) != nil || !audit.ValidSubject(id) {
		writeError(w, http.StatusBadRequest, "bad_request", "subject must be an account ID (u_…)")
		return false
	}
	if !strings.HasPrefix(id, "u_") {
		writeError(w, http.StatusBadRequest, "bad_request", "only accounts can be "+what+"; a guest's participant ID names no stored name or e-mail address")
		return false
	}
	return true
}

// knownRequest answers 400 and returns false when id (0: none) is not a
// request in the register, so that the audit entry never cites a request
// that does not exist.
func (s *server) knownRequest(w http.ResponseWriter, r *http.Request, id int64) bool {
	if id == 0 || s.Requests == nil {
		return true
	}
	all, err := s.Requests.List(r.Context(), false)
	if err != nil {
		s.internalError(w, r, "find subject request", err)
		return false
	}
	for _, sr := range all {
		if sr.ID == id {
			return true
		}
	}
	writeError(w, http.StatusBadRequest, "bad_request", "request: no request with this number in the register")
	return false
}
