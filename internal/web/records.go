package web

import (
	"bytes"
	"net/http"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/records"
)

// recordsInputs are the running configuration and registry the records
// of processing and the transparency page are generated from.
func (s *server) recordsInputs() records.Inputs {
	reg := privacy.NewRegistry()
	if s.Privacy != nil && s.Privacy.Registry != nil {
		reg = s.Privacy.Registry
	}
	return records.Inputs{Config: s.Config, Registry: reg, Now: time.Now(), Version: s.Version, Measures: s.Measures}
}

// privacyReport serves GET /api/privacy/report?format=md|html|json to
// administrators and privacy officers. Each generation is recorded: the
// report describes the organisation's security, which is worth knowing
// who read.
func (s *server) privacyReport(w http.ResponseWriter, r *http.Request) {
	// Authorise first: a refused account learns nothing about the
	// parameters, and its attempt is recorded whatever it asked for.
	u, ok := s.authorize(w, r, authz.ProcessingReport, audit.PrivacyReport)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "html"
	}
	if format != "md" && format != "html" && format != "json" {
		writeError(w, http.StatusBadRequest, "bad_request", "format must be md, html or json")
		return
	}
	if err := s.appendAudit(r, audit.Event{Action: audit.PrivacyReport, Actor: u.ID, Outcome: audit.Success,
		Details: map[string]string{"format": format}}); err != nil {
		s.internalError(w, r, "record privacy report", err)
		return
	}
	doc := records.Report(s.recordsInputs())
	switch format {
	case "json":
		writeJSON(w, http.StatusOK, doc)
	case "md":
		s.writeDocument(w, r, doc, false)
	default:
		s.writeDocument(w, r, doc, true)
	}
}

// privacyInfo serves the public transparency page, GET /privacy/info.
func (s *server) privacyInfo(w http.ResponseWriter, r *http.Request) {
	doc := records.Info(s.recordsInputs())
	s.writeDocument(w, r, doc, true)
}

// writeDocument sends doc as HTML or Markdown. HTML carries its
// stylesheet inline, so it gets a policy that admits exactly that style;
// Markdown is a file to keep, so it comes as a download.
func (s *server) writeDocument(w http.ResponseWriter, r *http.Request, doc records.Document, asHTML bool) {
	var b bytes.Buffer
	render, ctype := doc.Markdown, "text/markdown; charset=utf-8"
	if asHTML {
		render, ctype = doc.HTML, "text/html; charset=utf-8"
	}
	if err := render(&b); err != nil {
		s.internalError(w, r, "render document", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "no-store")
	if asHTML {
		h.Set("Content-Security-Policy", records.StyleCSP)
	} else {
		h.Set("Content-Disposition", `attachment; filename="records-of-processing.md"`)
	}
	w.Write(b.Bytes()) // a failed write means the client left
}

// recordsRoutes mounts the records of processing, the transparency page
// and the meeting retention overrides.
func (s *server) recordsRoutes(mux *http.ServeMux) {
	route(mux, "/api/privacy/report", methods{"GET": s.privacyReport})
	route(mux, "/api/meetings/{id}/retention", methods{"GET": s.getMeetingRetention, "PUT": s.putMeetingRetention})
	mux.HandleFunc("GET /privacy/info", s.privacyInfo)
}
