package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/remotecontrol"
	"github.com/conclave-meet/conclave/internal/room"
)

// fakeRooms plays room.Manager: like the real one, EndControl ends the
// grant in the relay (the room calls Relay.End), and an agent that went
// away gets a fresh pairing code (Relay.Pair).
type fakeRooms struct {
	rel *Relay

	mu     sync.Mutex
	ends   []string // "grant cause"
	agents []string // "grant on" / "grant off"
	fresh  map[string]string
}

func (f *fakeRooms) EndControl(meetingID, grant, cause string) bool {
	f.mu.Lock()
	f.ends = append(f.ends, grant+" "+cause)
	f.mu.Unlock()
	f.rel.End(grant, cause)
	return true
}

func (f *fakeRooms) AgentConnected(meetingID, grant string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	state := "off"
	if on {
		state = "on"
	}
	f.agents = append(f.agents, grant+" "+state)
	if code := f.fresh[grant]; !on && code != "" {
		f.rel.Pair(grant, code)
	}
}

func (f *fakeRooms) ended() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ends)
}

func (f *fakeRooms) agentNews() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.agents)
}

// clock is the relay's clock, moved only by the test: the rate limit sees
// every event at the same instant unless the test says otherwise.
// reads counts the readings: the relay reads it once per frame it takes,
// which lets a test know a frame that leaves no other trace (one the rate
// limit drops) has been taken.
type clock struct {
	mu    sync.Mutex
	now   time.Time
	reads int
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); c.reads++; return c.now }

func (c *clock) readings() int { c.mu.Lock(); defer c.mu.Unlock(); return c.reads }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// lockedBuffer collects the relay's log, to show no secret lands there.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// rig is a Relay mounted as cmd/conclave and internal/testserver mount it,
// on a loopback httptest server.
type rig struct {
	rel   *Relay
	rooms *fakeRooms
	clock *clock
	logs  *lockedBuffer
	url   string
}

func newRig(t *testing.T) *rig {
	t.Helper()
	c := &clock{now: time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)}
	logs := &lockedBuffer{}
	rooms := &fakeRooms{fresh: map[string]string{}}
	rel := New(Options{Rooms: rooms, Now: c.Now, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	rooms.rel = rel
	mux := http.NewServeMux()
	mux.Handle("GET /api/control/agent", rel.AgentHandler())
	mux.Handle("GET /api/control/input", rel.InputHandler())
	srv := httptest.NewServer(mux) // on 127.0.0.1 only
	t.Cleanup(srv.Close)
	return &rig{rel: rel, rooms: rooms, clock: c, logs: logs, url: "ws" + strings.TrimPrefix(srv.URL, "http")}
}

// start opens a grant as the room would, with secrets that are easy to
// look for in logs.
func (r *rig) start(t *testing.T, id string, e2ee, pointerOnly bool) room.ControlGrant {
	t.Helper()
	g := room.ControlGrant{ID: id, MeetingID: "abc-defg-hij", Sharer: "p-sharer", SharerName: "Sam",
		Controller: "p-ctl", ControllerName: "Ada", PointerOnly: pointerOnly, E2EE: e2ee,
		ExpiresAt: r.clock.Now().Add(time.Hour),
		Token:     "token-secret-" + id, AgentCode: "pairing-secret-" + id}
	r.rel.Start(g)
	return g
}

func (r *rig) dial(t *testing.T, path string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, r.url+path, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { ws.CloseNow() })
	return ws
}

// controlled is a rig with grant g1 (e2ee, pointerOnly) under way: its
// agent paired past "granted" and the controller's input connected.
func controlled(t *testing.T, e2ee, pointerOnly bool) (r *rig, g room.ControlGrant, agent, input *peer) {
	t.Helper()
	r = newRig(t)
	g = r.start(t, "g1", e2ee, pointerOnly)
	return r, g, r.paired(t, g), r.input(t, g.ID, g.Token)
}

// peer is one raw connection, agent or controller: what the relay sends,
// and why it closed.
type peer struct {
	ws     *websocket.Conn
	in     chan remotecontrol.AgentMessage
	closed chan string
}

func (r *rig) connect(t *testing.T, path string, hello any) *peer {
	t.Helper()
	p := &peer{ws: r.dial(t, path), in: make(chan remotecontrol.AgentMessage, 1024), closed: make(chan string, 1)}
	p.send(t, hello)
	go func() {
		defer close(p.in)
		for {
			_, b, err := p.ws.Read(context.Background())
			if err != nil {
				p.closed <- closeReason(err)
				return
			}
			var m remotecontrol.AgentMessage
			if json.Unmarshal(b, &m) == nil {
				p.in <- m
			}
		}
	}()
	return p
}

func (r *rig) agent(t *testing.T, code string) *peer {
	t.Helper()
	return r.connect(t, "/api/control/agent", remotecontrol.AgentHello{Code: code})
}

func (r *rig) input(t *testing.T, grant, token string) *peer {
	t.Helper()
	return r.connect(t, "/api/control/input", remotecontrol.InputHello{Grant: grant, Token: token})
}

// paired connects an agent with g's code and returns it past "granted".
func (r *rig) paired(t *testing.T, g room.ControlGrant) *peer {
	t.Helper()
	a := r.agent(t, g.AgentCode)
	if m := a.next(t); m.Type != remotecontrol.TypeGranted || m.Grant != g.ID {
		t.Fatalf("agent's first message: %+v", m)
	}
	return a
}

func (p *peer) send(t *testing.T, v any) {
	t.Helper()
	if err := p.try(v); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func (p *peer) try(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return p.raw(string(b))
}

// raw sends s as one text message, as it is.
func (p *peer) raw(s string) error {
	b := []byte(s)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return p.ws.Write(ctx, websocket.MessageText, b)
}

// wait bounds every wait for the relay: a failing test ends instead of
// hanging; a passing one never waits this long.
const wait = 10 * time.Second

func (p *peer) next(t *testing.T) remotecontrol.AgentMessage {
	t.Helper()
	select {
	case m, ok := <-p.in:
		if !ok {
			t.Fatalf("connection closed: %s", <-p.closed)
		}
		return m
	case <-time.After(wait):
		t.Fatalf("nothing within %v", wait)
	}
	return remotecontrol.AgentMessage{}
}

// events reads event messages until one with seq last, returning their
// seqs: everything queued before it has arrived by then.
func (p *peer) events(t *testing.T, last uint64) []uint64 {
	t.Helper()
	var got []uint64
	for {
		m := p.next(t)
		if m.Type != remotecontrol.TypeEvent || m.Frame == nil {
			t.Fatalf("agent got %+v, want events up to %d (so far %v)", m, last, got)
		}
		got = append(got, m.Frame.Seq)
		if m.Frame.Seq == last {
			return got
		}
	}
}

// closedWith waits for the relay to close the connection with a reason
// containing want, after any messages.
func (p *peer) closedWith(t *testing.T, want string) []remotecontrol.AgentMessage {
	t.Helper()
	var msgs []remotecontrol.AgentMessage
	timeout := time.After(wait)
	for {
		select {
		case m, ok := <-p.in:
			if ok {
				msgs = append(msgs, m)
				continue
			}
			if got := <-p.closed; !strings.Contains(got, want) {
				t.Fatalf("closed with %q, want %q", got, want)
			}
			return msgs
		case <-timeout:
			t.Fatalf("still open after %v, want a close with %q", wait, want)
		}
	}
}

func closeReason(err error) string {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return fmt.Sprintf("%d %s", ce.Code, ce.Reason)
	}
	return err.Error()
}

func move(seq uint64, x, y float64) remotecontrol.Frame {
	return remotecontrol.Frame{Event: remotecontrol.Event{Seq: seq, Kind: remotecontrol.Move, X: x, Y: y}}
}

func key(seq uint64, k string, mods ...string) remotecontrol.Frame {
	return remotecontrol.Frame{Event: remotecontrol.Event{Seq: seq, Kind: remotecontrol.KeyDown, Key: k, Mods: mods}}
}
