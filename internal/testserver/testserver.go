// Package testserver runs Conclave's signalling and media server in-process
// on 127.0.0.1 for tests: a real media engine, room manager, signalling
// handler and metrics endpoint, with two meetings ("m1" and "m2", passcode "secret")
// and test accounts (Options.Users). Integration tests of several packages share it.
package testserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/chat"
	"github.com/conclave-meet/conclave/internal/metrics"
	controlrelay "github.com/conclave-meet/conclave/internal/remotecontrol/relay"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/signal"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/throttle"
	"github.com/conclave-meet/conclave/internal/turn"
)

// The meetings every test server admits to, both with the same policy and
// passcode.
const (
	MeetingID      = "m1"
	OtherMeetingID = "m2"
	Passcode       = "secret"
)

// Options tune a test server.
type Options struct {
	// MaxParticipants per meeting (0: no limit).
	MaxParticipants int
	// TCPQueueBytes bounds each ICE-TCP connection's send queue (0: the
	// media server's default).
	TCPQueueBytes int
	// ManualControl: the media engine's control loop (speaker, rates,
	// layers) runs only when the test calls Engine.Step.
	ManualControl bool
	// MetricsToken protects the metrics endpoint when not empty.
	MetricsToken string
	// HelloTimeout overrides the signalling hello timeout (0: default).
	HelloTimeout time.Duration
	// Meeting is the test meeting's policy; ID and Passcode are set by the
	// server. Nil: an open meeting (no waiting room, no host needed,
	// everyone may share the screen) for media and protocol tests.
	Meeting *store.Meeting
	// Users are accounts a client acts as by sending the header
	// "X-Test-User: <user ID>" (test servers have no sessions).
	Users []store.User
	// Notices requires a privacy notice (nil: none); Audit receives the
	// audit events (nil: none).
	Notices signal.NoticeChecker
	Audit   signal.Auditor
	// Clock is the signalling connections' clock (nil: time.Now).
	Clock func() time.Time
	// Passcodes replaces the signalling passcode throttle (nil: the
	// default), so that a test can watch or shape its lock-outs.
	Passcodes *throttle.Limiter
	// Joins replaces the signalling join limiter (nil: the default).
	Joins *throttle.Limiter
	// Refusals replaces the coalescer of refused joins (nil: the
	// handler's own over Audit), so that a test can flush it.
	Refusals *audit.Coalescer
	// WrapMeetings wraps the test meetings' authorizer (nil: unwrapped),
	// so that a test can hold passcode checks to force an interleaving.
	WrapMeetings func(signal.MeetingAuthorizer) signal.MeetingAuthorizer
	// WithTURN runs the embedded TURN server, relaying to the media
	// engine, and hands participants its credentials; TURN tunes it (IP,
	// peers and, when empty, the secret are filled in).
	WithTURN bool
	TURN     turn.Config
	// ResumeGrace and AfterFunc tune resume (signal.Options): the grace
	// period (0: default, negative: off) and its timer, which tests fire
	// by hand.
	ResumeGrace time.Duration
	AfterFunc   func(d time.Duration, f func()) signal.Timer
	// Chat keeps chat messages (nil: none are kept).
	Chat chat.Store
	// OrgPolicy is the organisation's lock-down of live settings.
	OrgPolicy room.OrgPolicy
	// Recordings and Consents make recording available (signal.Options).
	Recordings signal.Recordings
	Consents   signal.ConsentLedger
	// Transcriptions makes transcription available (with Consents).
	Transcriptions signal.Transcriptions
	// ControlNow and ControlAfter are remote control's clock and timers
	// (room.ControlOptions; nil: the real ones). Remote control itself
	// is on where OrgPolicy allows it.
	ControlNow   func() time.Time
	ControlAfter func(d time.Duration, f func()) room.Timer
	// Placement says on which node a meeting runs (nil: here).
	Placement signal.Placer
}

// Server is a running test server.
type Server struct {
	// WS is the signalling websocket URL (ws://127.0.0.1:port/ws).
	WS string
	// Metrics is the Prometheus endpoint URL.
	Metrics string
	Rooms   *room.Manager
	Engine  *sfu.Engine
	// TURN is the TURN server when Options.WithTURN, else nil.
	TURN *turn.Server
	// Signal is the signalling handler (also the file routes' Access).
	Signal *signal.Handler
	// Control is remote control's input path, at /api/control/agent and
	// /api/control/input; ControlAudit its audit recorder (nil without
	// Options.Audit).
	Control      *controlrelay.Relay
	ControlAudit *controlrelay.AuditRecorder
	// URL is the HTTP root (http://127.0.0.1:port).
	URL string
}

// Start runs a server until the test ends. Server logs at warning level and
// above go to the test log.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	log := Logger(t, slog.LevelWarn)
	engine, err := sfu.NewEngine(sfu.Config{IP: net.IPv4(127, 0, 0, 1), Logger: log, TCPQueueBytes: o.TCPQueueBytes, ManualControl: o.ManualControl})
	if err != nil {
		t.Fatal(err)
	}
	rooms := room.NewManager(engine, o.MaxParticipants, log)
	rooms.SetOrgPolicy(o.OrgPolicy)
	turnSrv := startTURN(t, o, engine)
	src := metrics.Sources{Media: engine, Live: rooms.Count}
	if turnSrv != nil {
		src.Relay = turnSrv.Stats
	}
	reg := metrics.New(src)
	mux := http.NewServeMux()
	m := store.Meeting{Title: "Test", JoinBeforeHost: true, ScreenShare: store.ScreenShareEveryone}
	if o.Meeting != nil {
		m = *o.Meeting
	}
	m.Passcode = Passcode
	users := testUsers{}
	for _, u := range o.Users {
		users[u.ID] = u
	}
	var relay signal.Relay
	if turnSrv != nil {
		relay = turnSrv
	}
	var meetings signal.MeetingAuthorizer = oneMeeting{m}
	if o.WrapMeetings != nil {
		meetings = o.WrapMeetings(meetings)
	}
	sigHandler := signal.NewHandler(signal.Options{Meetings: meetings, Users: users, Rooms: rooms, HelloTimeout: o.HelloTimeout, Logger: log,
		Notices: o.Notices, Audit: o.Audit, Clock: o.Clock, Passcodes: o.Passcodes, Relay: relay,
		Joins: o.Joins, Refusals: o.Refusals, ResumeGrace: o.ResumeGrace, AfterFunc: o.AfterFunc, Chat: o.Chat, FileSharing: true,
		Recordings: o.Recordings, Consents: o.Consents, Transcriptions: o.Transcriptions, Placement: o.Placement})
	mux.Handle("/ws", sigHandler)
	control := controlrelay.New(controlrelay.Options{Rooms: rooms, Now: o.ControlNow, Origin: sigHandler.OriginAllowed, Logger: log})
	var controlAudit *controlrelay.AuditRecorder
	var rec room.ControlRecorder
	if o.Audit != nil {
		controlAudit = controlrelay.NewAuditRecorder(o.Audit, log)
		rec = controlAudit
	}
	rooms.SetRemoteControl(room.ControlOptions{Relay: control, Recorder: rec, Now: o.ControlNow, AfterFunc: o.ControlAfter})
	mux.Handle("GET /api/control/agent", control.AgentHandler())
	mux.Handle("GET /api/control/input", control.InputHandler())
	sig := httptest.NewServer(mux)
	met := httptest.NewServer(reg.Handler(o.MetricsToken))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = rooms.Shutdown(ctx)
		sig.Close()
		met.Close()
		if turnSrv != nil {
			_ = turnSrv.Close()
		}
		engine.Close()
	})
	return &Server{
		WS:      "ws" + strings.TrimPrefix(sig.URL, "http") + "/ws",
		Metrics: met.URL,
		Rooms:   rooms,
		Engine:  engine,
		TURN:    turnSrv,
		Signal:  sigHandler,
		Control: control, ControlAudit: controlAudit,
		URL: sig.URL,
	}
}

// ErrRefused is what the test meeting authorizer answers for anything but
// the test meetings and passcode.
var ErrRefused = errors.New("testserver: meeting not found or wrong passcode")

type oneMeeting struct{ m store.Meeting }

func (o oneMeeting) Authorize(_ context.Context, id, passcode string) (store.Meeting, error) {
	if id != MeetingID && id != OtherMeetingID || passcode != Passcode {
		return store.Meeting{}, ErrRefused
	}
	m := o.m
	m.ID = id
	return m, nil
}

// testUsers signs a request in by its X-Test-User header.
type testUsers map[string]store.User

func (t testUsers) UserFromRequest(r *http.Request) (store.User, bool) {
	u, ok := t[r.Header.Get("X-Test-User")]
	return u, ok
}

// startTURN starts the TURN server Options ask for, relaying to engine.
func startTURN(t testing.TB, o Options, engine *sfu.Engine) *turn.Server {
	t.Helper()
	if !o.WithTURN {
		return nil
	}
	cfg := o.TURN
	cfg.IP = net.IPv4(127, 0, 0, 1)
	cfg.Peers = []netip.AddrPort{engine.UDPAddr().AddrPort()}
	if cfg.Secret == "" {
		cfg.Secret = "test-secret-test-secret-test-secret"
	}
	srv, err := turn.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// Logger returns a logger that writes to the test log at level and above
// until the test's cleanups run; Pion goroutines that log later (sockets
// closing) are silenced instead of racing with the test's end.
func Logger(t testing.TB, level slog.Level) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(w.stop) // registered first, so it runs after the server stops
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

type testWriter struct {
	mu      sync.Mutex
	t       testing.TB
	stopped bool
}

func (w *testWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.t.Log(strings.TrimSpace(string(b)))
	}
	return len(b), nil
}

func (w *testWriter) stop() {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
}
