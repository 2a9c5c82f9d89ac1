package web

import (
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// joinInfoRequest is the body of POST /api/meetings/{id}/join-info. The
// passcode travels in the body, never in the URL, so that it stays out of
// access logs and browser history.
type joinInfoRequest struct {
	Passcode string `json:"passcode"`
}

// joinInfoResponse is what the pre-join screen may know before anyone
// enters: whether the meeting is end-to-end encrypted (docs/e2ee.md,
// "Before joining") and whether it is marked sensitive. Nothing else: not
// the title, not who is there.
type joinInfoResponse struct {
	E2EE      bool `json:"e2ee"`
	Sensitive bool `json:"sensitive"`
}

// joinInfo answers the pre-join screen for someone holding the meeting ID
// and passcode, as a join would (meeting.Service.Authorize). Without the
// passcode it reveals nothing: an unknown meeting and a wrong passcode get
// the same 404, and both count against the passcode throttle that the
// signalling join shares (Options.Passcodes), so this cannot be used to
// guess passcodes faster than joining can. Like a join, it says that a
// meeting has expired only to someone with its passcode.
func (s *server) joinInfo(w http.ResponseWriter, r *http.Request) {
	if s.Meetings == nil {
		writeError(w, http.StatusNotFound, "not_found", "no such API endpoint")
		return
	}
	var req joinInfoRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	id := r.PathValue("id")
	key := id
	if norm, err := meeting.NormalizeID(id); err == nil {
		key = norm
	}
	keys := []string{throttle.IPKey(clientAddr(r)), throttle.MeetingKey(key)}
	if s.passcodesLocked(w, keys) {
		return
	}
	m, err := s.Meetings.Authorize(r.Context(), id, req.Passcode)
	switch {
	case errors.Is(err, meeting.ErrMeetingExpired):
		writeError(w, http.StatusGone, "meeting_expired", "this meeting has ended")
		return
	case errors.Is(err, meeting.ErrJoinRefused):
		s.auditRefusal(r, audit.Event{Action: audit.MeetingJoinRefused, Meeting: key, Outcome: audit.Failure,
			Details: map[string]string{"step": "join_info"}})
		locked := s.Passcodes.Fail(keys...)
		for _, k := range locked {
			s.auditOrLog(r, audit.Event{Action: audit.MeetingJoinLockout, Meeting: key, Outcome: audit.Denied,
				Details: map[string]string{"scope": throttle.Scope(k)}})
		}
		others := slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return slices.Contains(locked, k) })
		if s.passcodesLocked(w, others) {
			return
		}
		writeError(w, http.StatusNotFound, "join_refused", "no meeting with this ID and passcode")
		return
	case err != nil:
		s.internalError(w, r, "join info", err)
		return
	}
	// Looked at again once the passcode is known, as a join does: a
	// lock-out that parallel wrong guesses set meanwhile refuses this too.
	if s.passcodesLocked(w, keys) {
		return
	}
	writeJSON(w, http.StatusOK, joinInfoResponse{E2EE: m.E2EE, Sensitive: m.Sensitive})
}

// passcodesLocked answers 429 while the address or the meeting is locked
// out by wrong passcodes.
func (s *server) passcodesLocked(w http.ResponseWriter, keys []string) bool {
	wait := s.Passcodes.Check(keys...)
	if wait <= 0 {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
	writeError(w, http.StatusTooManyRequests, "too_many_attempts", "too many wrong passcodes; try again later")
	return true
}
