package signal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// raw is a signalling connection without media or client logic: it sends
// exactly what the test writes, the way an attacker past the UI would.
type raw struct {
	t   *testing.T
	ws  *websocket.Conn
	in  chan msg
	seq int64
	id  string // participant ID once welcomed
	// last is the highest server seq received (resume's last_seq).
	last atomic.Int64
}

func dialAs(t *testing.T, url, userID string) *raw {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h := http.Header{}
	if userID != "" {
		h.Set("X-Test-User", userID)
	}
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(1 << 20)
	r := &raw{t: t, ws: ws, in: make(chan msg, 256)}
	go func() {
		defer close(r.in)
		for {
			_, b, err := ws.Read(context.Background())
			if err != nil {
				return
			}
			var m msg
			if json.Unmarshal(b, &m) == nil {
				if m.Seq > r.last.Load() {
					r.last.Store(m.Seq)
				}
				r.in <- m
			}
		}
	}()
	t.Cleanup(func() { ws.CloseNow() })
	return r
}

// send writes one message and returns its seq.
func (r *raw) send(typ string, data any) int64 {
	r.t.Helper()
	if err := r.trySend(typ, data); err != nil {
		r.t.Fatalf("send %s: %v", typ, err)
	}
	return r.seq
}

func (r *raw) trySend(typ string, data any) error {
	r.seq++
	d, _ := json.Marshal(data)
	b, _ := json.Marshal(map[string]any{"type": typ, "seq": r.seq, "data": json.RawMessage(d)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return r.ws.Write(ctx, websocket.MessageText, b)
}

// next returns the next message of one of types, skipping others.
func (r *raw) next(types ...string) msg {
	r.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-r.in:
			if !ok {
				r.t.Fatalf("connection closed while waiting for %v", types)
			}
			for _, typ := range types {
				if m.Type == typ {
					return m
				}
			}
		case <-timeout:
			r.t.Fatalf("no %v within 10 s", types)
		}
	}
}

// hello joins; the answer (welcome, waiting or error) is returned.
func (r *raw) hello(name, passcode string, extra map[string]any) msg {
	r.t.Helper()
	d := map[string]any{"version": 1, "meeting_id": testserver.MeetingID, "passcode": passcode, "name": name}
	for k, v := range extra {
		d[k] = v
	}
	r.send("hello", d)
	m := r.next("welcome", "waiting", "error", "bye")
	if m.Type == "welcome" {
		var w struct {
			ID string `json:"participant_id"`
		}
		_ = json.Unmarshal(m.Data, &w)
		r.id = w.ID
	}
	return m
}

// outcome sends typ and reports the server's verdict: the code of the
// error that refers to it, or "ok" when the pong to a following ping (or a
// bye, for ending messages) comes with no such error. The server handles
// one connection's messages in order, so no timing is involved.
func (r *raw) outcome(typ string, data any) string {
	r.t.Helper()
	seq := r.send(typ, data)
	// A message that ends the meeting may close the socket before the ping
	// is written; its bye is then already on its way.
	_ = r.trySend("ping", struct{}{})
	verdict := "ok"
	for {
		m := r.next("pong", "error", "bye")
		switch m.Type {
		case "pong", "bye":
			return verdict
		case "error":
			var e struct {
				Code string `json:"code"`
				Ref  int64  `json:"ref"`
			}
			_ = json.Unmarshal(m.Data, &e)
			if e.Ref == seq {
				verdict = e.Code
			}
		}
	}
}

func (m msg) has(s string) bool { return strings.Contains(string(m.Data), s) }

// lobbyIDs waits for a lobby listing n people and returns their IDs.
func (r *raw) lobbyIDs(n int) []string {
	r.t.Helper()
	for {
		m := r.next("lobby")
		var l struct {
			Waiting []struct {
				ID string `json:"id"`
			} `json:"waiting"`
		}
		_ = json.Unmarshal(m.Data, &l)
		if len(l.Waiting) == n {
			ids := make([]string, n)
			for i, w := range l.Waiting {
				ids[i] = w.ID
			}
			return ids
		}
	}
}

// Accounts of the access-control tests.
var (
	hostUser   = store.User{ID: "u_host", Name: "Hana Host"}
	cohostUser = store.User{ID: "u_cohost", Name: "Cora Cohost"}
	attUser    = store.User{ID: "u_att", Name: "Ari Attendee"}
	presUser   = store.User{ID: "u_pres", Name: "Pia Presenter"}
	victimUser = store.User{ID: "u_victim", Name: "Vic Victim"}
)

// guardedServer runs the test meeting with the defaults of a fresh
// install: waiting room on, nobody before the host, presenters share.
func guardedServer(t *testing.T) string {
	t.Helper()
	return guardedWith(t, testserver.Options{}).WS
}

// guardedWith is guardedServer with more options (its meeting and users
// replace those of o).
func guardedWith(t *testing.T, o testserver.Options) *testserver.Server {
	t.Helper()
	o.Meeting = &store.Meeting{Title: "Guarded", HostID: hostUser.ID, Cohosts: []string{cohostUser.ID},
		WaitingRoom: true, ScreenShare: store.ScreenSharePresenters, Recording: o.Recordings != nil,
		Transcription: o.Transcriptions != nil}
	o.Users = []store.User{hostUser, cohostUser, attUser, presUser, victimUser}
	return testserver.Start(t, o)
}

// admitted joins through the waiting room, let in by host.
func admitted(t *testing.T, url string, host *raw, userID, name string, waitingBefore int) *raw {
	t.Helper()
	c := dialAs(t, url, userID)
	if m := c.hello(name, testserver.Passcode, nil); m.Type != "waiting" {
		t.Fatalf("%s: hello answered %s %s, want waiting", name, m.Type, m.Data)
	}
	ids := host.lobbyIDs(waitingBefore + 1)
	host.send("admit", map[string]string{"participant_id": ids[len(ids)-1]})
	m := c.next("welcome")
	var w struct {
		ID string `json:"participant_id"`
	}
	_ = json.Unmarshal(m.Data, &w)
	c.id = w.ID
	return c
}
