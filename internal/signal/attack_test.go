package signal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// The attacks below go past the web client with raw protocol messages.
// Every one must be refused, and the server must stay up for the next.

func TestAttackJoinWithoutPasscode(t *testing.T) {
	url := guardedServer(t)
	for _, pass := range []string{"", "wrong", "SECRET", "secret "} {
		c := dialAs(t, url, "")
		if m := c.hello("Eve", pass, nil); m.Type != "error" || !m.has(`"join_refused"`) {
			t.Errorf("passcode %q: %s %s, want join_refused", pass, m.Type, m.Data)
		}
	}
	// Not even the host skips the passcode.
	c := dialAs(t, url, hostUser.ID)
	if m := c.hello("Hana", "", nil); m.Type != "error" || !m.has(`"join_refused"`) {
		t.Errorf("host without passcode: %s %s", m.Type, m.Data)
	}
	serverAlive(t, url)
}

func TestAttackAdmitSelfFromWaitingRoom(t *testing.T) {
	url := guardedServer(t)
	host := dialAs(t, url, hostUser.ID)
	host.hello("Hana", testserver.Passcode, nil)
	eve := dialAs(t, url, "")
	if m := eve.hello("Eve", testserver.Passcode, nil); m.Type != "waiting" {
		t.Fatalf("hello: %s", m.Type)
	}
	self := host.lobbyIDs(1)[0]
	for typ, data := range map[string]any{
		"admit":    map[string]any{"participant_id": self},
		"set_role": map[string]any{"participant_id": self, "role": "cohost"},
		"lock":     map[string]any{"locked": false},
	} {
		if got := eve.outcome(typ, data); got != "forbidden" {
			t.Errorf("waiting %s on self: %q, want forbidden", typ, got)
		}
	}
	if got := eve.outcome("admit", map[string]any{"all": true}); got != "forbidden" {
		t.Errorf("waiting admit all: %q", got)
	}
	// Still waiting: no welcome, no participant list, no chat came.
	host.send("chat", map[string]string{"text": "secret agenda"})
	eve.send("ping", struct{}{})
	for {
		m := eve.next("pong", "welcome", "chat", "participant_joined", "lobby", "meeting_updated", "subscribe_offer")
		if m.Type == "pong" {
			break
		}
		t.Fatalf("a waiting client received %s %s", m.Type, m.Data)
	}
}

func TestAttackSubscribeWhileWaiting(t *testing.T) {
	url := guardedServer(t)
	host := dialAs(t, url, hostUser.ID)
	host.hello("Hana", testserver.Passcode, nil)
	eve := dialAs(t, url, "")
	eve.hello("Eve", testserver.Passcode, nil)
	offer := map[string]any{"sdp": map[string]string{"type": "offer", "sdp": "v=0\r\n"}, "tracks": map[string]string{"0": "audio"}}
	for typ, data := range map[string]any{
		"publish":          offer,
		"subscribe_answer": map[string]any{"sdp": map[string]string{"type": "answer", "sdp": "v=0\r\n"}},
		"ice":              map[string]any{"pc": "subscribe", "candidate": map[string]any{"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"}},
		"ice_restart":      struct{}{},
		"video_size":       map[string]any{"participant_id": host.id, "source": "camera", "width": 640, "height": 360},
		"media_state":      map[string]bool{"audio": true},
		"chat":             map[string]string{"text": "let me in"},
	} {
		if got := eve.outcome(typ, data); got != "forbidden" {
			t.Errorf("waiting client's %s: %q, want forbidden", typ, got)
		}
	}
}

func TestAttackOtherMeeting(t *testing.T) {
	url := guardedServer(t)
	host := dialAs(t, url, hostUser.ID)
	host.hello("Hana", testserver.Passcode, nil)
	// A participant in meeting m2, whose host is the same account.
	other := dialAs(t, url, hostUser.ID)
	other.send("hello", map[string]any{"version": 1, "meeting_id": testserver.OtherMeetingID, "passcode": testserver.Passcode, "name": "Olga"})
	m := other.next("welcome")
	var w struct {
		ID string `json:"participant_id"`
	}
	_ = json.Unmarshal(m.Data, &w)
	stranger := dialAs(t, url, "")
	stranger.send("hello", map[string]any{"version": 1, "meeting_id": testserver.OtherMeetingID, "passcode": testserver.Passcode, "name": "Sam"})
	strangerID := other.lobbyIDs(1)[0]

	// The host of m1 acts on people of m2: they do not exist here.
	for typ, data := range map[string]any{
		"remove":     map[string]any{"participant_id": w.ID, "ban": true},
		"mute":       map[string]any{"participant_id": w.ID, "source": "audio"},
		"ask_unmute": map[string]any{"participant_id": w.ID, "source": "audio"},
		"set_role":   map[string]any{"participant_id": w.ID, "role": "presenter"},
		"admit":      map[string]any{"participant_id": strangerID},
		"deny":       map[string]any{"participant_id": strangerID},
		"chat":       map[string]any{"text": "psst", "to": []string{w.ID}},
	} {
		if got := host.outcome(typ, data); got != "not_found" {
			t.Errorf("%s on another meeting's participant: %q, want not_found", typ, got)
		}
	}
	if got := other.outcome("ping", struct{}{}); got != "ok" {
		t.Fatalf("the other meeting's host was disturbed: %q", got)
	}
}

func TestAttackForgedIDs(t *testing.T) {
	url := guardedServer(t)
	host := dialAs(t, url, hostUser.ID)
	host.hello("Hana", testserver.Passcode, nil)
	eve := admitted(t, url, host, "", "Eve", 0)
	// Forged, malformed and huge IDs are all simply unknown.
	for _, id := range []string{"p_0000000000000000", "", "../../etc", string(make([]byte, 4000)), host.id + "x"} {
		if got := host.outcome("mute", map[string]any{"participant_id": id, "source": "audio"}); got != "not_found" {
			t.Errorf("mute %.24q: %q, want not_found", id, got)
		}
	}
	// A sender cannot claim to be someone else: the server names the
	// sender from the connection and ignores any "from" or ID fields.
	eve.send("chat", map[string]any{"text": "I am the host", "from": host.id, "participant_id": host.id})
	m := host.next("chat")
	var msg struct {
		From string `json:"from"`
	}
	_ = json.Unmarshal(m.Data, &msg)
	if msg.From != eve.id {
		t.Fatalf("chat relayed as from %q, want the real sender %q", msg.From, eve.id)
	}
	// Nor does naming the host's ID in hello make anyone the host.
	mallory := dialAs(t, url, "")
	if m := mallory.hello("Hana", testserver.Passcode, map[string]any{"participant_id": host.id, "role": "host", "user_id": hostUser.ID}); m.Type != "waiting" {
		t.Fatalf("forged hello: %s %s, want waiting", m.Type, m.Data)
	}
	// And a guest cannot act on the host.
	if got := eve.outcome("remove", map[string]any{"participant_id": host.id}); got != "forbidden" {
		t.Errorf("guest removes host: %q", got)
	}
	serverAlive(t, url)
}

// A co-host cannot act on the host or another co-host (rank), and cannot
// make co-hosts.
func TestCohostRank(t *testing.T) {
	url := guardedServer(t)
	host := dialAs(t, url, hostUser.ID)
	host.hello("Hana", testserver.Passcode, nil)
	co := dialAs(t, url, cohostUser.ID)
	co.hello("Cora", testserver.Passcode, nil)
	att := admitted(t, url, host, attUser.ID, "Ari", 0)
	host.send("set_role", map[string]string{"participant_id": att.id, "role": "cohost"})
	att.next("lobby") // co-hosts get the queue on promotion
	for typ, data := range map[string]any{
		"remove":   map[string]any{"participant_id": host.id},
		"mute":     map[string]any{"participant_id": host.id, "source": "audio"},
		"set_role": map[string]any{"participant_id": att.id, "role": "attendee"},
	} {
		if got := co.outcome(typ, data); got != "forbidden" {
			t.Errorf("co-host %s on a higher or equal rank: %q, want forbidden", typ, got)
		}
	}
	if got := host.outcome("set_role", map[string]string{"participant_id": host.id, "role": "attendee"}); got != "forbidden" {
		t.Errorf("host demotes self: %q, want forbidden", got)
	}
}

// Screen share from a participant who may not share never reaches anyone,
// whatever the client sends, until a host makes them presenter.
func TestAttackScreenShareWithoutPermission(t *testing.T) {
	url := guardedServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var screen, camera atomic.Int64
	lobby := make(chan string, 4)
	host, err := client.Dial(ctx, url, client.Hello{MeetingID: testserver.MeetingID, Passcode: testserver.Passcode, Name: "Hana"}, client.Options{
		Header: http.Header{"X-Test-User": {hostUser.ID}},
		OnTrack: func(owner, source string, tr *webrtc.TrackRemote) {
			n := map[string]*atomic.Int64{"screen": &screen, "camera": &camera}[source]
			buf := make([]byte, 1500)
			for {
				if _, _, err := tr.Read(buf); err != nil {
					return
				}
				if n != nil {
					n.Add(1)
				}
			}
		},
		OnMessage: func(typ string, data json.RawMessage) {
			var l struct {
				Waiting []struct {
					ID string `json:"id"`
				} `json:"waiting"`
			}
			if typ == "lobby" && json.Unmarshal(data, &l) == nil && len(l.Waiting) > 0 {
				lobby <- l.Waiting[0].ID
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	go func() {
		id := <-lobby
		_ = host.Send(ctx, "admit", map[string]string{"participant_id": id})
	}()
	att, err := client.Dial(ctx, url, client.Hello{MeetingID: testserver.MeetingID, Passcode: testserver.Passcode, Name: "Ari"},
		client.Options{Header: http.Header{"X-Test-User": {attUser.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	go att.Pump(ctx, client.PumpOptions{})
	go pumpScreen(ctx, att.Screen)
	waitFor(t, "the attendee's camera", func() bool { return camera.Load() > 50 })
	if got := screen.Load(); got != 0 {
		t.Fatalf("host received %d screen packets from an attendee", got)
	}
	if err := host.Send(ctx, "set_role", map[string]string{"participant_id": att.ID(), "role": "presenter"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the presenter's screen", func() bool { return screen.Load() > 20 })
}

// pumpScreen sends VP8-shaped packets on the screen track until ctx ends.
func pumpScreen(ctx context.Context, tr *webrtc.TrackLocalStaticRTP) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	var seq uint16
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		seq++
		// A VP8 keyframe payload descriptor and frame tag, then filler.
		payload := append([]byte{0x10, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01}, make([]byte, 200)...)
		_ = tr.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: uint32(seq) * 3000, Marker: true}, Payload: payload})
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	eventually.True(t, what, ok)
}

// serverAlive checks that a fresh participant can still join and talk.
func serverAlive(t *testing.T, url string) {
	t.Helper()
	host := dialAs(t, url, hostUser.ID)
	if m := host.hello("Hana", testserver.Passcode, nil); m.Type != "welcome" {
		t.Fatalf("server no longer admits its host: %s %s", m.Type, m.Data)
	}
	if got := host.outcome("ping", struct{}{}); got != "ok" {
		t.Fatalf("ping after attacks: %q", got)
	}
}

// Guessing passcodes locks the guesser out, even once they find the right
// one; the answer says how long to wait.
func TestAttackPasscodeGuessingLocksOut(t *testing.T) {
	url := guardedServer(t)
	for i := 0; i < 10; i++ {
		c := dialAs(t, url, "")
		if m := c.hello("Eve", "guess-"+string(rune('a'+i)), nil); !m.has(`"join_refused"`) {
			t.Fatalf("guess %d: %s %s", i, m.Type, m.Data)
		}
	}
	c := dialAs(t, url, hostUser.ID)
	m := c.hello("Hana", testserver.Passcode, nil)
	if m.Type != "error" || !m.has(`"too_many_attempts"`) || !m.has(`"retry_after":`) {
		t.Fatalf("right passcode after 10 wrong ones from the same address: %s %s", m.Type, m.Data)
	}
}

// A connection whose hello is refused without closing it (a bad name) does
// not get to stay: the hello timeout still ends it.
func TestAttackIdleAfterRefusedHello(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{HelloTimeout: 300 * time.Millisecond})
	c := dialAs(t, srv.WS, "")
	if m := c.hello("", testserver.Passcode, nil); m.Type != "error" || !m.has(`"bad_request"`) {
		t.Fatalf("hello without a name: %s %s", m.Type, m.Data)
	}
	if m := c.next("bye"); !m.has(`"protocol_error"`) {
		t.Fatalf("bye %s", m.Data)
	}
}
