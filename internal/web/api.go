package web

import (
	"errors"
	"net/http"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/store"
)

type userJSON struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Role  string `json:"role"`
}

func toUserJSON(u store.User) userJSON {
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Role: string(u.Role)}
}

type userResponse struct {
	User userJSON `json:"user"`
}

func (s *server) setupStatus(w http.ResponseWriter, r *http.Request) {
	needed, err := s.Setup.Needed(r.Context())
	if err != nil {
		s.internalError(w, r, "setup status", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"needed": needed})
}

type setupRequest struct {
	Token    string `json:"token"`
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

func (s *server) setupComplete(w http.ResponseWriter, r *http.Request) {
	var req setupRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	u, err := s.Setup.CompleteSetup(r.Context(), req.Token, req.Email, req.Name, req.Password)
	var invalid *auth.ValidationError
	switch {
	case errors.Is(err, auth.ErrSetupDone):
		// Not recorded: anyone could fill the log with these forever.
		writeError(w, http.StatusConflict, "conflict", "setup is already complete; sign in instead")
		return
	case errors.Is(err, auth.ErrBadSetupToken):
		s.auditOrLog(r, audit.Event{Action: audit.AuthSetup, Outcome: audit.Failure})
		writeError(w, http.StatusUnauthorized, "unauthorized", "the setup link is wrong, used or expired; restart the server for a new one")
		return
	case errors.As(err, &invalid):
		writeError(w, http.StatusBadRequest, "bad_request", invalid.Message)
		return
	case err != nil:
		s.internalError(w, r, "complete setup", err)
		return
	}
	s.Logger.InfoContext(r.Context(), "first admin created", "user_id", u.ID)
	ev := audit.Event{Action: audit.AuthSetup, Actor: u.ID, Target: u.ID, Outcome: audit.Success,
		Details: map[string]string{"role": string(u.Role)}}
	if s.auditOrFail(w, r, ev) {
		// An administrator's role requires a second factor by default:
		// the session then only enrols one (the setup walk-through).
		s.startStagedSession(w, r, u, auth.MethodSetup, http.StatusCreated)
	}
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (s *server) login(w http.ResponseWriter, r *http.Request) {
	var req loginRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	keys := newLoginKeys(r, req.Email)
	if s.refuseIfLocked(w, keys) {
		return // before the password check: a locked-out guess learns nothing
	}
	u, err := s.Accounts.Login(r.Context(), req.Email, req.Password)
	if errors.Is(err, auth.ErrBadCredentials) {
		target := s.triedAccount(r, req.Email)
		s.auditOrLog(r, audit.Event{Action: audit.AuthLoginFailure, Target: target, Outcome: audit.Failure})
		if !s.loginFailed(r, keys, target) && s.refuseIfLocked(w, keys) {
			return // locked by a parallel attempt: answer as a right password would be
		}
		writeError(w, http.StatusUnauthorized, "unauthorized", "wrong e-mail or password")
		return
	}
	if errors.Is(err, auth.ErrAccountDisabled) {
		// Only said after the password matched, so it reveals nothing to
		// someone guessing; not counted as a failure for the same reason.
		s.auditOrLog(r, audit.Event{Action: audit.AuthLoginFailure, Target: s.triedAccount(r, req.Email),
			Outcome: audit.Denied, Details: map[string]string{"reason": "disabled"}})
		writeError(w, http.StatusForbidden, "account_disabled", "this account is disabled; ask an administrator")
		return
	}
	if errors.Is(err, auth.ErrAccountRestricted) {
		// As for a disabled account: said only after the right password.
		s.auditOrLog(r, audit.Event{Action: audit.AuthLoginFailure, Target: s.triedAccount(r, req.Email),
			Outcome: audit.Denied, Details: map[string]string{"reason": "restricted"}})
		writeError(w, http.StatusForbidden, "account_restricted",
			"processing of this account is restricted at your request; ask the privacy officer to lift the restriction")
		return
	}
	if err != nil {
		s.internalError(w, r, "login", err)
		return
	}
	// Checked again: guesses sent in parallel all pass the first check
	// while their hashes are computed, and must not get past a lock-out
	// that the wrong ones among them set meanwhile.
	if s.refuseIfLocked(w, keys) {
		return
	}
	s.LoginThrottle.Reset(keys.account) // not the address: it may be shared with a guesser
	// Recorded before the session exists: no session without an entry.
	// A session that still owes a second factor can do nothing else
	// (Sessions.UserFromRequest); the entry says which step this was.
	if s.auditOrFail(w, r, audit.Event{Action: audit.AuthLoginSuccess, Actor: u.ID, Outcome: audit.Success,
		Details: map[string]string{"method": auth.MethodPassword}}) {
		s.startStagedSession(w, r, u, auth.MethodPassword, http.StatusOK)
	}
}

// triedAccount names the account a failed login tried, for the audit
// entry only, or "" for an unknown address. It runs for known and unknown
// addresses alike, so it does not make them differ in timing.
func (s *server) triedAccount(r *http.Request, email string) string {
	id, err := s.Accounts.AccountID(r.Context(), email)
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "failed login: account lookup", "err", err)
	}
	return id
}

// logout revokes first and records afterwards: refusing to end a session
// because the log is unavailable would leave the session open, so a lost
// entry is logged instead.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	u, _, signedIn := s.Sessions.Current(r) // pending sessions sign out too
	if err := s.Sessions.Revoke(r.Context(), w, r); err != nil {
		s.internalError(w, r, "logout", err)
		return
	}
	if signedIn {
		s.auditOrLog(r, audit.Event{Action: audit.AuthLogout, Actor: u.ID, Outcome: audit.Success})
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// requireUser returns the signed-in user or answers 401.
func (s *server) requireUser(w http.ResponseWriter, r *http.Request) (store.User, bool) {
	u, ok := s.Sessions.UserFromRequest(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "unauthorized", "sign in first")
	}
	return u, ok
}

// meResponse is GET /api/me: the user, and the meeting options the
// organisation locked (the meeting form disables them; the server refuses
// them either way).
type meResponse struct {
	User      userJSON `json:"user"`
	OrgLocked []string `json:"org_locked,omitempty"`
	// Recording: the organisation allows recording, so a meeting may be
	// made recordable (each participant is still asked).
	Recording bool `json:"recording"`
	// Transcription: the organisation allows transcription, so a meeting
	// may be made transcribable (each participant is still asked).
	Transcription bool `json:"transcription"`
	// MaxParticipants: the organisation's cap on a meeting's own limit
	// (config max_participants), shown on the meeting form so that a
	// host sees it before the server refuses more; 0 when none.
	MaxParticipants int `json:"max_participants,omitempty"`
}

func (s *server) me(w http.ResponseWriter, r *http.Request) {
	if s.owesNewPassword(w, r) {
		return
	}
	if u, ok := s.requireUser(w, r); ok {
		resp := meResponse{User: toUserJSON(u)}
		if s.Meetings != nil && s.Meetings.Policy.LockScreenShare {
			resp.OrgLocked = append(resp.OrgLocked, "screen_share")
		}
		if s.Meetings != nil && s.Meetings.Policy.RequireE2EE {
			resp.OrgLocked = append(resp.OrgLocked, "e2ee")
		}
		resp.Recording = s.Meetings != nil && s.Meetings.Policy.Recording
		resp.Transcription = s.Meetings != nil && s.Meetings.Policy.Transcription
		if s.Meetings != nil {
			resp.MaxParticipants = s.Meetings.Policy.MaxParticipants
		}
		writeJSON(w, http.StatusOK, resp)
	}
}

func (s *server) listMeetings(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.SelfService, audit.DataExport)
	if !ok {
		return
	}
	ms, err := s.Meetings.ListByHost(r.Context(), u.ID)
	if err != nil {
		s.internalError(w, r, "list meetings", err)
		return
	}
	out := make([]meetingJSON, 0, len(ms))
	cache := s.newEmailCache()
	for _, m := range ms {
		cohosts, err := cache.emails(r.Context(), m.Cohosts)
		if err != nil {
			s.internalError(w, r, "list meetings", err)
			return
		}
		out = append(out, s.toMeetingJSON(m, cohosts))
	}
	writeJSON(w, http.StatusOK, map[string][]meetingJSON{"meetings": out})
}

func (s *server) createMeeting(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.MeetingCreate, audit.MeetingCreate)
	if !ok {
		return
	}
	var req createMeetingRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	opts, cohosts, err := s.options(r.Context(), req)
	var m store.Meeting
	if err == nil {
		m, err = s.Meetings.Create(r.Context(), u.ID, opts)
	}
	if badMeetingRequest(w, err) {
		return
	}
	if err != nil {
		s.internalError(w, r, "create meeting", err)
		return
	}
	if s.auditOrFail(w, r, audit.Event{Action: audit.MeetingCreate, Actor: u.ID, Meeting: m.ID, Outcome: audit.Success}) {
		writeJSON(w, http.StatusCreated, s.toMeetingJSON(m, cohosts))
	}
}
