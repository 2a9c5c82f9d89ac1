package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/store"
)

// userRoutes are the account lifecycle: one's own password, and the
// administrators' list of accounts with disable, enable and role change.
func (s *server) userRoutes(mux *http.ServeMux) {
	route(mux, "/api/me/password", methods{"POST": s.changePassword})
	route(mux, "/api/users", methods{"GET": s.listUsers})
	route(mux, "/api/users/{id}/disable", methods{"POST": s.disableUser})
	route(mux, "/api/users/{id}/enable", methods{"POST": s.enableUser})
	route(mux, "/api/users/{id}/role", methods{"POST": s.changeRole})
	route(mux, "/api/me/profile", methods{"POST": s.changeProfile})
}

type passwordRequest struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// changePassword checks the current password under the login throttle
// (its keys: the client address and the account's e-mail), so that a
// stolen session cannot be used to guess the password faster than the
// login page allows. Every other session of the account is revoked.
func (s *server) changePassword(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.PasswordChange, audit.UserPasswordChange)
	if !ok {
		return
	}
	keep, _ := s.Sessions.TokenHash(r)
	if s.replacePassword(w, r, u, keep, nil) {
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
	}
}

// replacePassword reads a passwordRequest and changes u's password,
// keeping the session whose token hash is keep and revoking the others;
// details go into the audit entries. It answers every failure and reports
// success, leaving the answer to the caller.
func (s *server) replacePassword(w http.ResponseWriter, r *http.Request, u store.User, keep []byte, details map[string]string) bool {
	var req passwordRequest
	if !decodeJSON(w, r, &req) {
		return false
	}
	keys := newLoginKeys(r, u.Email)
	if s.refuseIfLocked(w, keys) {
		return false
	}
	err := s.Accounts.ChangePassword(r.Context(), u.ID, req.Current, req.New, keep)
	var invalid *auth.ValidationError
	switch {
	case errors.Is(err, auth.ErrBadCredentials):
		s.auditOrLog(r, audit.Event{Action: audit.UserPasswordChange, Actor: u.ID, Target: u.ID, Outcome: audit.Failure, Details: details})
		if !s.loginFailed(r, keys, u.ID) && s.refuseIfLocked(w, keys) {
			return false
		}
		writeError(w, http.StatusBadRequest, "wrong_password", "the current password is wrong")
		return false
	case errors.As(err, &invalid):
		writeError(w, http.StatusBadRequest, "bad_request", invalid.Message)
		return false
	case err != nil:
		s.internalError(w, r, "change password", err)
		return false
	}
	s.LoginThrottle.Reset(keys.account)
	// Recorded after the change: it has happened and cannot be refused
	// any more, so a lost entry is logged instead.
	s.auditOrLog(r, audit.Event{Action: audit.UserPasswordChange, Actor: u.ID, Target: u.ID, Outcome: audit.Success, Details: details})
	return true
}

type accountJSON struct {
	userJSON
	Disabled   bool      `json:"disabled"`
	Restricted bool      `json:"restricted"`
	CreatedAt  time.Time `json:"created_at"`
	// SecondFactor: the account has one; LacksFactor: its role requires
	// one and it has none (docs/security.md, "Second factors").
	SecondFactor bool `json:"second_factor"`
	LacksFactor  bool `json:"lacks_required_factor"`
}

func toAccountJSON(u store.User) accountJSON {
	return accountJSON{userJSON: toUserJSON(u), Disabled: u.Disabled, Restricted: u.Restricted, CreatedAt: u.CreatedAt}
}

// listUsers shows administrators every account. A refusal is recorded as
// a data export: the list is other people's personal data.
func (s *server) listUsers(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, authz.UserList, audit.DataExport); !ok {
		return
	}
	users, err := s.Store.ListUsers(r.Context())
	if err != nil {
		s.internalError(w, r, "list users", err)
		return
	}
	out := make([]accountJSON, 0, len(users))
	for _, u := range users {
		a := toAccountJSON(u)
		if s.Factors != nil {
			st, err := s.Factors.Status(r.Context(), u)
			if err != nil {
				s.internalError(w, r, "list users", err)
				return
			}
			a.SecondFactor, a.LacksFactor = st.HasSecondFactor(), st.Required && !st.HasSecondFactor()
		}
		out = append(out, a)
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string][]accountJSON{"users": out})
}

func (s *server) disableUser(w http.ResponseWriter, r *http.Request) {
	s.setAccess(w, r, authz.UserAccess, audit.UserDisable, func(u store.User) (store.Role, bool, bool) {
		return u.Role, true, true
	})
}

func (s *server) enableUser(w http.ResponseWriter, r *http.Request) {
	s.setAccess(w, r, authz.UserAccess, audit.UserEnable, func(u store.User) (store.Role, bool, bool) {
		return u.Role, false, true
	})
}

type roleRequest struct {
	Role string `json:"role"`
}

func (s *server) changeRole(w http.ResponseWriter, r *http.Request) {
	var req roleRequest
	s.setAccess(w, r, authz.UserRole, audit.UserRoleChange, func(u store.User) (store.Role, bool, bool) {
		if !decodeJSON(w, r, &req) {
			return "", false, false
		}
		return store.Role(req.Role), u.Disabled, true
	})
}

// setAccess authorises action, reads the target account, asks change for
// its new role and disabled state (false: change answered the request
// itself) and applies it, revoking the target's sessions.
func (s *server) setAccess(w http.ResponseWriter, r *http.Request, action authz.Action, auditAction audit.Action,
	change func(store.User) (store.Role, bool, bool)) {
	actor, ok := s.authorize(w, r, action, auditAction)
	if !ok {
		return
	}
	target, err := s.Store.UserByID(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "no such account")
		return
	}
	if err != nil {
		s.internalError(w, r, "set access", err)
		return
	}
	role, disabled, ok := change(target)
	if !ok {
		return
	}
	before, err := s.Accounts.SetAccess(r.Context(), actor.ID, target.ID, role, disabled)
	var invalid *auth.ValidationError
	switch {
	case errors.As(err, &invalid):
		writeError(w, http.StatusBadRequest, "bad_request", invalid.Message)
		return
	case errors.Is(err, auth.ErrSelfDisable):
		writeError(w, http.StatusConflict, "conflict", "you cannot disable your own account")
		return
	case errors.Is(err, store.ErrLastAdmin):
		writeError(w, http.StatusConflict, "conflict", "this is the last enabled administrator; make another account an administrator first")
		return
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such account")
		return
	case err != nil:
		s.internalError(w, r, "set access", err)
		return
	}
	// Recorded after the change, like logout: the sessions are already
	// revoked, and undoing that because the log failed would be worse.
	details := map[string]string{"role": string(role)}
	if role != before.Role {
		details["from"] = string(before.Role)
	}
	s.auditOrLog(r, audit.Event{Action: auditAction, Actor: actor.ID, Target: target.ID, Outcome: audit.Success, Details: details})
	if disabled && !before.Disabled && s.Live != nil {
		// Revoked sessions stop new requests; an open meeting connection
		// must end too.
		s.Live.DisconnectDisabled(target.ID)
	}
	target.Role, target.Disabled = role, disabled
	writeJSON(w, http.StatusOK, map[string]accountJSON{"user": toAccountJSON(target)})
}
