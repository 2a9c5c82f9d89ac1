package signal_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/testserver"
)

// placer places every meeting where the test says, and counts its calls.
type placer struct {
	mu      sync.Mutex
	local   bool
	started time.Time
	err     error
	calls   []string
}

func (p *placer) Place(_ context.Context, id string) (bool, time.Time, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, id)
	return p.local, p.started, p.err
}

func (p *placer) called() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.calls...)
}

func placedServer(t *testing.T, p *placer) *testserver.Server {
	t.Helper()
	return testserver.Start(t, testserver.Options{Placement: p})
}

// TestHelloForAMeetingElsewhereIsRedirected: a hello for a meeting that
// runs on another node is answered with redirect, naming the meeting on
// the origin the client came by, and the socket closes: the client is
// neither welcomed nor waiting here.
func TestHelloForAMeetingElsewhereIsRedirected(t *testing.T) {
	p := &placer{}
	srv := placedServer(t, p)
	r := dialAs(t, srv.WS, "")
	r.send("hello", map[string]any{"version": 1, "meeting_id": testserver.MeetingID, "passcode": testserver.Passcode, "name": "Ada"})
	m := r.next("redirect", "welcome", "waiting", "error", "bye")
	if m.Type != "redirect" {
		t.Fatalf("answer %s %s, want redirect", m.Type, m.Data)
	}
	var d struct{ URL string }
	_ = json.Unmarshal(m.Data, &d)
	want := srv.WS + "?meeting=" + testserver.MeetingID
	if d.URL != want {
		t.Fatalf("redirect to %q, want %q", d.URL, want)
	}
	expectClosed(t, r)
	if rooms, _ := srv.Rooms.Count(); rooms != 0 {
		t.Fatalf("%d rooms live here after a redirect", rooms)
	}
}

// TestRedirectFollowsTheBrowsersOrigin: a browser reaching the node
// through the public name is sent back to that name (its page's origin),
// not to the node's own address.
func TestRedirectFollowsTheBrowsersOrigin(t *testing.T) {
	srv := placedServer(t, &placer{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := http.Header{"Origin": {strings.Replace(srv.URL, "ws", "http", 1)}}
	ws, _, err := websocket.Dial(ctx, srv.WS, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	hello, _ := json.Marshal(map[string]any{"type": "hello", "seq": 1, "data": map[string]any{
		"version": 1, "meeting_id": testserver.MeetingID, "passcode": testserver.Passcode, "name": "Ada"}})
	if err := ws.Write(ctx, websocket.MessageText, hello); err != nil {
		t.Fatal(err)
	}
	_, b, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?meeting=" + testserver.MeetingID
	if !strings.Contains(string(b), `"redirect"`) || !strings.Contains(string(b), want) {
		t.Fatalf("answer %s, want a redirect to %s", b, want)
	}
}

// TestNoPlacementBeforeThePasscode: a wrong passcode is refused as on one
// node, and never asks for a placement (an outsider must not write a
// lease); a meeting placed here is joined as on one node.
func TestNoPlacementBeforeThePasscode(t *testing.T) {
	p := &placer{local: true}
	srv := placedServer(t, p)
	bad := dialAs(t, srv.WS, "")
	if m := bad.hello("Eve", "000000", nil); m.Type != "error" || !m.has("join_refused") {
		t.Fatalf("wrong passcode: %s %s", m.Type, m.Data)
	}
	if calls := p.called(); len(calls) != 0 {
		t.Fatalf("placed %v for a wrong passcode", calls)
	}
	ok := dialAs(t, srv.WS, "")
	if m := ok.hello("Ada", testserver.Passcode, nil); m.Type != "welcome" {
		t.Fatalf("meeting placed here: %s %s, want welcome", m.Type, m.Data)
	}
	if calls := p.called(); len(calls) != 1 || calls[0] != testserver.MeetingID {
		t.Fatalf("placements %v, want one for the meeting", calls)
	}
}

// TestPlacementFailureRefusesTheJoin: when the cluster's database cannot
// say where the meeting runs, the join is refused (internal, fatal) rather
// than opening a second copy of the meeting here.
func TestPlacementFailureRefusesTheJoin(t *testing.T) {
	srv := placedServer(t, &placer{err: errors.New("database down")})
	r := dialAs(t, srv.WS, "")
	if m := r.hello("Ada", testserver.Passcode, nil); m.Type != "error" || !m.has("internal") {
		t.Fatalf("answer %s %s, want internal error", m.Type, m.Data)
	}
	expectClosed(t, r)
	if rooms, _ := srv.Rooms.Count(); rooms != 0 {
		t.Fatalf("%d rooms live after a failed placement", rooms)
	}
}

// expectClosed waits for the server to close r's socket.
func expectClosed(t *testing.T, r *raw) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-r.in:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("socket still open")
		}
	}
}
