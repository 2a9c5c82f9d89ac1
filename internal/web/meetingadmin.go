package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
)

// LiveMeetings ends live meetings; room.Manager implements it.
type LiveMeetings interface {
	// EndMeeting disconnects everyone in the meeting, telling them it
	// ended, and reports whether it was live.
	EndMeeting(id string) bool
	// DisconnectDisabled ends a disabled account's presence in every live
	// meeting, telling its connections why, and reports how many there
	// were.
	DisconnectDisabled(userID string) int
	// WithdrawRecording leaves the account out of every running
	// recording from now on (its recording consent was withdrawn).
	WithdrawRecording(userID string) int
}

// managedMeeting returns the meeting at {id} when the permission table lets
// the account perform action and the account hosts the meeting or may act
// on any (authz.MeetingAny). Anyone else is told it does not exist, as for
// retention (hostMeeting); a refusal for a real meeting is recorded as
// denied under auditAction.
func (s *server) managedMeeting(w http.ResponseWriter, r *http.Request, action authz.Action, auditAction audit.Action) (store.User, store.Meeting, bool) {
	u, ok := s.authorize(w, r, action, auditAction)
	if !ok {
		return u, store.Meeting{}, false
	}
	m, ok := s.ownMeeting(w, r, u, true, audit.Event{Action: auditAction, Details: map[string]string{"reason": "not_host"}})
	return u, m, ok
}

// ownMeeting looks up the meeting at {id} for u, who must host it (or,
// with anyHost, may act on any meeting: authz.MeetingAny). A missing
// meeting and someone else's are answered alike, not_found, so that the
// API does not reveal which IDs are meetings; a refusal for a real meeting
// is recorded (refusal, with actor and meeting filled in) so that probing
// shows in the log.
func (s *server) ownMeeting(w http.ResponseWriter, r *http.Request, u store.User, anyHost bool, refusal audit.Event) (store.Meeting, bool) {
	id, err := meeting.NormalizeID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", "no such meeting")
		return store.Meeting{}, false
	}
	m, err := s.Store.MeetingByID(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such meeting")
		return m, false
	case err != nil:
		s.internalError(w, r, "meeting lookup", err)
		return m, false
	case m.HostID != u.ID && (!anyHost || authz.Check(orgRole(u.Role), authz.MeetingAny, false) != nil):
		refusal.Actor, refusal.Meeting, refusal.Outcome = u.ID, m.ID, audit.Denied
		s.auditRefusal(r, refusal)
		writeError(w, http.StatusNotFound, "not_found", "no such meeting")
		return m, false
	}
	return m, true
}

// regeneratePasscode answers POST /api/meetings/{id}/passcode: the meeting
// gets a new passcode, and links and passcodes given out before stop
// admitting. People already in the meeting stay.
func (s *server) regeneratePasscode(w http.ResponseWriter, r *http.Request) {
	u, m, ok := s.managedMeeting(w, r, authz.MeetingPasscode, audit.MeetingPasscodeRegenerate)
	if !ok {
		return
	}
	m, err := s.Meetings.RegeneratePasscode(r.Context(), m.ID)
	if errors.Is(err, store.ErrNotFound) { // deleted meanwhile
		writeError(w, http.StatusNotFound, "not_found", "no such meeting")
		return
	}
	if err != nil {
		s.internalError(w, r, "regenerate passcode", err)
		return
	}
	// The passcode is a secret: the entry says that it changed, not to what.
	if !s.auditOrFail(w, r, audit.Event{Action: audit.MeetingPasscodeRegenerate, Actor: u.ID, Meeting: m.ID,
		Outcome: audit.Success}) {
		return
	}
	emails, err := s.newEmailCache().emails(r.Context(), m.Cohosts)
	if err != nil {
		s.internalError(w, r, "regenerate passcode", err)
		return
	}
	writeJSON(w, http.StatusOK, s.toMeetingJSON(m, emails))
}

// deleteMeeting answers DELETE /api/meetings/{id}: a live meeting is ended
// first, so nobody stays in a meeting that no longer exists, and its data
// is erased through the privacy registry's meeting kind, the path
// retention expiry takes, so that the same rows and key go.
func (s *server) deleteMeeting(w http.ResponseWriter, r *http.Request) {
	u, m, ok := s.managedMeeting(w, r, authz.MeetingDelete, audit.MeetingDelete)
	if !ok {
		return
	}
	data, ok := s.Store.(privacy.MeetingStore)
	if !ok {
		s.internalError(w, r, "delete meeting", errors.New("the store cannot delete meetings"))
		return
	}
	// Deleted first: a join racing the deletion then finds no meeting
	// rather than a live room whose meeting is gone.
	erased, err := privacy.MeetingKind{Store: data}.DeleteMeeting(r.Context(), m.ID)
	if err != nil {
		s.internalError(w, r, "delete meeting", err)
		return
	}
	live := false
	if s.Live != nil {
		live = s.Live.EndMeeting(m.ID)
	}
	if !s.auditOrFail(w, r, audit.Event{Action: audit.MeetingDelete, Actor: u.ID, Meeting: m.ID, Outcome: audit.Success,
		Details: map[string]string{"deleted": strconv.Itoa(erased.Deleted), "shredded": strconv.Itoa(erased.Shredded),
			"ended_live": strconv.FormatBool(live)}}) {
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
