package relay

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/remotecontrol"
)

// TestPairingCodeOnce: a code pairs one agent; a second use, an unknown
// code and a code of an ended grant are refused, each with its reason.
func TestPairingCodeOnce(t *testing.T) {
	r := newRig(t)
	g := r.start(t, "g1", false, false)
	a := r.agent(t, g.AgentCode)
	m := a.next(t)
	if m.Type != remotecontrol.TypeGranted || m.Grant != g.ID || m.Controller != "Ada" || m.PointerOnly || m.E2EE ||
		!m.ExpiresAt.Equal(g.ExpiresAt) {
		t.Fatalf("granted: %+v", m)
	}
	eventually.True(t, "the room hears the agent paired", func() bool { return slices.Equal(r.rooms.agentNews(), []string{"g1 on"}) })

	r.agent(t, g.AgentCode).closedWith(t, "used already")
	r.agent(t, "no-such-code").closedWith(t, "unknown pairing code")

	r.rel.End(g.ID, remotecontrol.CauseRevoked)
	a.closedWith(t, "control ended: revoked")
	r.agent(t, g.AgentCode).closedWith(t, "control has ended")
	if r.rel.Active(g.ID) {
		t.Fatal("the grant is still active after End")
	}
}

// TestPairingCodeUnusedEnded: a code never used is dead once its grant
// ends.
func TestPairingCodeUnusedEnded(t *testing.T) {
	r := newRig(t)
	g := r.start(t, "g1", false, false)
	r.rel.End(g.ID, remotecontrol.CauseStopped)
	r.agent(t, g.AgentCode).closedWith(t, "control has ended")
}

// TestAgentGetsAcceptedEventsInOrder: the agent gets exactly the events
// that pass, in the order sent; every refusal is dropped on the way.
func TestAgentGetsAcceptedEventsInOrder(t *testing.T) {
	r, _, a, in := controlled(t, false, false)
	sent := []remotecontrol.Frame{
		move(1, 0.25, 0.75),
		move(2, 1.5, 0.5),  // out of bounds
		move(3, 0.5, -0.1), // out of bounds
		key(4, "KeyA", remotecontrol.ModShift),
		key(5, "Delete", remotecontrol.ModCtrl, remotecontrol.ModAlt),     // Ctrl+Alt+Delete
		key(6, "F2", remotecontrol.ModCtrl, remotecontrol.ModAlt),         // VT switch
		key(7, "KeyL", remotecontrol.ModMeta),                             // lock
		key(8, "Escape", remotecontrol.ModAlt, remotecontrol.ModCtrl),     // the sharer's stop combination
		key(9, "PrintScreen", remotecontrol.ModAlt),                       // SysRq
		key(10, "Backspace", remotecontrol.ModCtrl, remotecontrol.ModAlt), // kills the X server
		key(11, "AudioVolumeUp"),                                          // unknown key
		key(12, "KeyB", "Hyper"),                                          // unknown modifier
		{Event: remotecontrol.Event{Seq: 13, Kind: "teleport"}},
		{Event: remotecontrol.Event{Seq: 14, Kind: remotecontrol.Down, X: 0.5, Y: 0.5, Button: 7}},
		{Event: remotecontrol.Event{Seq: 15, Kind: remotecontrol.Wheel, X: 0.5, Y: 0.5, DY: 1000}},
		move(3, 0.5, 0.5), // replayed seq: 1 and 4 passed before it
		move(4, 0.5, 0.5),
		{Event: remotecontrol.Event{Seq: 16, Kind: remotecontrol.Down, X: 0.5, Y: 0.5, Button: remotecontrol.ButtonLeft}},
		{Event: remotecontrol.Event{Seq: 17, Kind: remotecontrol.Wheel, X: 0.5, Y: 0.5, DY: 3}},
		{Event: remotecontrol.Event{Seq: 18}, Sealed: "AAAA"}, // sealed in a plain meeting
		key(19, "Escape"), // Escape alone is an ordinary key
		move(100, 5, 5),   // refused: its seq must not count
		move(30, 0, 1),    // gaps are allowed; corners are inside
	}
	for _, f := range sent {
		in.send(t, f)
	}
	if got, want := a.events(t, 30), []uint64{1, 4, 16, 17, 19, 30}; !slices.Equal(got, want) {
		t.Fatalf("agent got %v, want %v", got, want)
	}
	if ends := r.rooms.ended(); len(ends) != 0 {
		t.Fatalf("control ended: %v", ends)
	}
}

// TestPointerOnly: a view-pointer grant passes moves only.
func TestPointerOnly(t *testing.T) {
	_, _, a, in := controlled(t, false, true)
	in.send(t, key(1, "KeyA"))
	in.send(t, remotecontrol.Frame{Event: remotecontrol.Event{Seq: 2, Kind: remotecontrol.Down, X: 0.5, Y: 0.5}})
	in.send(t, remotecontrol.Frame{Event: remotecontrol.Event{Seq: 3, Kind: remotecontrol.Wheel, X: 0.5, Y: 0.5, DY: 1}})
	in.send(t, move(4, 0.5, 0.5))
	if got := a.events(t, 4); !slices.Equal(got, []uint64{4}) {
		t.Fatalf("agent got %v", got)
	}
}

// TestE2EEFrames: in an end-to-end encrypted meeting only sealed frames
// pass, unopened and without plain fields beside them; the agent opens
// them with the key that never reached the server.
func TestE2EEFrames(t *testing.T) {
	r := newRig(t)
	g := r.start(t, "g1", true, false)
	a := r.agent(t, g.AgentCode)
	if m := a.next(t); m.Type != remotecontrol.TypeGranted || !m.E2EE {
		t.Fatalf("granted: %+v", m)
	}
	in := r.input(t, g.ID, g.Token)
	k := make([]byte, remotecontrol.KeySize)
	k[0] = 42
	seal := func(e remotecontrol.Event) remotecontrol.Frame {
		f, err := remotecontrol.Seal(k, g.ID, e)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	in.send(t, move(1, 0.5, 0.5)) // plain: refused
	sealed := seal(remotecontrol.Event{Seq: 2, Kind: remotecontrol.KeyDown, Key: "KeyQ"})
	in.send(t, sealed)
	leaky := seal(remotecontrol.Event{Seq: 3, Kind: remotecontrol.Move, X: 0.1, Y: 0.1})
	leaky.Kind = remotecontrol.Move // a plain field beside the seal
	in.send(t, leaky)
	in.send(t, remotecontrol.Frame{Event: remotecontrol.Event{Seq: 4}, Sealed: "not base64!"})
	in.send(t, remotecontrol.Frame{Event: remotecontrol.Event{Seq: 5}, Sealed: strings.Repeat("A", 700)}) // opens to more than MaxEventBytes
	in.send(t, sealed)                                                                                    // replayed
	last := seal(remotecontrol.Event{Seq: 6, Kind: remotecontrol.Move, X: 0.9, Y: 0.9})
	in.send(t, last)

	var frames []remotecontrol.Frame
	for len(frames) == 0 || frames[len(frames)-1].Seq != 6 {
		m := a.next(t)
		if m.Frame == nil {
			t.Fatalf("agent got %+v", m)
		}
		frames = append(frames, *m.Frame)
	}
	if len(frames) != 2 || !reflect.DeepEqual(frames[0], sealed) || !reflect.DeepEqual(frames[1], last) {
		t.Fatalf("agent got %+v, want the two sealed frames as sent", frames)
	}
	if e, err := remotecontrol.Open(k, g.ID, frames[0]); err != nil || e.Key != "KeyQ" {
		t.Fatalf("open: %+v %v", e, err)
	}
}

// TestInputHelloRefused: the controller's connection needs an active
// grant and its token; each refusal says why, and enough of them lock the
// address out, before any code or token is even looked at.
func TestInputHelloRefused(t *testing.T) {
	r := newRig(t)
	g := r.start(t, "g1", false, false)
	r.input(t, g.ID, "wrong").closedWith(t, "wrong token for this grant")
	r.input(t, g.ID, "").closedWith(t, "wrong token for this grant")
	r.input(t, "g2", g.Token).closedWith(t, "no such grant of control")
	in := r.connect(t, "/api/control/input", map[string]string{"grant": g.ID, "token": g.Token, "extra": "x"})
	in.closedWith(t, "the first message must be the controller's hello")
	r.rel.End(g.ID, remotecontrol.CauseRevoked)
	r.input(t, g.ID, g.Token).closedWith(t, "no such grant of control")

	// Four wrong answers so far (the malformed hello is no guess);
	// GuessPolicy allows ten.
	for range GuessPolicy.MaxFailures - 4 {
		r.agent(t, "guess").closedWith(t, "unknown pairing code")
	}
	r.agent(t, "guess").closedWith(t, "too many wrong codes")
	g3 := r.start(t, "g3", false, false)
	r.input(t, g3.ID, g3.Token).closedWith(t, "too many wrong codes")
	r.clock.add(GuessPolicy.Lockout + time.Second)
	r.paired(t, g3)
}

// TestUsedCodeIsNoGuess: presenting a spent code is a mistake of the
// sharer's, not a guess: it does not count toward the lockout.
func TestUsedCodeIsNoGuess(t *testing.T) {
	r := newRig(t)
	g := r.start(t, "g1", false, false)
	r.paired(t, g)
	for range GuessPolicy.MaxFailures + 1 {
		r.agent(t, g.AgentCode).closedWith(t, "used already")
	}
	r.paired(t, r.start(t, "g2", false, false))
}

// TestNewerInputReplacesOlder: a reloaded page takes over; the old
// connection closes and its events no longer pass.
func TestNewerInputReplacesOlder(t *testing.T) {
	r := newRig(t)
	g := r.start(t, "g1", false, false)
	a := r.paired(t, g)
	old := r.input(t, g.ID, g.Token)
	old.send(t, move(1, 0.5, 0.5))
	a.events(t, 1)
	fresh := r.input(t, g.ID, g.Token)
	old.closedWith(t, "replaced by a newer connection")
	fresh.send(t, move(2, 0.5, 0.5))
	if got := a.events(t, 2); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("agent got %v", got)
	}
}

// TestNoAgentNoEvents: events sent before the agent pairs reach nobody;
// the agent that pairs later starts with what comes after.
func TestNoAgentNoEvents(t *testing.T) {
	r := newRig(t)
	g := r.start(t, "g1", false, false)
	before := r.clock.readings()
	in := r.input(t, g.ID, g.Token)
	in.send(t, move(1, 0.5, 0.5))
	in.send(t, move(2, 0.5, 0.5))
	// The address check of the connection and the two frames.
	eventually.True(t, "the relay took both frames", func() bool { return r.clock.readings() >= before+3 })
	a := r.paired(t, g)
	// A replayed 2 shows that the relay took 2 before the agent came.
	in.send(t, move(2, 0.5, 0.5))
	in.send(t, move(3, 0.5, 0.5))
	if got := a.events(t, 3); !slices.Equal(got, []uint64{3}) {
		t.Fatalf("agent got %v", got)
	}
}

// TestFloodCutOff: past the burst, refused events within one second end
// control (flood); the agent gets at most the burst, in order, then the
// end.
func TestFloodCutOff(t *testing.T) {
	r, _, a, in := controlled(t, false, false)
	n := remotecontrol.Burst + remotecontrol.FloodCut + 1
	for i := 1; i <= n; i++ {
		if in.try(move(uint64(i), 0.5, 0.5)) != nil {
			t.Fatalf("cut off at event %d, before the flood", i)
		}
	}
	in.closedWith(t, "control has ended")
	msgs := a.closedWith(t, "control ended: flood")
	var seqs []uint64
	for _, m := range msgs[:len(msgs)-1] {
		seqs = append(seqs, m.Frame.Seq)
	}
	if len(seqs) > remotecontrol.Burst || !slices.IsSorted(seqs) {
		t.Fatalf("agent got %d events (burst %d): %v", len(seqs), remotecontrol.Burst, seqs)
	}
	if end := msgs[len(msgs)-1]; end.Type != remotecontrol.TypeEnd || end.Cause != remotecontrol.CauseFlood {
		t.Fatalf("agent's last message: %+v", end)
	}
	if got := r.rooms.ended(); !slices.Equal(got, []string{"g1 flood"}) {
		t.Fatalf("room heard %v", got)
	}
}

// TestRateLimitedNotRefused: events over the rate but short of a flood
// are dropped without counting as bad input, and pass again once the
// bucket refills.
func TestRateLimitedNotRefused(t *testing.T) {
	r, _, a, in := controlled(t, false, false)
	in.send(t, move(1, 0.5, 0.5))
	a.events(t, 1)
	before := r.clock.readings()
	n := uint64(remotecontrol.Burst + MaxRefused + 5)
	for i := uint64(2); i <= n; i++ {
		in.send(t, move(i, 0.5, 0.5))
	}
	eventually.True(t, "the relay took every frame", func() bool { return r.clock.readings() >= before+int(n-1) })
	// Refill the bucket, or the marker would be dropped too.
	r.clock.add(time.Second)
	in.send(t, move(n+1, 0.5, 0.5))
	got := a.events(t, n+1)
	if len(got) != remotecontrol.Burst { // 1 came before
		t.Fatalf("agent got %d events, want the rest of the burst and the marker", len(got))
	}
	if ends := r.rooms.ended(); len(ends) != 0 {
		t.Fatalf("control ended: %v", ends)
	}
}

// TestBadInputCutOff: MaxRefused refused events end control (bad_input),
// even with good ones between them.
func TestBadInputCutOff(t *testing.T) {
	r, _, a, in := controlled(t, false, false)
	seq := uint64(0)
	for i := range MaxRefused {
		seq++
		if i%2 == 0 {
			in.send(t, move(seq, 0.5, 0.5))
			seq++
		}
		if in.raw(`{"seq": 1, "kind": "move", "surprise": true}`) != nil {
			t.Fatalf("cut off after %d refusals", i)
		}
	}
	in.closedWith(t, "control has ended")
	msgs := a.closedWith(t, "control ended: bad_input")
	if end := msgs[len(msgs)-1]; end.Cause != remotecontrol.CauseBadInput {
		t.Fatalf("agent's last message: %+v", end)
	}
	if got := r.rooms.ended(); !slices.Equal(got, []string{"g1 bad_input"}) {
		t.Fatalf("room heard %v", got)
	}
}

// TestExpiredOnInput: the first event past the time limit ends control
// (expired) even if the room's timer has not fired.
func TestExpiredOnInput(t *testing.T) {
	r, _, a, in := controlled(t, false, false)
	in.send(t, move(1, 0.5, 0.5))
	a.events(t, 1)
	r.clock.add(time.Hour)
	in.send(t, move(2, 0.5, 0.5))
	in.closedWith(t, "control has ended")
	if msgs := a.closedWith(t, "control ended: expired"); len(msgs) != 1 || msgs[0].Type != remotecontrol.TypeEnd {
		t.Fatalf("agent got %+v, want only the end", msgs)
	}
	if got := r.rooms.ended(); !slices.Equal(got, []string{"g1 expired"}) {
		t.Fatalf("room heard %v", got)
	}
}

// TestAgentStops: the agent's stop ends control with its cause; a cause
// the agent may not give becomes stop_key.
func TestAgentStops(t *testing.T) {
	for _, tc := range []struct{ sent, want string }{
		{remotecontrol.CauseStopKey, remotecontrol.CauseStopKey},
		{remotecontrol.CauseAgentClosed, remotecontrol.CauseAgentClosed},
		{remotecontrol.CauseExpired, remotecontrol.CauseExpired},
		{remotecontrol.CauseRevoked, remotecontrol.CauseStopKey},
		{"", remotecontrol.CauseStopKey},
	} {
		t.Run(tc.sent, func(t *testing.T) {
			r := newRig(t)
			g := r.start(t, "g1", false, false)
			a := r.paired(t, g)
			in := r.input(t, g.ID, g.Token)
			in.send(t, move(1, 0.5, 0.5))
			a.events(t, 1) // the input is attached
			a.send(t, remotecontrol.AgentMessage{Type: "chatter"})
			a.send(t, remotecontrol.AgentMessage{Type: remotecontrol.TypeStop, Cause: tc.sent})
			msgs := a.closedWith(t, "control ended: "+tc.want)
			if len(msgs) != 1 || msgs[0].Type != remotecontrol.TypeEnd || msgs[0].Cause != tc.want {
				t.Fatalf("agent got %+v", msgs)
			}
			in.closedWith(t, "control has ended")
			if got := r.rooms.ended(); !slices.Equal(got, []string{"g1 " + tc.want}) {
				t.Fatalf("room heard %v", got)
			}
			// Control ended, so the room never hears the agent "went
			// away" (which would hand out a fresh code).
			if news := r.rooms.agentNews(); !slices.Equal(news, []string{"g1 on"}) {
				t.Fatalf("agent news %v", news)
			}
		})
	}
}

// TestAgentGoesAway: an agent that drops does not end control; the room
// hears it went away, its fresh code pairs a new agent, and the events go
// there.
func TestAgentGoesAway(t *testing.T) {
	r := newRig(t)
	g := r.start(t, "g1", false, false)
	r.rooms.mu.Lock()
	r.rooms.fresh[g.ID] = "pairing-secret-fresh"
	r.rooms.mu.Unlock()
	a := r.paired(t, g)
	in := r.input(t, g.ID, g.Token)
	a.ws.CloseNow()
	eventually.True(t, "the room hears the agent went away", func() bool {
		return slices.Equal(r.rooms.agentNews(), []string{"g1 on", "g1 off"})
	})
	in.send(t, move(1, 0.5, 0.5)) // nobody to take it
	r.agent(t, g.AgentCode).closedWith(t, "used already")
	fresh := g
	fresh.AgentCode = "pairing-secret-fresh"
	b := r.paired(t, fresh)
	in.send(t, move(2, 0.5, 0.5))
	if got := b.events(t, 2); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("new agent got %v", got)
	}
	if ends := r.rooms.ended(); len(ends) != 0 {
		t.Fatalf("control ended: %v", ends)
	}
	if !r.rel.Active(g.ID) {
		t.Fatal("the grant ended with its agent")
	}
}

// TestEndClosesBoth: End closes the controller's and the agent's
// connections at once, the agent after the end message with the cause,
// and no event passes after.
func TestEndClosesBoth(t *testing.T) {
	r, g, a, in := controlled(t, false, false)
	in.send(t, move(1, 0.5, 0.5))
	a.events(t, 1)
	r.rel.End(g.ID, remotecontrol.CauseRevoked)
	r.rel.End(g.ID, remotecontrol.CauseRevoked) // twice: harmless
	in.closedWith(t, "control has ended")
	msgs := a.closedWith(t, "control ended: revoked")
	if len(msgs) != 1 || msgs[0].Type != remotecontrol.TypeEnd || msgs[0].Cause != remotecontrol.CauseRevoked {
		t.Fatalf("agent got %+v", msgs)
	}
	if ends := r.rooms.ended(); len(ends) != 0 {
		t.Fatalf("the relay told the room of an end the room made: %v", ends)
	}
}

// TestNoSecretInLogs: the relay logs grants by ID, never the token or
// the pairing code.
func TestNoSecretInLogs(t *testing.T) {
	r := newRig(t)
	g := r.start(t, "g1", false, false)
	a := r.paired(t, g)
	r.input(t, g.ID, "wrong").closedWith(t, "wrong token")
	a.ws.CloseNow()
	eventually.True(t, "the agent went away", func() bool { return len(r.rooms.agentNews()) == 2 })
	logs := r.logs.String()
	if !strings.Contains(logs, "g1") {
		t.Fatalf("nothing logged: %q", logs)
	}
	for _, secret := range []string{g.Token, g.AgentCode, "secret"} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log holds %q: %s", secret, logs)
		}
	}
}

// TestOriginAndHelloChecked: a browser from another origin is refused
// before the WebSocket opens (by default every browser is: only the
// signalling socket's check lets one in), and a hello that is not one
// text JSON object closes the connection.
func TestOriginAndHelloChecked(t *testing.T) {
	r := newRig(t)
	g := r.start(t, "g1", false, false)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for _, path := range []string{"/api/control/agent", "/api/control/input"} {
		ws, resp, err := websocket.Dial(ctx, r.url+path, &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://evil.example"}}})
		if err == nil {
			ws.CloseNow()
			t.Fatalf("%s: a cross-origin browser connected", path)
		}
		if resp == nil || resp.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: %v, want 403", path, err)
		}
	}
	a := r.dial(t, "/api/control/agent")
	if err := a.Write(ctx, websocket.MessageBinary, []byte(`{"code":"`+g.AgentCode+`"}`)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Read(ctx); !strings.Contains(closeReason(err), "the first message must be the agent's hello") {
		t.Fatalf("binary hello: %v", err)
	}
	// The code was not spent by the refused hello.
	r.paired(t, g)
}

// TestMeetingInTheURLIsIgnored: the page and the agent name the meeting
// in the socket's URL (?meeting=ID) for a cluster's router; the relay
// pairs and relays as without it, by the code and the token alone.
func TestMeetingInTheURLIsIgnored(t *testing.T) {
	r := newRig(t)
	g := r.start(t, "g1", false, false)
	a := r.connect(t, "/api/control/agent?meeting="+g.MeetingID, remotecontrol.AgentHello{Code: g.AgentCode})
	if m := a.next(t); m.Type != remotecontrol.TypeGranted || m.Grant != g.ID {
		t.Fatalf("agent's first message: %+v", m)
	}
	// Another meeting's ID does not change whose grant the token opens.
	in := r.connect(t, "/api/control/input?meeting=other-meeting", remotecontrol.InputHello{Grant: g.ID, Token: g.Token})
	in.send(t, move(1, 0.5, 0.5))
	if got := a.events(t, 1); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("agent got %v", got)
	}
}
