// Package testserver runs Conclave's signalling and media server in-process
// on 127.0.0.1 for tests: a real media engine, room manager, signalling
// handler and metrics endpoint, with one meeting ("m1", passcode "secret")
// and no accounts. Integration tests of several packages share it.
package testserver

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/metrics"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/signal"
	"github.com/conclave-meet/conclave/internal/store"
)

// The one meeting every test server admits to.
const (
	MeetingID = "m1"
	Passcode  = "secret"
)

// Options tune a test server.
type Options struct {
	// MaxParticipants per meeting (0: no limit).
	MaxParticipants int
	// MetricsToken protects the metrics endpoint when not empty.
	MetricsToken string
}

// Server is a running test server.
type Server struct {
	// WS is the signalling websocket URL (ws://127.0.0.1:port/ws).
	WS string
	// Metrics is the Prometheus endpoint URL.
	Metrics string
	Rooms   *room.Manager
	Engine  *sfu.Engine
}

// Start runs a server until the test ends. Server logs at warning level and
// above go to the test log.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	log := Logger(t, slog.LevelWarn)
	engine, err := sfu.NewEngine(sfu.Config{IP: net.IPv4(127, 0, 0, 1), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	rooms := room.NewManager(engine, o.MaxParticipants, log)
	reg := metrics.New(metrics.Sources{Media: engine, Live: rooms.Count})
	mux := http.NewServeMux()
	mux.Handle("/ws", signal.NewHandler(signal.Options{Meetings: oneMeeting{}, Users: guests{}, Rooms: rooms, Logger: log}))
	sig := httptest.NewServer(mux)
	met := httptest.NewServer(reg.Handler(o.MetricsToken))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = rooms.Shutdown(ctx)
		sig.Close()
		met.Close()
		engine.Close()
	})
	return &Server{
		WS:      "ws" + strings.TrimPrefix(sig.URL, "http") + "/ws",
		Metrics: met.URL,
		Rooms:   rooms,
		Engine:  engine,
	}
}

// ErrRefused is what the test meeting authorizer answers for anything but
// the one meeting and passcode.
var ErrRefused = errors.New("testserver: meeting not found or wrong passcode")

type oneMeeting struct{}

func (oneMeeting) Authorize(_ context.Context, id, passcode string) (store.Meeting, error) {
	if id != MeetingID || passcode != Passcode {
		return store.Meeting{}, ErrRefused
	}
	return store.Meeting{ID: id, Title: "Test"}, nil
}

// guests: nobody is signed in.
type guests struct{}

func (guests) UserFromRequest(*http.Request) (store.User, bool) { return store.User{}, false }

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
