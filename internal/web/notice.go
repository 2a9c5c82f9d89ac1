package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/notice"
	"github.com/conclave-meet/conclave/internal/store"
)

// noticeRoutes mounts the privacy notice API and its admin page; a server
// without Options.Notices has neither (the API then answers 404).
func (s *server) noticeRoutes(mux *http.ServeMux) {
	if s.Notices == nil {
		return
	}
	route(mux, "/api/privacy/notice", methods{"GET": s.noticeCurrent, "POST": s.noticePublish})
	route(mux, "/api/privacy/notice/versions", methods{"GET": s.noticeVersions})
	route(mux, "/api/privacy/notice/preview", methods{"POST": s.noticePreview})
	route(mux, "/api/me/consents", methods{"GET": s.myConsents})
	route(mux, "/api/me/notice", methods{"GET": s.myNotice})
	mux.HandleFunc("GET /admin/privacy", s.index)
}

// noticeJSON is one notice version. HTML is the server's rendering of the
// Markdown (raw HTML removed), which clients may insert as markup.
type noticeJSON struct {
	Version   int       `json:"version"`
	Markdown  string    `json:"markdown"`
	HTML      string    `json:"html,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by,omitempty"`
	// Default is true while no administrator has published a notice: the
	// text is the one generated from the configuration.
	Default bool `json:"default,omitempty"`
}

type noticeRequest struct {
	Markdown string `json:"markdown"`
}

func toNoticeJSON(n store.Notice) noticeJSON {
	return noticeJSON{Version: n.Version, Markdown: n.Markdown, CreatedAt: n.CreatedAt, CreatedBy: n.CreatedBy, Default: notice.IsDefault(n)}
}

// renderedNotice is n with its HTML.
func renderedNotice(n store.Notice) (noticeJSON, error) {
	j := toNoticeJSON(n)
	html, err := notice.Render(n.Markdown)
	j.HTML = html
	return j, err
}

// noticeCurrent is public: everyone, guests included, reads the notice
// before joining.
func (s *server) noticeCurrent(w http.ResponseWriter, r *http.Request) {
	n, err := s.Notices.Current(r.Context())
	if err != nil {
		s.internalError(w, r, "privacy notice", err)
		return
	}
	j, err := renderedNotice(n)
	if err != nil {
		s.internalError(w, r, "privacy notice", err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (s *server) noticeVersions(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, authz.NoticeHistory, audit.SettingsChange); !ok {
		return
	}
	ns, err := s.Notices.Versions(r.Context())
	if err != nil {
		s.internalError(w, r, "privacy notice versions", err)
		return
	}
	out := make([]noticeJSON, 0, len(ns))
	for _, n := range ns {
		out = append(out, toNoticeJSON(n))
	}
	writeJSON(w, http.StatusOK, map[string]any{"versions": out})
}

// noticeBody decodes and validates a notice text; it answers 400 itself.
func noticeBody(w http.ResponseWriter, r *http.Request) (string, bool) {
	var req noticeRequest
	if !decodeJSON(w, r, &req) {
		return "", false
	}
	if err := notice.Validate(req.Markdown); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request",
			"markdown: "+strings.TrimPrefix(err.Error(), notice.ErrInvalid.Error()+": "))
		return "", false
	}
	return req.Markdown, true
}

// noticePreview renders a draft without publishing it, so the editor shows
// exactly what participants will see.
func (s *server) noticePreview(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r, authz.NoticeEdit, audit.SettingsChange); !ok {
		return
	}
	md, ok := noticeBody(w, r)
	if !ok {
		return
	}
	html, err := notice.Render(md)
	if err != nil {
		s.internalError(w, r, "preview privacy notice", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"html": html})
}

// noticePublish stores a new version. It is recorded after the store
// assigned the version number; should that entry fail, the answer is 500
// although the version exists (the next publish is recorded normally).
func (s *server) noticePublish(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.NoticeEdit, audit.SettingsChange)
	if !ok {
		return
	}
	md, ok := noticeBody(w, r)
	if !ok {
		return
	}
	n, err := s.Notices.Publish(r.Context(), md, u.ID)
	if err != nil {
		s.internalError(w, r, "publish privacy notice", err)
		return
	}
	if !s.auditOrFail(w, r, audit.Event{Action: audit.SettingsChange, Actor: u.ID, Outcome: audit.Success,
		Details: map[string]string{"what": "privacy_notice", "version": strconv.Itoa(n.Version)}}) {
		return
	}
	j, err := renderedNotice(n)
	if err != nil {
		s.internalError(w, r, "privacy notice", err)
		return
	}
	writeJSON(w, http.StatusCreated, j)
}

// myConsents lists the signed-in account's consent ledger entries.
func (s *server) myConsents(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.SelfService, audit.DataExport)
	if !ok {
		return
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
	writeJSON(w, http.StatusOK, map[string]any{"consents": out})
}

// myNoticeJSON is the signed-in account's standing with the notice in
// force: AcceptedAt is set when it accepted this very version before.
type myNoticeJSON struct {
	Version    int        `json:"version"`
	Accepted   bool       `json:"accepted"`
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
}

// myNotice tells the pre-join page whether the signed-in account already
// accepted the current version, so that it is not asked to tick it again
// (the server records nothing new for such a join; guests always tick).
func (s *server) myNotice(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.SelfService, audit.DataExport)
	if !ok {
		return
	}
	v, err := s.Notices.CurrentNoticeVersion(r.Context())
	if err != nil {
		s.internalError(w, r, "privacy notice", err)
		return
	}
	c, accepted, err := s.Notices.Accepted(r.Context(), u.ID, v)
	if err != nil {
		s.internalError(w, r, "consents", err)
		return
	}
	out := myNoticeJSON{Version: v, Accepted: accepted}
	if accepted {
		at := c.GivenAt
		out.AcceptedAt = &at
	}
	writeJSON(w, http.StatusOK, out)
}
