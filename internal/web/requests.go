package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
)

type requestJSON struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	SubjectRef string     `json:"subject_ref"`
	ReceivedAt time.Time  `json:"received_at"`
	DueAt      time.Time  `json:"due_at"`
	Status     string     `json:"status"`
	ClosedAt   *time.Time `json:"closed_at"`
	Notes      string     `json:"notes"`
	// DaysLeft counts whole days to the deadline, negative when overdue.
	DaysLeft int  `json:"days_left"`
	Overdue  bool `json:"overdue"`
}

func toRequestJSON(sr store.SubjectRequest, now time.Time) requestJSON {
	out := requestJSON{ID: sr.ID, Kind: sr.Kind, SubjectRef: sr.SubjectRef, ReceivedAt: sr.ReceivedAt,
		DueAt: sr.DueAt, Status: sr.Status, Notes: sr.Notes, DaysLeft: privacy.DaysLeft(sr.DueAt, now),
		Overdue: sr.Status == store.RequestOpen && sr.DueAt.Before(now)}
	if !sr.ClosedAt.IsZero() {
		out.ClosedAt = &sr.ClosedAt
	}
	return out
}

type requestListResponse struct {
	Requests []requestJSON    `json:"requests"`
	Reminder privacy.Reminder `json:"reminder"`
}

// now is the request register's clock, so that days left agree with it.
func (s *server) requestsNow() time.Time {
	if s.Requests.Now != nil {
		return s.Requests.Now().UTC()
	}
	return time.Now().UTC()
}

// listRequests serves GET /api/privacy/requests (open ones; ?all=1 for
// every one) with the reminder the home page shows.
func (s *server) listRequests(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, authz.SubjectRequests, audit.RequestCreate); !ok {
		return
	}
	all := r.URL.Query().Get("all") == "1"
	srs, err := s.Requests.List(r.Context(), !all)
	var rem privacy.Reminder
	if err == nil {
		rem, err = s.Requests.Remind(r.Context())
	}
	if err != nil {
		s.internalError(w, r, "list subject requests", err)
		return
	}
	now := s.requestsNow()
	resp := requestListResponse{Requests: make([]requestJSON, 0, len(srs)), Reminder: rem}
	for _, sr := range srs {
		resp.Requests = append(resp.Requests, toRequestJSON(sr, now))
	}
	writeJSON(w, http.StatusOK, resp)
}

type createRequestBody struct {
	Kind       string    `json:"kind"`
	SubjectRef string    `json:"subject_ref"`
	ReceivedAt time.Time `json:"received_at"`
	Notes      string    `json:"notes"`
}

// createRequest serves POST /api/privacy/requests. The entry names the
// subject only when the reference is a subject ID: a free-text reference
// may hold a name, which must stay out of the chain.
func (s *server) createRequest(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.SubjectRequests, audit.RequestCreate)
	if !ok {
		return
	}
	var body createRequestBody
	if !decodeJSON(w, r, &body) {
		return
	}
	sr, err := s.Requests.Create(r.Context(), privacy.NewRequest{
		Kind: body.Kind, SubjectRef: body.SubjectRef, ReceivedAt: body.ReceivedAt, Notes: body.Notes})
	if errors.Is(err, privacy.ErrBadRequest) {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	if err != nil {
		s.internalError(w, r, "create subject request", err)
		return
	}
	ev := audit.Event{Action: audit.RequestCreate, Actor: u.ID, Outcome: audit.Success,
		Details: map[string]string{"request": strconv.FormatInt(sr.ID, 10), "kind": sr.Kind}}
	if audit.ValidSubject(sr.SubjectRef) {
		ev.Target = sr.SubjectRef
	}
	if s.auditOrFail(w, r, ev) {
		writeJSON(w, http.StatusCreated, toRequestJSON(sr, s.requestsNow()))
	}
}

type closeRequestBody struct {
	Status string `json:"status"`
	Notes  string `json:"notes"`
}

// closeRequest serves POST /api/privacy/requests/{id}/close.
func (s *server) closeRequest(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.SubjectRequests, audit.RequestClose)
	if !ok {
		return
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "not_found", "no such request")
		return
	}
	var body closeRequestBody
	if !decodeJSON(w, r, &body) {
		return
	}
	sr, err := s.Requests.Close(r.Context(), id, body.Status, body.Notes)
	switch {
	case errors.Is(err, privacy.ErrBadRequest):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no open request with this ID")
		return
	case err != nil:
		s.internalError(w, r, "close subject request", err)
		return
	}
	ev := audit.Event{Action: audit.RequestClose, Actor: u.ID, Outcome: audit.Success,
		Details: map[string]string{"request": strconv.FormatInt(sr.ID, 10), "status": sr.Status}}
	if audit.ValidSubject(sr.SubjectRef) {
		ev.Target = sr.SubjectRef
	}
	if s.auditOrFail(w, r, ev) {
		writeJSON(w, http.StatusOK, toRequestJSON(sr, s.requestsNow()))
	}
}
