package signal_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/client"
)

// rawConn is a websocket speaking the protocol by hand, to send what a
// well-behaved client never would.
type rawConn struct {
	t  *testing.T
	ws *websocket.Conn
}

func dialRaw(t *testing.T, url string) *rawConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	ws.SetReadLimit(1 << 20)
	t.Cleanup(func() { ws.CloseNow() })
	return &rawConn{t: t, ws: ws}
}

func (r *rawConn) send(frame string) {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.ws.Write(ctx, websocket.MessageText, []byte(frame)); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

type msg struct {
	Type string          `json:"type"`
	Seq  int64           `json:"seq"`
	Data json.RawMessage `json:"data"`
}

// next returns the next message, skipping resume tokens (resume_test.go
// reads them).
func (r *rawConn) next() (msg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for {
		_, b, err := r.ws.Read(ctx)
		if err != nil {
			return msg{}, err
		}
		var m msg
		if err := json.Unmarshal(b, &m); err != nil {
			r.t.Fatalf("server sent invalid JSON %q", b)
		}
		if m.Type != "resume_token" {
			return m, nil
		}
	}
}

func (r *rawConn) expectError(code string) client.Error {
	r.t.Helper()
	m, err := r.next()
	if err != nil {
		r.t.Fatalf("expected error %s, connection ended: %v", code, err)
	}
	var e client.Error
	_ = json.Unmarshal(m.Data, &e)
	if m.Type != "error" || e.Code != code {
		r.t.Fatalf("got %s %s, want error %s", m.Type, m.Data, code)
	}
	return e
}

func (r *rawConn) expectClosed() {
	r.t.Helper()
	for {
		m, err := r.next()
		if err != nil {
			return
		}
		if m.Type != "bye" && m.Type != "error" {
			r.t.Fatalf("expected the connection to close, got %s", m.Type)
		}
	}
}

const goodHello = `{"type":"hello","data":{"version":1,"meeting_id":"m1","passcode":"secret","name":"Eve"}}`

func TestUnknownMeetingAndWrongPasscodeAreIndistinguishable(t *testing.T) {
	url, _ := testServer(t, 0)
	var got []client.Error
	for _, hello := range []string{
		`{"type":"hello","data":{"version":1,"meeting_id":"nope","passcode":"secret","name":"Eve"}}`,
		`{"type":"hello","data":{"version":1,"meeting_id":"m1","passcode":"wrong","name":"Eve"}}`,
		`{"type":"hello","data":{"version":1,"meeting_id":"m1","name":"Eve"}}`,
	} {
		r := dialRaw(t, url)
		r.send(hello)
		got = append(got, r.expectError("join_refused"))
		r.expectClosed()
	}
	for _, e := range got[1:] {
		if e != got[0] {
			t.Fatalf("refusals differ: %+v vs %+v", got[0], e)
		}
	}
}

func TestBadInputGetsErrorsNotCrashes(t *testing.T) {
	url, _ := testServer(t, 0)
	r := dialRaw(t, url)
	cases := []struct{ frame, code string }{
		{`not json`, "bad_json"},
		{`[1,2]`, "bad_json"},
		{`{"type":""}`, "bad_json"},
		{`{"type":"ping"}`, "out_of_order"}, // before hello
		{`{"type":"publish","data":{}}`, "out_of_order"},
		{`{"type":"teleport"}`, "unknown_type"},
		{`{"type":"hello","data":[]}`, "bad_request"},
		{`{"type":"hello","data":{"version":"one"}}`, "bad_request"},
	}
	for _, c := range cases {
		r.send(c.frame)
		r.expectError(c.code)
	}
	// Ten errors in a row end a connection (see below); use a fresh one.
	r = dialRaw(t, url)
	cases = []struct{ frame, code string }{
		{`{"type":"hello","data":{"version":1,"meeting_id":"m1","passcode":"secret","name":"   "}}`, "bad_request"},
		{`{"type":"hello","data":{"version":1,"meeting_id":"m1","passcode":"secret","name":"a\u0007b"}}`, "bad_request"},
		{`{"type":"hello","data":{"version":1,"meeting_id":"m1","passcode":"secret","name":"` + strings.Repeat("x", 65) + `"}}`, "bad_request"},
	}
	for _, c := range cases {
		r.send(c.frame)
		r.expectError(c.code)
	}
	// Still usable: now join properly.
	r.send(goodHello)
	if m, err := r.next(); err != nil || m.Type != "welcome" {
		t.Fatalf("join after errors: %v %v", m.Type, err)
	}
	joined := []struct{ frame, code string }{
		{goodHello, "out_of_order"},
		{`{"type":"publish","data":{"sdp":{"type":"answer","sdp":"x"},"tracks":{"0":"audio"}}}`, "bad_request"},
		{`{"type":"publish","data":{"sdp":{"type":"offer","sdp":"garbage"},"tracks":{"0":"audio"}}}`, "bad_request"},
		{`{"type":"publish","data":{"sdp":{"type":"offer","sdp":"v=0"},"tracks":{"0":"microwave"}}}`, "bad_request"},
		{`{"type":"subscribe_answer","data":{"sdp":{"type":"answer","sdp":"v=0"}}}`, "bad_request"}, // no offer out
		{`{"type":"ice","data":{"pc":"sideways","candidate":{"candidate":"x"}}}`, "bad_request"},
		{`{"type":"video_size","data":{"participant_id":"p","source":"audio","width":1,"height":1}}`, "bad_request"},
		{`{"type":"video_size","data":{"participant_id":"p","source":"camera","width":-1,"height":1}}`, "bad_request"},
	}
	for _, c := range joined {
		r.send(c.frame)
		r.expectError(c.code)
	}
	r.send(`{"type":"ping","seq":42}`)
	if m, err := r.next(); err != nil || m.Type != "pong" {
		t.Fatalf("ping after errors: %v %v", m.Type, err)
	}
}

func TestErrorCarriesSeqAsRef(t *testing.T) {
	url, _ := testServer(t, 0)
	r := dialRaw(t, url)
	r.send(`{"type":"ping","seq":7}`)
	if e := r.expectError("out_of_order"); e.Ref != 7 {
		t.Fatalf("ref = %d, want 7", e.Ref)
	}
}

func TestUnsupportedVersionCloses(t *testing.T) {
	url, _ := testServer(t, 0)
	r := dialRaw(t, url)
	r.send(`{"type":"hello","data":{"version":2,"meeting_id":"m1","passcode":"secret","name":"Eve"}}`)
	r.expectError("unsupported_version")
	r.expectClosed()
}

func TestOversizedFrameClosesConnection(t *testing.T) {
	url, _ := testServer(t, 0)
	r := dialRaw(t, url)
	r.send(`{"type":"ping","data":{"x":"` + strings.Repeat("a", 70<<10) + `"}}`)
	_, err := r.next()
	if websocket.CloseStatus(err) != websocket.StatusMessageTooBig {
		t.Fatalf("close status = %v (%v), want 1009", websocket.CloseStatus(err), err)
	}
}

func TestBinaryFrameRefused(t *testing.T) {
	url, _ := testServer(t, 0)
	r := dialRaw(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.ws.Write(ctx, websocket.MessageBinary, []byte(goodHello)); err != nil {
		t.Fatal(err)
	}
	r.expectError("bad_json")
}

func TestRepeatedProtocolErrorsDisconnect(t *testing.T) {
	url, _ := testServer(t, 0)
	r := dialRaw(t, url)
	for i := 0; i < 10; i++ {
		r.send(`nonsense`)
	}
	for {
		m, err := r.next()
		if err != nil {
			t.Fatal("closed without bye")
		}
		if m.Type == "bye" {
			if !strings.Contains(string(m.Data), "protocol_error") {
				t.Fatalf("bye reason %s", m.Data)
			}
			break
		}
	}
	r.expectClosed()
}

func TestFloodIsRateLimited(t *testing.T) {
	url, _ := testServer(t, 0)
	r := dialRaw(t, url)
	r.send(goodHello)
	if m, _ := r.next(); m.Type != "welcome" {
		t.Fatalf("got %s", m.Type)
	}
	for i := 0; i < 300; i++ {
		r.send(`{"type":"ping"}`)
	}
	limited := false
	for i := 0; i < 300; i++ {
		m, err := r.next()
		if err != nil {
			break
		}
		if m.Type == "error" && strings.Contains(string(m.Data), "rate_limited") {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("300 messages at once were not rate limited")
	}
}

func TestMeetingFull(t *testing.T) {
	url, _ := testServer(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	a, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "A"}, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, err = client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "B"}, client.Options{})
	var e *client.Error
	if !errors.As(err, &e) || e.Code != "meeting_full" {
		t.Fatalf("second join: %v, want meeting_full", err)
	}
}

// events collects a client's signalling messages.
type events struct{ ch chan msg }

func newEvents() *events { return &events{ch: make(chan msg, 256)} }

func (e *events) on(typ string, data json.RawMessage) {
	select {
	case e.ch <- msg{Type: typ, Data: data}:
	default:
	}
}

func (e *events) wait(t *testing.T, typ string, contains string) msg {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m := <-e.ch:
			if m.Type == typ && strings.Contains(string(m.Data), contains) {
				return m
			}
		case <-timeout:
			t.Fatalf("no %s containing %q within 10 s", typ, contains)
		}
	}
}

func TestMembershipEvents(t *testing.T) {
	url, _ := testServer(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	evA := newEvents()
	a, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Ada"}, client.Options{OnMessage: evA.on})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Bob"}, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Welcome.Participants) != 1 || b.Welcome.Participants[0].Name != "Ada" || b.Welcome.Participants[0].Verified {
		t.Fatalf("Bob's welcome lists %+v, want unverified Ada", b.Welcome.Participants)
	}
	evA.wait(t, "participant_joined", `"name":"Bob"`)
	if err := b.Send(ctx, "media_state", map[string]bool{"audio": true, "video": false, "screen": true}); err != nil {
		t.Fatal(err)
	}
	evA.wait(t, "participant_updated", `"screen":true`)
	b.Close()
	evA.wait(t, "participant_left", b.ID())
}

func TestShutdownSaysGoodbye(t *testing.T) {
	url, rooms := testServer(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ev := newEvents()
	a, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Ada"}, client.Options{OnMessage: ev.on})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := rooms.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	ev.wait(t, "bye", "server_shutdown")
	select {
	case <-a.Done():
	case <-ctx.Done():
		t.Fatal("connection not closed after shutdown")
	}
	if _, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Late"}, client.Options{}); err == nil {
		t.Fatal("joined a server that is shutting down")
	}
}
