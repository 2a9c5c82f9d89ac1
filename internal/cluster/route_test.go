package cluster

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/testclock"
)

// holders answers Holder from a fixed table: meeting → node.
type holders map[string]Where

func (h holders) Holder(_ context.Context, id string) (Where, bool, error) {
	w, ok := h[id]
	return w, ok, nil
}

var testKey = []byte("0123456789abcdef0123456789abcdef")

// seen is what a node's own handler saw of a request.
type seen struct {
	remote, host, path, header string
}

// routedNode is one node: its router in front of a handler that records what
// it saw (or echoes a websocket).
func routedNode(t *testing.T, h holders, key []byte, clock *testclock.Clock, got chan<- seen) *httptest.Server {
	t.Helper()
	own := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" {
			ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
			if err != nil {
				return
			}
			defer ws.CloseNow()
			_ = ws.Write(r.Context(), websocket.MessageText, []byte("from "+r.RemoteAddr))
			return
		}
		got <- seen{remote: r.RemoteAddr, host: r.Host, path: r.URL.RequestURI(), header: r.Header.Get(ForwardHeader)}
		w.WriteHeader(http.StatusNoContent)
	})
	rt, err := NewRouter(own, RouterOptions{Holders: h, Key: key, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(rt)
	t.Cleanup(srv.Close)
	return srv
}

// entry serves one request on a router as if it came from client.
func entry(t *testing.T, h holders, clock *testclock.Clock, method, target, client string) *httptest.ResponseRecorder {
	t.Helper()
	rt, err := NewRouter(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Served", "entry")
		w.WriteHeader(http.StatusNoContent)
	}), RouterOptions{Holders: h, Key: testKey, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest(method, target, nil)
	r.Host = "meet.example.org"
	r.RemoteAddr = client
	w := httptest.NewRecorder()
	rt.ServeHTTP(w, r)
	return w
}

// TestRouterPassesAMeetingsRequestsToItsNode: a meeting's files and
// remote control sockets reach the node holding its lease, with the client's address (not the forwarding
// node's) and the Host the client used; other requests, and meetings held
// here or by nobody, are served where they arrived.
func TestRouterPassesAMeetingsRequestsToItsNode(t *testing.T) {
	clock := newClock()
	got := make(chan seen, 1)
	b := routedNode(t, holders{"m1": {Local: true, Node: "b"}}, testKey, clock, got)
	h := holders{"m1": {Node: "b", URL: b.URL}, "m2": {Local: true, Node: "a"}}

	for _, target := range []string{"/api/meetings/m1/files/f_1", "/api/control/input?meeting=m1", "/api/control/agent?meeting=m1"} {
		w := entry(t, h, clock, "GET", target, "203.0.113.9:5555")
		if w.Code != http.StatusNoContent || w.Header().Get("X-Served") != "" {
			t.Fatalf("%s: answer %d %v, want b's", target, w.Code, w.Header())
		}
		s := <-got
		if s.remote != "203.0.113.9:0" || s.host != "meet.example.org" || s.path != target || s.header != "" {
			t.Fatalf("%s: b saw %+v", target, s)
		}
	}
	for _, target := range []string{"/api/meetings/m2/files", "/api/meetings/m3/files", "/api/meetings/m1/passcode", "/m/m1", "/ws", "/ws?meeting=m3",
		"/api/control/input", "/api/control/agent", "/api/control/input?meeting=m2", "/api/control/agent?meeting=m3", "/api/control/other?meeting=m1"} {
		if w := entry(t, h, clock, "GET", target, "203.0.113.9:5555"); w.Header().Get("X-Served") != "entry" {
			t.Errorf("%s was not served where it arrived", target)
		}
	}
}

// TestRouterPassesTheSignallingSocket: a websocket naming a meeting held
// elsewhere is upgraded through to the holder, which sees the client's
// address.
func TestRouterPassesTheSignallingSocket(t *testing.T) {
	clock := newClock()
	b := routedNode(t, holders{"m1": {Local: true}}, testKey, clock, nil)
	a := routedNode(t, holders{"m1": {Node: "b", URL: b.URL}}, testKey, clock, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(a.URL, "http")+"/ws?meeting=m1", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	_, msg, err := ws.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if string(msg) != "from 127.0.0.1:0" {
		t.Fatalf("b answered %q, want the forwarded client address", msg)
	}
}

// TestRouterRefusesForgedForwarding: a forwarded header that this
// cluster's key did not seal, that was sealed for another request, or
// that is stale is refused, never served with the sender's address.
func TestRouterRefusesForgedForwarding(t *testing.T) {
	clock := newClock()
	b := routedNode(t, holders{"m1": {Local: true}}, testKey, clock, make(chan seen, 8))
	other, err := NewRouter(http.NotFoundHandler(), RouterOptions{Holders: holders{}, Key: []byte("another cluster's key, 32 bytes!"), Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	own, err := NewRouter(http.NotFoundHandler(), RouterOptions{Holders: holders{}, Key: testKey, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	path := "/api/meetings/m1/files"
	sealFor := func(rt *Router, p string) string {
		r := httptest.NewRequest("GET", b.URL+p, nil)
		return rt.seal("198.51.100.1", r)
	}
	fresh := sealFor(own, path)
	cases := map[string]string{
		"made up":           "v1;198.51.100.1;0;00",
		"another key":       sealFor(other, path),
		"another request":   sealFor(own, "/api/meetings/m1/files/f_2"),
		"not a header":      "hello",
		"address not an IP": "v1;evil;0;00",
	}
	clock.Advance(2 * forwardSkew)
	cases["stale"] = fresh
	for name, header := range cases {
		req, _ := http.NewRequest("GET", b.URL+path, nil)
		req.Header.Set(ForwardHeader, header)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403", name, res.StatusCode)
		}
	}
}

// TestRouterAnswersWhileTheHolderIsDown: a holder that does not answer
// (it died; its lease has not expired yet) gets the client a 503 with
// Retry-After, so it tries again until the meeting is placed anew.
func TestRouterAnswersWhileTheHolderIsDown(t *testing.T) {
	clock := newClock()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	w := entry(t, holders{"m1": {Node: "b", URL: dead.URL}}, clock, "GET", "/ws?meeting=m1", "203.0.113.9:5555")
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("answer %d %v, want 503 with Retry-After", w.Code, w.Header())
	}
}

func TestForwardKey(t *testing.T) {
	if _, err := ForwardKey([]byte("short")); err == nil {
		t.Fatal("a short audit key gave a forwarding key")
	}
	k1, err := ForwardKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := ForwardKey(testKey)
	if string(k1) != string(k2) || string(k1) == string(testKey) {
		t.Fatal("the forwarding key is not a stable derivation apart from the audit key")
	}
}
