package web

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
)

// subjectRequest names a data subject by ID or by account e-mail.
type subjectRequest struct {
	Subject string `json:"subject"`
	Email   string `json:"email"`
	Confirm bool   `json:"confirm"`
}

// resolveSubject turns the request into a subject ID, answering 400 or 404
// itself when it cannot.
func (s *server) resolveSubject(w http.ResponseWriter, r *http.Request, req subjectRequest) (privacy.Subject, bool) {
	if (req.Subject == "") == (req.Email == "") {
		writeError(w, http.StatusBadRequest, "bad_request", "give either subject (u_… or p_…) or email")
		return privacy.Subject{}, false
	}
	if req.Subject != "" {
		if privacy.CheckSubject(req.Subject) != nil || !audit.ValidSubject(req.Subject) {
			writeError(w, http.StatusBadRequest, "bad_request", "subject must be an account (u_…) or participant (p_…) ID")
			return privacy.Subject{}, false
		}
		return privacy.Subject{ID: req.Subject}, true
	}
	u, err := s.Store.UserByEmail(r.Context(), strings.ToLower(strings.TrimSpace(req.Email)))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "no account has this e-mail address")
		return privacy.Subject{}, false
	}
	if err != nil {
		s.internalError(w, r, "resolve subject", err)
		return privacy.Subject{}, false
	}
	return privacy.Subject{ID: u.ID}, true
}

// privacyExport serves POST /api/privacy/export: everything held on a
// person, for a privacy officer answering an access request.
func (s *server) privacyExport(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.DataExport, audit.DataExport)
	if !ok {
		return
	}
	var req subjectRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	subj, ok := s.resolveSubject(w, r, req)
	if ok {
		s.sendExport(w, r, u.ID, subj)
	}
}

// meExport serves GET /api/me/export: a signed-in user's own data.
func (s *server) meExport(w http.ResponseWriter, r *http.Request) {
	if u, ok := s.authorize(w, r, authz.SelfService, audit.DataExport); ok {
		s.sendExport(w, r, u.ID, privacy.Subject{ID: u.ID})
	}
}

// sendExport builds the whole archive before answering, so a failing kind
// gives a clean error instead of a truncated zip, and records the export
// before the first byte leaves.
func (s *server) sendExport(w http.ResponseWriter, r *http.Request, actor string, subj privacy.Subject) {
	exp, err := s.Privacy.Export(r.Context(), subj)
	var buf bytes.Buffer
	if err == nil {
		err = privacy.WriteArchive(&buf, exp)
	}
	if err != nil {
		s.internalError(w, r, "privacy export", err)
		return
	}
	ev := audit.Event{Action: audit.DataExport, Actor: actor, Target: subj.ID, Outcome: audit.Success,
		Details: map[string]string{"format": "zip"}}
	if !s.auditOrFail(w, r, ev) {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="conclave-data-`+subj.ID+`.zip"`)
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	buf.WriteTo(w) // a failed write means the client left
}

// privacyErase serves POST /api/privacy/erase. The entry names the subject
// ID only and is written after the erasure, with its counts.
func (s *server) privacyErase(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.DataErase, audit.DataErase)
	if !ok {
		return
	}
	var req subjectRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	subj, ok := s.resolveSubject(w, r, req)
	if !ok {
		return
	}
	if !req.Confirm {
		writeError(w, http.StatusBadRequest, "bad_request", `erasure cannot be undone; send "confirm": true`)
		return
	}
	if subj.ID == u.ID {
		// The last officer erasing themselves would leave nobody to answer requests.
		writeError(w, http.StatusConflict, "conflict", "you cannot erase your own account; ask another officer")
		return
	}
	rep, err := s.Privacy.Erase(r.Context(), subj)
	if err != nil {
		s.Logger.ErrorContext(r.Context(), "privacy erase incomplete", "subject", subj.ID, "err", err)
	}
	ev := audit.Event{Action: audit.DataErase, Actor: u.ID, Target: subj.ID, Outcome: audit.Success,
		Details: rep.AuditDetails()}
	if err != nil {
		ev.Outcome = audit.Failure
	}
	if s.auditOrFail(w, r, ev) {
		writeJSON(w, http.StatusOK, rep)
	}
}

// privacyParticipants serves GET /api/privacy/participants?meeting=ID: the
// participant IDs the audit log saw join a meeting, to find a guest by.
func (s *server) privacyParticipants(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.DataExport, audit.AuditView)
	if !ok {
		return
	}
	id := r.URL.Query().Get("meeting")
	if !audit.ValidMeetingID(id) {
		writeError(w, http.StatusBadRequest, "bad_request", "meeting must be a meeting ID")
		return
	}
	ps, err := privacy.MeetingParticipants(r.Context(), s.Store, id)
	if err != nil {
		s.internalError(w, r, "meeting participants", err)
		return
	}
	ev := audit.Event{Action: audit.AuditView, Actor: u.ID, Meeting: id, Outcome: audit.Success,
		Details: map[string]string{"view": "participants", "returned": strconv.Itoa(len(ps))}}
	if s.auditOrFail(w, r, ev) {
		writeJSON(w, http.StatusOK, map[string][]privacy.Participant{"participants": ps})
	}
}

// privacyRoutes mounts the data-protection API for what is configured.
func (s *server) privacyRoutes(mux *http.ServeMux) {
	if s.Privacy != nil {
		route(mux, "/api/privacy/export", methods{"POST": s.privacyExport})
		route(mux, "/api/privacy/erase", methods{"POST": s.privacyErase})
		route(mux, "/api/privacy/participants", methods{"GET": s.privacyParticipants})
		route(mux, "/api/me/export", methods{"GET": s.meExport})
	}
	if s.Requests != nil {
		route(mux, "/api/privacy/requests", methods{"GET": s.listRequests, "POST": s.createRequest})
		route(mux, "/api/privacy/requests/{id}/close", methods{"POST": s.closeRequest})
	}
}
