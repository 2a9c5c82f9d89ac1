package signal_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/signal"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// manualTimers is an AfterFunc whose timers fire when the test says: the
// resume grace period runs out on command, not after a sleep.
type manualTimers struct {
	mu     sync.Mutex
	timers []*manualTimer
}

type manualTimer struct {
	mu      sync.Mutex
	f       func()
	stopped bool
}

func (m *manualTimers) AfterFunc(_ time.Duration, f func()) signal.Timer {
	t := &manualTimer{f: f}
	m.mu.Lock()
	m.timers = append(m.timers, t)
	m.mu.Unlock()
	return t
}

func (t *manualTimer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// fire runs every armed timer that was not stopped, once, and reports how
// many ran.
func (m *manualTimers) fire() int {
	m.mu.Lock()
	ts := m.timers
	m.timers = nil
	m.mu.Unlock()
	n := 0
	for _, t := range ts {
		if t.Stop() {
			t.f()
			n++
		}
	}
	return n
}

// token waits for the resume token the server hands r.
func (r *raw) token() string {
	r.t.Helper()
	m := r.next("resume_token")
	var d struct {
		Token string `json:"token"`
		Grace int    `json:"grace_seconds"`
	}
	if err := json.Unmarshal(m.Data, &d); err != nil || d.Token == "" || d.Grace <= 0 {
		r.t.Fatalf("bad resume_token %s", m.Data)
	}
	return d.Token
}

// resume opens a new connection (as userID) that resumes with tok and
// last, and returns it with the server's first answer.
func resume(t *testing.T, url, userID, tok string, last int64) (*raw, msg) {
	t.Helper()
	r := dialAs(t, url, userID)
	r.send("resume", map[string]any{"version": 1, "token": tok, "last_seq": last})
	return r, r.next("resumed", "error", "bye")
}

func code(m msg) string {
	var e struct {
		Code   string `json:"code"`
		Reason string `json:"reason"`
	}
	_ = json.Unmarshal(m.Data, &e)
	return m.Type + ":" + e.Code + e.Reason
}

// reconnecting waits until r hears that participant id is (or is no
// longer) reconnecting.
func (r *raw) reconnecting(id string, want bool) {
	r.t.Helper()
	for {
		m := r.next("participant_updated", "participant_left")
		if m.Type == "participant_left" {
			r.t.Fatalf("participant_left %s while waiting for reconnecting=%v", m.Data, want)
		}
		var d struct {
			P struct {
				ID           string `json:"id"`
				Reconnecting bool   `json:"reconnecting"`
			} `json:"participant"`
		}
		_ = json.Unmarshal(m.Data, &d)
		if d.P.ID == id && d.P.Reconnecting == want {
			return
		}
	}
}

// pair joins a and b to the open test meeting; a's resume token is
// returned.
func pair(t *testing.T, url, userA string) (a, b *raw, tok string) {
	t.Helper()
	a = dialAs(t, url, userA)
	if m := a.hello("Ada", testserver.Passcode, nil); m.Type != "welcome" {
		t.Fatalf("a: %s %s", m.Type, m.Data)
	}
	tok = a.token()
	b = dialAs(t, url, "")
	if m := b.hello("Bo", testserver.Passcode, nil); m.Type != "welcome" {
		t.Fatalf("b: %s %s", m.Type, m.Data)
	}
	a.next("participant_joined")
	return a, b, tok
}

func (f *fakeAudit) find(action audit.Action, target string) []audit.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []audit.Event
	for _, ev := range f.events {
		if ev.Action == action && (target == "" || ev.Target == target) {
			out = append(out, ev)
		}
	}
	return out
}

// TestResumeKeepsPlace: a participant whose socket drops resumes on a new
// one with the same ID, gets what was said meanwhile, and the others see
// "reconnecting", never a leave and a join.
func TestResumeKeepsPlace(t *testing.T) {
	log := &fakeAudit{}
	srv := testserver.Start(t, testserver.Options{Audit: log})
	a, b, tok := pair(t, srv.WS, "")
	a.ws.CloseNow() // the network goes
	b.reconnecting(a.id, true)
	b.send("chat", map[string]string{"text": "said while you were away"})
	// b's own copy is delivered in the same step as the one kept for a:
	// once b has it, a's is waiting to be replayed (storing the message
	// can take longer than the resume).
	b.next("chat")

	a2, m := resume(t, srv.WS, "", tok, a.last.Load())
	if m.Type != "resumed" {
		t.Fatalf("resume answered %s", code(m))
	}
	if got := a2.next("chat"); !got.has("said while you were away") {
		t.Fatalf("replayed chat %s", got.Data)
	}
	if next := a2.token(); next == tok {
		t.Fatal("the resume token was not rotated")
	}
	b.reconnecting(a.id, false)
	// Live again, as the same participant: b's message reaches a directly.
	b.send("chat", map[string]any{"text": "welcome back", "to": []string{a.id}})
	if got := a2.next("chat"); !got.has("welcome back") {
		t.Fatalf("chat after resume %s", got.Data)
	}
	// The entry is appended after the resumed participant hears the
	// replay, so wait for it.
	eventually.True(t, "the meeting.resume entry", func() bool { return len(log.find(audit.MeetingResume, a.id)) > 0 })
	if n := len(log.find(audit.MeetingResume, a.id)); n != 1 {
		t.Fatalf("%d meeting.resume entries, want 1", n)
	}
	if n := len(log.find(audit.MeetingLeave, a.id)); n != 0 {
		t.Fatalf("a resumed participant was recorded as leaving %d times", n)
	}
	if n := len(log.find(audit.MeetingJoinAllowed, "")); n != 2 {
		t.Fatalf("%d joins recorded, want 2 (no second join)", n)
	}
}

// TestResumeGraceExpires: a participant who does not come back within the
// grace period is removed as before, and their token dies with them.
func TestResumeGraceExpires(t *testing.T) {
	timers := &manualTimers{}
	log := &fakeAudit{}
	srv := testserver.Start(t, testserver.Options{Audit: log, AfterFunc: timers.AfterFunc})
	a, b, tok := pair(t, srv.WS, "")
	a.ws.CloseNow()
	b.reconnecting(a.id, true)
	if n := timers.fire(); n != 1 {
		t.Fatalf("%d grace timers fired, want 1", n)
	}
	if m := b.next("participant_left"); !m.has(a.id) {
		t.Fatalf("participant_left %s", m.Data)
	}
	leaves := log.find(audit.MeetingLeave, a.id)
	if len(leaves) != 1 || leaves[0].Details["reason"] != "timed_out" {
		t.Fatalf("leave entries %+v", leaves)
	}
	if _, m := resume(t, srv.WS, "", tok, a.last.Load()); code(m) != "error:resume_failed" {
		t.Fatalf("resume after the grace period answered %s", code(m))
	}
}

// TestResumeRefusedAfterRemoval: removed, banned or ended while away, the
// participant learns why on their resume and can never come back through
// it.
func TestResumeRefusedAfterRemoval(t *testing.T) {
	cases := []struct {
		name string
		act  func(host *raw, id string)
		want string
	}{
		{"removed", func(h *raw, id string) { h.send("remove", map[string]any{"participant_id": id}) }, "bye:removed"},
		{"banned", func(h *raw, id string) { h.send("remove", map[string]any{"participant_id": id, "ban": true}) }, "bye:banned"},
		{"ended", func(h *raw, _ string) { h.send("end_meeting", struct{}{}) }, "bye:meeting_ended"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			log := &fakeAudit{}
			srv := testserver.Start(t, testserver.Options{Audit: log,
				Meeting: &store.Meeting{Title: "Guarded", HostID: hostUser.ID, WaitingRoom: true},
				Users:   []store.User{hostUser, attUser}})
			host := dialAs(t, srv.WS, hostUser.ID)
			if m := host.hello("Hana", testserver.Passcode, nil); m.Type != "welcome" {
				t.Fatalf("host: %s", code(m))
			}
			// Someone waiting gets their token with waiting already.
			att := dialAs(t, srv.WS, attUser.ID)
			if m := att.hello("Ari", testserver.Passcode, nil); m.Type != "waiting" {
				t.Fatalf("att: %s", code(m))
			}
			tok := att.token()
			host.send("admit", map[string]string{"participant_id": host.lobbyIDs(1)[0]})
			att.id = welcomeID(att.next("welcome"))
			att.ws.CloseNow()
			host.reconnecting(att.id, true)
			tc.act(host, att.id)
			if tc.name != "ended" {
				host.next("participant_left")
			}
			eventually.True(t, "the leave to be recorded", func() bool { return len(log.find(audit.MeetingLeave, att.id)) == 1 })
			if _, m := resume(t, srv.WS, attUser.ID, tok, att.last.Load()); code(m) != tc.want {
				t.Fatalf("resume answered %s, want %s", code(m), tc.want)
			}
			if _, m := resume(t, srv.WS, attUser.ID, tok, att.last.Load()); code(m) != "error:resume_failed" {
				t.Fatalf("second resume answered %s", code(m))
			}
		})
	}
}

// TestResumeTokenAttacks: made-up, stolen, reused and out-of-order
// resumes are refused, and a refused stranger does not spend the owner's
// token.
func TestResumeTokenAttacks(t *testing.T) {
	log := &fakeAudit{}
	srv := testserver.Start(t, testserver.Options{Audit: log, Users: []store.User{attUser, victimUser}})
	a, b, tok := pair(t, srv.WS, attUser.ID)
	a.ws.CloseNow()
	b.reconnecting(a.id, true)
	for _, bad := range []struct {
		name, user, token string
		last              int64
	}{
		{"made-up token", "", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 0},
		{"stolen token without the account", "", tok, a.last.Load()},
		{"stolen token with another account", victimUser.ID, tok, a.last.Load()},
	} {
		if _, m := resume(t, srv.WS, bad.user, bad.token, bad.last); code(m) != "error:resume_failed" {
			t.Fatalf("%s: answered %s", bad.name, code(m))
		}
	}
	if len(log.find(audit.MeetingResumeRefused, "")) == 0 {
		t.Fatal("no meeting.resume.refused entry")
	}
	a2, m := resume(t, srv.WS, attUser.ID, tok, a.last.Load())
	if m.Type != "resumed" {
		t.Fatalf("the owner's resume answered %s", code(m))
	}
	a2.token()
	if _, m := resume(t, srv.WS, attUser.ID, tok, a.last.Load()); code(m) != "error:resume_failed" {
		t.Fatalf("a spent token answered %s", code(m))
	}
	a2.send("resume", map[string]any{"version": 1, "token": tok, "last_seq": 0})
	a2.expectCode("out_of_order")
	// The refused and spent attempts took nobody's place.
	b.send("chat", map[string]any{"text": "still here?", "to": []string{a.id}})
	if got := a2.next("chat"); !got.has("still here?") {
		t.Fatalf("chat %s", got.Data)
	}
}

// TestResumeReplacesHalfOpenLink: a client may give up on a socket the
// server still thinks is open; its resume takes over and the old socket
// is closed as replaced.
func TestResumeReplacesHalfOpenLink(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	a, b, tok := pair(t, srv.WS, "")
	a2, m := resume(t, srv.WS, "", tok, a.last.Load())
	if m.Type != "resumed" {
		t.Fatalf("resume answered %s", code(m))
	}
	if m := a.next("bye"); code(m) != "bye:replaced" {
		t.Fatalf("old link got %s", code(m))
	}
	b.send("chat", map[string]any{"text": "hello again", "to": []string{a.id}})
	if got := a2.next("chat"); !got.has("hello again") {
		t.Fatalf("chat %s", got.Data)
	}
}

// TestResumeWithGapFails: a client claiming events the server never sent
// cannot resume exactly; the session ends rather than lingering.
func TestResumeWithGapFails(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	a, b, tok := pair(t, srv.WS, "")
	a.ws.CloseNow()
	b.reconnecting(a.id, true)
	if _, m := resume(t, srv.WS, "", tok, a.last.Load()+1000); code(m) != "error:resume_failed" {
		t.Fatalf("resume answered %s", code(m))
	}
	if m := b.next("participant_left"); !m.has(a.id) {
		t.Fatalf("participant_left %s", m.Data)
	}
}

// TestResumeOff: with resume turned off a drop is a leave, as before.
func TestResumeOff(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{ResumeGrace: -1})
	a := dialAs(t, srv.WS, "")
	if m := a.hello("Ada", testserver.Passcode, nil); m.Type != "welcome" {
		t.Fatalf("a: %s", code(m))
	}
	b := dialAs(t, srv.WS, "")
	if m := b.hello("Bo", testserver.Passcode, nil); m.Type != "welcome" {
		t.Fatalf("b: %s", code(m))
	}
	a.ws.CloseNow()
	if m := b.next("participant_left", "participant_updated"); m.Type != "participant_left" {
		t.Fatalf("got %s %s, want participant_left", m.Type, m.Data)
	}
}

func welcomeID(m msg) string {
	var w struct {
		ID string `json:"participant_id"`
	}
	_ = json.Unmarshal(m.Data, &w)
	return w.ID
}

// expectCode waits for an error with code.
func (r *raw) expectCode(c string) {
	r.t.Helper()
	if m := r.next("error"); code(m) != "error:"+c {
		r.t.Fatalf("got %s, want error %s", code(m), c)
	}
}

// TestResumeKeepsMediaFlowing: a Go client (as the browser does) resumes
// on its own after its signalling socket is cut; its media never stops
// reaching the other participant, who sees no leave.
func TestResumeKeepsMediaFlowing(t *testing.T) {
	url, _ := testServer(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resumed := make(chan struct{}, 1)
	pub, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Pub"}, client.Options{
		Resume: true,
		OnMessage: func(typ string, _ json.RawMessage) {
			if typ == "resumed" {
				resumed <- struct{}{}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	rec := &seqRecorder{seqs: map[uint16]bool{}}
	var left atomic.Bool
	sub, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Sub"}, client.Options{
		OnTrack: rec.onTrack,
		OnMessage: func(typ string, _ json.RawMessage) {
			if typ == "participant_left" {
				left.Store(true)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	go pub.Pump(ctx, client.PumpOptions{})
	eventually.True(t, "video to arrive", func() bool { n, _ := rec.missing(); return n >= 50 })
	eventually.True(t, "a resume token", func() bool { return pub.ResumeToken() != "" })
	pub.DropSignal()
	select {
	case <-resumed:
	case <-ctx.Done():
		t.Fatal("the client did not resume")
	}
	before, _ := rec.missing()
	eventually.True(t, "video to keep arriving after the resume", func() bool { n, _ := rec.missing(); return n >= before+100 })
	if left.Load() {
		t.Fatal("the other participant saw the publisher leave")
	}
	if err := pub.Send(ctx, "ping", struct{}{}); err != nil {
		t.Fatalf("signalling after resume: %v", err)
	}
}
