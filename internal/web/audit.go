package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/store"
)

// auditTimeout bounds an audit write. Writes do not inherit the request's
// cancellation: a client that hangs up must not keep an action that already
// happened out of the log.
const auditTimeout = 10 * time.Second

// clientAddr is the IP address of the request's peer: the host part of
// RemoteAddr, which behind a reverse proxy is the proxy's. Forwarded
// headers are not trusted; anyone can send them.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return ""
	}
	return ip.Unmap().WithZone("").String()
}

func (s *server) appendAudit(r *http.Request, ev audit.Event) error {
	ev.ClientAddr = clientAddr(r)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), auditTimeout)
	defer cancel()
	_, err := s.Audit.Append(ctx, ev)
	return err
}

// auditOrFail records ev for an action that succeeded. It fails closed: when
// the entry cannot be written it answers 500, logs why, and returns false,
// and the caller must not go on (no session, no data, no "created").
func (s *server) auditOrFail(w http.ResponseWriter, r *http.Request, ev audit.Event) bool {
	if err := s.appendAudit(r, ev); err != nil {
		s.internalError(w, r, "audit write failed, action refused", err)
		return false
	}
	return true
}

// auditOrLog records a refused or failed attempt, or an action that must
// not be blocked (logout). The response stands whether or not the entry
// could be written; a lost entry is logged.
func (s *server) auditOrLog(r *http.Request, ev audit.Event) {
	if err := s.appendAudit(r, ev); err != nil {
		s.Logger.ErrorContext(r.Context(), "audit write failed", "action", string(ev.Action), "err", err)
	}
}

// auditRefusal records a refusal through the coalescer: the first of its
// kind at once, repeats as a count, so that nobody can fill the log by
// asking again. Like auditOrLog, the answer stands whatever happens.
func (s *server) auditRefusal(r *http.Request, ev audit.Event) {
	ev.ClientAddr = clientAddr(r)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), auditTimeout)
	defer cancel()
	if err := s.Refusals.Record(ctx, ev); err != nil {
		s.Logger.ErrorContext(r.Context(), "audit write failed", "action", string(ev.Action), "err", err)
	}
}

type auditListResponse struct {
	Entries []audit.Record `json:"entries"`
	Chain   chainStatus    `json:"chain"`
	// Actions are all the actions the log knows, so that a client can offer
	// the action filter without a copy of the list that would go stale.
	Actions []audit.Action `json:"actions"`
}

// chainStatus is CheckEntries' verdict on the returned entries.
type chainStatus struct {
	Checked  int           `json:"checked"`
	Intact   bool          `json:"intact"`
	Problems []problemJSON `json:"problems"`
	Head     *headJSON     `json:"head"`
}

type problemJSON struct {
	audit.Problem
	Message string `json:"message"`
}

type headJSON struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// auditList serves GET /api/audit. The entries go out only once the view
// itself is on record.
func (s *server) auditList(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.AuditView, audit.AuditView)
	if !ok {
		return
	}
	q, err := parseAuditQuery(r.URL.Query(), true)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	resp, err := s.auditPage(r.Context(), q.filter)
	if err != nil {
		s.internalError(w, r, "audit query", err)
		return
	}
	ev := audit.Event{Action: audit.AuditView, Actor: u.ID, Outcome: audit.Success, Details: q.details()}
	ev.Details["returned"] = strconv.Itoa(len(resp.Entries))
	if s.auditOrFail(w, r, ev) {
		writeJSON(w, http.StatusOK, resp)
	}
}

func (s *server) auditPage(ctx context.Context, f store.AuditFilter) (auditListResponse, error) {
	entries, err := s.Audit.Entries(ctx, f)
	if err != nil {
		return auditListResponse{}, err
	}
	problems, err := s.Audit.CheckEntries(ctx, entries)
	if err != nil {
		return auditListResponse{}, err
	}
	head, ok, err := s.Audit.Head(ctx)
	if err != nil {
		return auditListResponse{}, err
	}
	resp := auditListResponse{
		Entries: make([]audit.Record, 0, len(entries)),
		Chain:   chainStatus{Checked: len(entries), Intact: len(problems) == 0, Problems: []problemJSON{}},
		Actions: audit.Actions,
	}
	for _, e := range entries {
		resp.Entries = append(resp.Entries, audit.ToRecord(e))
	}
	for _, p := range problems {
		resp.Chain.Problems = append(resp.Chain.Problems, problemJSON{Problem: p, Message: p.String()})
	}
	if ok {
		rec := audit.ToRecord(head)
		resp.Chain.Head = &headJSON{Seq: rec.Seq, Hash: rec.Hash}
	}
	return resp, nil
}

// auditExport serves GET /api/audit/export. The export is recorded before
// the first byte is sent; a failure midway aborts the response, so the
// client sees a broken download rather than a clean, truncated file.
func (s *server) auditExport(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.AuditExport, audit.AuditExport)
	if !ok {
		return
	}
	q, err := parseAuditQuery(r.URL.Query(), false)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", err.Error())
		return
	}
	ev := audit.Event{Action: audit.AuditExport, Actor: u.ID, Outcome: audit.Success, Details: q.details()}
	if !s.auditOrFail(w, r, ev) {
		return
	}
	h := w.Header()
	h.Set("Content-Type", q.format.ContentType())
	h.Set("Content-Disposition", `attachment; filename="conclave-audit-`+
		time.Now().UTC().Format("20060102T150405Z")+"."+string(q.format)+`"`)
	h.Set("Cache-Control", "no-store")
	if _, err := s.Audit.Export(r.Context(), w, q.format, q.filter); err != nil {
		if !errors.Is(r.Context().Err(), context.Canceled) {
			s.Logger.ErrorContext(r.Context(), "audit export failed", "err", err)
		}
		panic(http.ErrAbortHandler)
	}
}
