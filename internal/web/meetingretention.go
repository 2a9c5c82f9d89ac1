package web

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/retention"
	"github.com/conclave-meet/conclave/internal/store"
)

// retentionJSON is GET and PUT /api/meetings/{id}/retention's answer:
// the meeting's own periods, the periods in effect for it, and the limits
// a host may choose within. Periods are Go durations ("48h").
type retentionJSON struct {
	Meeting   string            `json:"meeting"`
	Overrides map[string]string `json:"overrides"`
	Effective map[string]string `json:"effective"`
	Limits    map[string]string `json:"limits"`
}

// hostMeeting returns the meeting at {id} when the permission table lets
// the account manage meeting retention and the account hosts the meeting.
// Anyone else is told it does not exist, so that the endpoint does not
// reveal which IDs are meetings; a non-host asking for a real meeting is
// recorded as denied, so that probing shows in the log.
func (s *server) hostMeeting(w http.ResponseWriter, r *http.Request) (store.User, store.Meeting, bool) {
	u, ok := s.authorize(w, r, authz.MeetingRetention, audit.SettingsChange)
	if !ok {
		return u, store.Meeting{}, false
	}
	m, ok := s.ownMeeting(w, r, u, false, audit.Event{Action: audit.SettingsChange,
		Details: map[string]string{"what": "meeting_retention", "reason": "not_host"}})
	return u, m, ok
}

func (s *server) getMeetingRetention(w http.ResponseWriter, r *http.Request) {
	if _, m, ok := s.hostMeeting(w, r); ok {
		s.writeMeetingRetention(w, r, m.ID)
	}
}

// putMeetingRetention replaces the meeting's own periods with the body's,
// e.g. {"recording":"48h","chat":"2h"}; a category left out follows the
// organisation again. Every period is checked against the limits first,
// so a refused request changes nothing.
func (s *server) putMeetingRetention(w http.ResponseWriter, r *http.Request) {
	u, m, ok := s.hostMeeting(w, r)
	if !ok {
		return
	}
	var body map[string]string
	if !decodeJSON(w, r, &body) {
		return
	}
	periods, msg := s.parseOverrides(body)
	if msg != "" {
		writeError(w, http.StatusBadRequest, "bad_request", msg)
		return
	}
	if err := s.Store.SetMeetingRetention(r.Context(), m.ID, periods); err != nil {
		s.internalError(w, r, "set meeting retention", err)
		return
	}
	details := map[string]string{"retention": "organisation"}
	if len(periods) > 0 {
		details = map[string]string{}
		for cat, d := range periods {
			details["retention_"+cat] = durationText(d)
		}
	}
	// The change is made; if it cannot be recorded the caller is told it
	// failed, as for every other audited change.
	if s.auditOrFail(w, r, audit.Event{Action: audit.SettingsChange, Actor: u.ID, Meeting: m.ID,
		Outcome: audit.Success, Details: details}) {
		s.writeMeetingRetention(w, r, m.ID)
	}
}

// parseOverrides checks every category and period of a PUT body; it
// returns a message naming the first problem.
func (s *server) parseOverrides(body map[string]string) (map[string]time.Duration, string) {
	pol := retention.FromConfig(s.Config.Privacy)
	out := map[string]time.Duration{}
	for _, cat := range slices.Sorted(maps.Keys(body)) {
		d, err := time.ParseDuration(strings.TrimSpace(body[cat]))
		if err != nil {
			return nil, "retention for " + cat + " must be a duration such as \"720h\""
		}
		if err := pol.CheckOverride(privacy.Category(cat), d); err != nil {
			return nil, strings.TrimPrefix(err.Error(), retention.ErrOverride.Error()+": ")
		}
		out[cat] = d
	}
	return out, ""
}

func (s *server) writeMeetingRetention(w http.ResponseWriter, r *http.Request, id string) {
	own, err := s.Store.MeetingRetention(r.Context(), id)
	if err != nil {
		s.internalError(w, r, "meeting retention", err)
		return
	}
	pol := retention.FromConfig(s.Config.Privacy)
	out := retentionJSON{Meeting: id, Overrides: map[string]string{}, Effective: map[string]string{}, Limits: map[string]string{}}
	for _, cat := range retention.Overridable {
		c := string(cat)
		out.Limits[c] = durationText(pol.Limits[cat])
		out.Effective[c] = durationText(pol.Periods[cat])
		if d, ok := own[c]; ok {
			out.Overrides[c] = durationText(d)
			out.Effective[c] = durationText(d)
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// durationText writes d the way it is typed: "720h", not "720h0m0s".
func durationText(d time.Duration) string { return strings.TrimSuffix(d.String(), "0m0s") }
