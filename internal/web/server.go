// Package web is Conclave's HTTP front end: the JSON API of docs/api.md,
// the embedded browser client and the security headers around both.
package web

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/files"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/notice"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/release"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// Store is what the HTTP handler uses of the store directly. Meeting
// deletion also needs privacy.MeetingStore and readiness a WriteProber,
// both asked of the same value where they are used (both backends
// implement them).
type Store interface {
	CountUsers(ctx context.Context) (int, error)
	UserByID(ctx context.Context, id string) (store.User, error)
	UserByEmail(ctx context.Context, email string) (store.User, error)
	ListUsers(ctx context.Context) ([]store.User, error)
	MeetingByID(ctx context.Context, id string) (store.Meeting, error)
	AuditEntries(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error)
	MeetingRetention(ctx context.Context, meetingID string) (map[string]time.Duration, error)
	SetMeetingRetention(ctx context.Context, meetingID string, periods map[string]time.Duration) error
}

// Options are the dependencies of the HTTP handler.
type Options struct {
	// Store backs the health check, the co-host e-mail lookups, the user
	// list, meeting retention and the audit reads (Store: only what the
	// API reads and writes directly; the services below take their own).
	Store    Store
	Sessions *auth.Sessions
	Accounts *auth.Accounts
	Setup    *auth.Setup
	// Factors are the second factors (docs/security.md, "Second
	// factors"); nil: none, and a right password signs in.
	Factors  *auth.Factors
	Meetings *meeting.Service
	// Audit records security-relevant actions; required.
	Audit  *audit.Log
	Config config.Config
	// Logger receives access logs and internal errors (slog.Default if nil).
	Logger *slog.Logger
	// WS is the signalling websocket, mounted at GET /ws; nil answers 503.
	WS http.Handler
	// Files serves the meeting file routes (files.Routes) with its own
	// body limits and capability checks; nil serves none.
	Files http.Handler
	// ControlAgent and ControlInput are remote control's WebSockets,
	// GET /api/control/agent and /api/control/input (package
	// remotecontrol/relay, docs/api.md); nil serves none.
	ControlAgent, ControlInput http.Handler
	// Notices is the privacy notice and consent ledger; nil serves no
	// notice API (tests that do not need it).
	Notices *notice.Service
	// LoginThrottle counts failed sign-ins per client address and account
	// (throttle.NewLogin(nil) if nil); tests pass one with a fake clock.
	LoginThrottle *throttle.Limiter
	// Passcodes counts wrong meeting passcodes per client address and
	// meeting (throttle.NewPasscodes(nil) if nil); serve passes the
	// limiter the signalling join uses, so that the pre-join check
	// (POST /api/meetings/{id}/join-info) and joining share one budget.
	Passcodes *throttle.Limiter
	// GuestThrottle counts guests' requests per client address
	// (throttle.NewGuestRequests(nil) if nil).
	GuestThrottle *throttle.Limiter
	// Refusals records refused requests (403s), coalescing repeats of a
	// kind (audit.Coalescer); nil makes one over Audit with the defaults,
	// whose summaries are written only by later refusals.
	Refusals *audit.Coalescer
	// Privacy answers access and erasure requests; nil leaves the
	// /api/privacy/export, /erase and /api/me/export routes out.
	Privacy *privacy.Service
	// Requests is the register of subject requests; nil leaves its routes out.
	Requests *privacy.Requests
	// Version and Measures go into the records of processing: the
	// server's version, and security measures in force that the
	// configuration does not show (records.Inputs).
	Version  string
	Measures []string
	// Ready answers GET /readyz; nil builds one from Store (when it is a
	// WriteProber) and Config (data directory, minimum free space).
	Ready *Readiness
	// Live ends a meeting that is in progress when it is deleted; nil when
	// there is no signalling (tests).
	Live LiveMeetings
	// Build is the running binary's version and VCS stamp, shown to
	// administrators (GET /api/admin/version).
	Build release.Build
	// Updates says whether the release feed lists a newer release; nil
	// when no feed is configured, and then nothing is ever fetched.
	Updates UpdateStatus
	// Chat is the stored chat, for the officers' review and for reading
	// a meeting's chat afterwards; nil leaves those routes out.
	Chat ChatArchive
	// SharedFiles is the shared files for the officers' review; nil
	// serves no review.
	SharedFiles FileArchive
	// Recordings is the recordings catalog (package recordings); nil
	// serves no recording routes.
	Recordings RecordingCatalog
	// Transcripts is the stored transcripts, served with Recordings'
	// access rules; nil (or nil Recordings) serves no transcript routes.
	Transcripts TranscriptArchive
	// SSO is single sign-on (package sso); nil when no provider is
	// configured, and then the sign-in page offers passwords only.
	SSO SSO
}

type server struct {
	Options
	assets assets
}

// New returns the complete handler: routes wrapped in cross-origin
// protection, security headers and access logging. It panics if the
// embedded client is unusable, which only a broken build can cause, or
// without an audit log, which must never be off by accident.
func New(opts Options) http.Handler {
	if opts.Audit == nil {
		panic("web: Options.Audit is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.LoginThrottle == nil {
		opts.LoginThrottle = throttle.NewLogin(nil)
	}
	if opts.Passcodes == nil {
		opts.Passcodes = throttle.NewPasscodes(nil)
	}
	if opts.GuestThrottle == nil {
		opts.GuestThrottle = throttle.NewGuestRequests(nil)
	}
	if opts.Refusals == nil {
		opts.Refusals = audit.NewCoalescer(opts.Audit, audit.CoalesceOptions{Logger: opts.Logger})
	}
	if opts.Ready == nil {
		prober, _ := opts.Store.(WriteProber)
		opts.Ready = NewReadiness(ReadinessOptions{Store: prober, DataDir: opts.Config.DataDir,
			MinFree: opts.Config.MinFreeBytes(), Logger: opts.Logger})
	}
	if opts.WS == nil {
		opts.WS = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			writeError(w, http.StatusServiceUnavailable, "unavailable", "signalling is not available")
		})
	}
	a, err := loadAssets(staticFS, "static")
	if err != nil {
		panic("web: embedded client: " + err.Error())
	}
	s := &server{Options: opts, assets: a}
	return s.accessLog(s.securityHeaders(s.crossOrigin(s.routes())))
}

func (s *server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.health)
	mux.HandleFunc("GET /readyz", s.ready)
	route(mux, "/api/setup", methods{"GET": s.setupStatus, "POST": s.setupComplete})
	route(mux, "/api/login", methods{"POST": s.login})
	route(mux, "/api/logout", methods{"POST": s.logout})
	route(mux, "/api/me", methods{"GET": s.me})
	route(mux, "/api/meetings", methods{"GET": s.listMeetings, "POST": s.createMeeting})
	route(mux, "/api/meetings/{id}", methods{"DELETE": s.deleteMeeting})
	route(mux, "/api/meetings/{id}/passcode", methods{"POST": s.regeneratePasscode})
	route(mux, "/api/meetings/{id}/join-info", methods{"POST": s.joinInfo})
	route(mux, "/api/audit", methods{"GET": s.auditList})
	route(mux, "/api/audit/export", methods{"GET": s.auditExport})
	route(mux, "/api/media/defaults", methods{"GET": s.mediaDefaults})
	s.privacyRoutes(mux)
	s.noticeRoutes(mux)
	s.recordsRoutes(mux)
	s.userRoutes(mux)
	s.rightsRoutes(mux)
	s.versionRoutes(mux)
	s.chatRoutes(mux)
	s.fileReviewRoutes(mux)
	s.recordingRoutes(mux)
	s.transcriptRoutes(mux)
	s.mfaRoutes(mux)
	s.passwordAgeRoutes(mux)
	s.ssoRoutes(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such API endpoint")
	})
	mux.Handle("GET /ws", s.WS)
	if s.ControlAgent != nil && s.ControlInput != nil {
		mux.Handle("GET /api/control/agent", s.ControlAgent)
		mux.Handle("GET /api/control/input", s.ControlInput)
	}
	if s.Files != nil {
		// Streaming uploads: not under the API's 64 KiB body limit and
		// JSON check, which the route() helper adds.
		for _, p := range files.Routes {
			mux.Handle(p, s.Files)
		}
	}
	mux.HandleFunc("GET /static/{file...}", s.static)
	mux.HandleFunc("GET /m/{id}", s.meetingPage)
	for _, page := range []string{"GET /{$}", "GET /login", "GET /setup", "GET /admin/audit", "GET /admin/requests", "GET /admin/processing", "GET /admin/chat", "GET /account", "GET /admin/users", "GET /recordings", "GET /privacy/request"} {
		mux.HandleFunc(page, s.index)
	}
	return mux
}

type methods map[string]http.HandlerFunc

// route registers one handler per method on an API path plus a fallback
// that answers other methods with a JSON 405, and wraps each in the API
// body limit and the JSON content-type check.
func route(mux *http.ServeMux, path string, m methods) {
	allowed := slices.Sorted(maps.Keys(m))
	for _, method := range allowed {
		mux.Handle(method+" "+path, limitBody(requireJSON(m[method])))
	}
	if m["GET"] != nil {
		allowed = append(allowed, "HEAD")
	}
	allow := strings.Join(allowed, ", ")
	mux.HandleFunc(path, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed")
	})
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	if s.Store != nil {
		if _, err := s.Store.CountUsers(r.Context()); err != nil {
			s.Logger.ErrorContext(r.Context(), "health check: database", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
