package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/notice"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// rightsRoutes mounts what data subjects do themselves: withdrawing
// consent, making a request about themselves (signed in) or about a
// participant ID they held (guests, with a one-time proof), and what
// officers do on their behalf beyond export and erasure: rectification
// and restriction.
func (s *server) rightsRoutes(mux *http.ServeMux) {
	if s.Notices != nil {
		route(mux, "/api/me/consents/withdraw", methods{"POST": s.withdrawConsent})
	}
	if s.Requests != nil {
		route(mux, "/api/me/requests", methods{"GET": s.myRequests, "POST": s.createMyRequest})
	}
	if s.Requests != nil && s.Privacy != nil {
		route(mux, "/api/privacy/guest-requests", methods{"POST": s.createGuestRequest})
	}
	route(mux, "/api/privacy/rectify", methods{"POST": s.rectify})
	route(mux, "/api/privacy/restrict", methods{"POST": s.restrict})
}

type withdrawRequest struct {
	Kind string `json:"kind"`
}

// withdrawConsent serves POST /api/me/consents/withdraw: the signed-in
// account withdraws its standing consents of one kind. The ledger rows get
// their withdrawal time and the consent.withdrawn entry is written with
// them, in one transaction. The answer carries the ledger as it now is.
func (s *server) withdrawConsent(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.ConsentWithdraw, audit.ConsentWithdrawn)
	if !ok {
		return
	}
	var req withdrawRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	ev := audit.Event{Action: audit.ConsentWithdrawn, Actor: u.ID, Target: u.ID, ClientAddr: clientAddr(r),
		Outcome: audit.Success, Details: map[string]string{"kind": req.Kind}}
	n, err := s.Notices.Withdraw(r.Context(), u.ID, req.Kind, ev)
	if errors.Is(err, notice.ErrUnknownKind) {
		writeError(w, http.StatusBadRequest, "bad_request", "kind must be one of "+strings.Join(notice.Kinds, ", "))
		return
	}
	if err != nil {
		s.internalError(w, r, "withdraw consent", err)
		return
	}
	if req.Kind == store.ConsentRecording && s.Live != nil {
		// Recorded now, in a meeting in another tab: not from now on.
		s.Live.WithdrawRecording(u.ID)
	}
	if w, ok := s.Live.(interface{ WithdrawTranscription(string) int }); ok && req.Kind == store.ConsentTranscription {
		w.WithdrawTranscription(u.ID) // transcribed now, in another tab: not from now on
	}
	cs, err := s.Notices.Consents(r.Context(), u.ID)
	if err != nil {
		s.internalError(w, r, "consents", err)
		return
	}
	out := make([]any, 0, len(cs))
	for _, c := range cs {
		out = append(out, notice.ExportRecord(c))
	}
	writeJSON(w, http.StatusOK, map[string]any{"withdrawn": n, "consents": out})
}

// myRequestJSON is a request as its subject sees it: without the
// officer's notes, which are the officer's working record.
type myRequestJSON struct {
	ID         int64      `json:"id"`
	Kind       string     `json:"kind"`
	ReceivedAt time.Time  `json:"received_at"`
	DueAt      time.Time  `json:"due_at"`
	Status     string     `json:"status"`
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
}

func toMyRequestJSON(sr store.SubjectRequest) myRequestJSON {
	out := myRequestJSON{ID: sr.ID, Kind: sr.Kind, ReceivedAt: sr.ReceivedAt, DueAt: sr.DueAt, Status: sr.Status}
	if !sr.ClosedAt.IsZero() {
		out.ClosedAt = &sr.ClosedAt
	}
	return out
}

// myRequests serves GET /api/me/requests: the requests recorded under the
// signed-in account's ID, whoever recorded them.
func (s *server) myRequests(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.SelfService, audit.DataExport)
	if !ok {
		return
	}
	srs, err := s.Requests.Mine(r.Context(), u.ID)
	if err != nil {
		s.internalError(w, r, "my subject requests", err)
		return
	}
	out := make([]myRequestJSON, 0, len(srs))
	for _, sr := range srs {
		out = append(out, toMyRequestJSON(sr))
	}
	writeJSON(w, http.StatusOK, map[string][]myRequestJSON{"requests": out})
}

type myRequestBody struct {
	Kind  string `json:"kind"`
	Notes string `json:"notes"`
}

// createMyRequest serves POST /api/me/requests: the signed-in account
// asks for something about itself (erasure, restriction, objection, …).
// It is not carried out here: it lands in the officers' register as an
// open request, with its deadline, for a person to answer. Erasure in
// particular is never self-service: an officer checks what must be kept
// (Art. 17(3)) and that the last officer does not erase themselves. A
// second request of a kind while one is open is refused and points at it.
func (s *server) createMyRequest(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.SelfRequest, audit.RequestCreate)
	if !ok {
		return
	}
	var body myRequestBody
	if !decodeJSON(w, r, &body) {
		return
	}
	if len(body.Notes) > privacy.MaxGuestNotes {
		writeError(w, http.StatusBadRequest, "bad_request", "notes are limited to "+strconv.Itoa(privacy.MaxGuestNotes)+" characters")
		return
	}
	notes := "Made by the account holder on their account page."
	if n := strings.TrimSpace(body.Notes); n != "" {
		notes += "\n\n" + n
	}
	n := privacy.NewRequest{Kind: body.Kind, SubjectRef: u.ID, Notes: notes}
	if err := s.Requests.Check(n); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	open, found, err := s.Requests.OpenFor(r.Context(), u.ID, body.Kind)
	if err != nil {
		s.internalError(w, r, "create my subject request", err)
		return
	}
	if found {
		writeError(w, http.StatusConflict, "conflict", "your "+open.Kind+" request #"+strconv.FormatInt(open.ID, 10)+
			" is still open; it is due by "+open.DueAt.Format(time.DateOnly))
		return
	}
	sr, err := s.Requests.Create(r.Context(), n)
	if err != nil {
		s.internalError(w, r, "create my subject request", err)
		return
	}
	ev := audit.Event{Action: audit.RequestCreate, Actor: u.ID, Target: u.ID, Outcome: audit.Success,
		Details: map[string]string{"request": strconv.FormatInt(sr.ID, 10), "kind": sr.Kind, "via": "self"}}
	if s.auditOrFail(w, r, ev) {
		writeJSON(w, http.StatusCreated, toMyRequestJSON(sr))
	}
}

type guestRequestBody struct {
	Participant string `json:"participant"`
	Proof       string `json:"proof"`
	Kind        string `json:"kind"`
	Notes       string `json:"notes"`
}

// createGuestRequest serves POST /api/privacy/guest-requests: a guest,
// who has no account, makes a data subject request about the participant
// ID they had, proving it with the one-time proof the server handed them
// in the meeting (privacy.Service.IssueGuestProof). It needs no session;
// every submission, right or wrong, counts against the client address
// (throttle.GuestRequestPolicy), and a wrong proof is not recorded in the
// audit log, which anyone could otherwise fill.
func (s *server) createGuestRequest(w http.ResponseWriter, r *http.Request) {
	if wait, _ := s.GuestThrottle.Attempt(throttle.IPKey(clientAddr(r))); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds(wait)))
		writeError(w, http.StatusTooManyRequests, "too_many_attempts", "too many requests from this address; try again later")
		return
	}
	var body guestRequestBody
	if !decodeJSON(w, r, &body) {
		return
	}
	sr, err := s.Privacy.SubmitGuestRequest(r.Context(), s.Requests, privacy.GuestRequest{
		ParticipantID: body.Participant, Proof: body.Proof, Kind: body.Kind, Notes: body.Notes})
	switch {
	case errors.Is(err, privacy.ErrBadRequest):
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	case errors.Is(err, privacy.ErrBadProof):
		writeError(w, http.StatusForbidden, "invalid_proof",
			"the proof is wrong, used or expired, or was given for another participant ID")
		return
	case err != nil:
		s.internalError(w, r, "guest subject request", err)
		return
	}
	ev := audit.Event{Action: audit.RequestCreate, Actor: sr.SubjectRef, Target: sr.SubjectRef, Outcome: audit.Success,
		Details: map[string]string{"request": strconv.FormatInt(sr.ID, 10), "kind": sr.Kind, "via": "guest_proof"}}
	if s.auditOrFail(w, r, ev) {
		writeJSON(w, http.StatusCreated, toMyRequestJSON(sr))
	}
}
