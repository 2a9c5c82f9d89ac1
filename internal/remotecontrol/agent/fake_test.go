package agent

import (
	"context"
	"crypto/rand"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/remotecontrol"
	"github.com/conclave-meet/conclave/internal/remotecontrol/agent/agenttest"
	"github.com/conclave-meet/conclave/internal/testlog"
)

// fakeInjector records what the loop asks of the desktop, in order.
type fakeInjector struct {
	mu        sync.Mutex
	calls     []string // "banner Ada", "inject 3", "release", "clear"
	events    []remotecontrol.Event
	bannerErr error
	stop      chan struct{}
	stopOnce  sync.Once
}

func newFake() *fakeInjector { return &fakeInjector{stop: make(chan struct{})} }

func (f *fakeInjector) note(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, s)
}

func (f *fakeInjector) Banner(name string) error {
	f.note("banner " + name)
	return f.bannerErr
}

func (f *fakeInjector) ClearBanner() { f.note("clear") }
func (f *fakeInjector) Release()     { f.note("release") }

func (f *fakeInjector) Inject(e remotecontrol.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "inject")
	f.events = append(f.events, e)
	return nil
}

func (f *fakeInjector) StopKey() <-chan struct{} { return f.stop }

// pressStop is the sharer pressing Ctrl+Alt+Escape.
func (f *fakeInjector) pressStop() { f.stopOnce.Do(func() { close(f.stop) }) }

func (f *fakeInjector) seqs() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s []uint64
	for _, e := range f.events {
		s = append(s, e.Seq)
	}
	return s
}

func (f *fakeInjector) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// waitInjected waits until the event with seq has been injected: events
// are handled in order, so every event sent before it has been decided.
func (f *fakeInjector) waitInjected(t *testing.T, seq uint64) {
	t.Helper()
	eventually.True(t, "event injected", func() bool { return slices.Contains(f.seqs(), seq) })
}

// run is one agent against a fresh server double.
type run struct {
	t    *testing.T
	inj  *fakeInjector
	srv  *agenttest.Server
	log  *testlog.Buffer
	conn *agenttest.Conn
	done chan result
	stop context.CancelFunc
}

type result struct {
	cause string
	err   error
}

// start runs the agent with code and waits for its hello; edit changes
// the configuration first.
func start(t *testing.T, code remotecontrol.PairingCode, edit func(*Config)) *run {
	t.Helper()
	r := &run{t: t, inj: newFake(), srv: agenttest.Start(t), log: &testlog.Buffer{}, done: make(chan result, 1)}
	cfg := Config{Server: r.srv.URL, Code: code, Injector: r.inj,
		Logger: slog.New(slog.NewTextHandler(r.log, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	if edit != nil {
		edit(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.stop = cancel
	t.Cleanup(cancel)
	go func() {
		cause, err := Run(ctx, cfg)
		r.done <- result{cause, err}
	}()
	r.conn = r.srv.Accept(t)
	if r.conn.Hello.Code != code.Server {
		t.Fatalf("hello code %q, want %q", r.conn.Hello.Code, code.Server)
	}
	return r
}

// wait waits for Run to return.
func (r *run) wait() result {
	r.t.Helper()
	select {
	case res := <-r.done:
		return res
	case <-time.After(eventually.Limit):
		r.t.Fatal("the agent did not stop")
		return result{}
	}
}

// expectStop waits for the agent's stop message with cause.
func (r *run) expectStop(cause string) {
	r.t.Helper()
	m, ok := r.conn.Next()
	if !ok || m.Type != remotecontrol.TypeStop || m.Cause != cause {
		r.t.Fatalf("the agent sent %+v (ok %v), want stop %s", m, ok, cause)
	}
}

func plainCode() remotecontrol.PairingCode { return remotecontrol.PairingCode{Server: "pair-123"} }

func keyedCode(t *testing.T) remotecontrol.PairingCode {
	t.Helper()
	key := make([]byte, remotecontrol.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	return remotecontrol.PairingCode{Server: "pair-e2ee", Key: key}
}

func move(seq uint64, x, y float64) remotecontrol.Event {
	return remotecontrol.Event{Seq: seq, Kind: remotecontrol.Move, X: x, Y: y}
}

func key(seq uint64, kind, code string, mods ...string) remotecontrol.Event {
	return remotecontrol.Event{Seq: seq, Kind: kind, Key: code, Mods: mods}
}
