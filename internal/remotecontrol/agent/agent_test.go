package agent

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/remotecontrol"
	"github.com/conclave-meet/conclave/internal/testclock"
)

func TestAgentInjectsWhileGrantedThenReleases(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.Grant("g1", "Ada", false)
	r.conn.Event(move(1, 0.5, 0.5))
	r.conn.Event(key(2, remotecontrol.KeyDown, "KeyA"))
	r.inj.waitInjected(t, 2)
	r.conn.End(remotecontrol.CauseRevoked)
	res := r.wait()
	if res.err != nil || res.cause != remotecontrol.CauseRevoked {
		t.Fatalf("Run = %q, %v; want revoked", res.cause, res.err)
	}
	calls := r.inj.callLog()
	want := []string{"banner Ada", "inject", "inject", "release"}
	if !slices.Equal(calls[:4], want) || calls[len(calls)-1] != "clear" {
		t.Fatalf("calls %v, want %v … clear", calls, want)
	}
}

func TestAgentStopsInjectingAtEnd(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.Grant("g1", "Ada", false)
	r.conn.Event(move(1, 0.1, 0.1))
	r.conn.End(remotecontrol.CauseStopped)
	// Sent after the end: the agent must not take it (it may have gone).
	_ = r.conn.Send(remotecontrol.AgentMessage{Type: remotecontrol.TypeEvent,
		Frame: &remotecontrol.Frame{Event: move(2, 0.2, 0.2)}})
	if res := r.wait(); res.cause != remotecontrol.CauseStopped {
		t.Fatalf("cause %q", res.cause)
	}
	if got := r.inj.seqs(); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("injected %v, want only 1", got)
	}
}

func TestAgentRefusesAnythingButAGrantFirst(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.Event(move(1, 0.5, 0.5))
	res := r.wait()
	if !errors.Is(res.err, ErrRefused) {
		t.Fatalf("Run err %v, want ErrRefused", res.err)
	}
	if calls := r.inj.callLog(); len(calls) != 0 {
		t.Fatalf("the desktop was touched: %v", calls)
	}
}

func TestAgentRefusesAGrantWithoutID(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.MustSend(remotecontrol.AgentMessage{Type: remotecontrol.TypeGranted, Controller: "Ada"})
	if res := r.wait(); !errors.Is(res.err, ErrRefused) {
		t.Fatalf("Run err %v, want ErrRefused", res.err)
	}
}

func TestAgentEndBeforeGrant(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.End(remotecontrol.CauseLeft)
	res := r.wait()
	if res.err != nil || res.cause != remotecontrol.CauseLeft {
		t.Fatalf("Run = %q, %v", res.cause, res.err)
	}
	if calls := r.inj.callLog(); len(calls) != 0 {
		t.Fatalf("the desktop was touched: %v", calls)
	}
}

// TestAgentRefusesBadEvents: each refused event is followed by nothing
// else; the last, good one proves the earlier ones were decided.
func TestAgentRefusesBadEvents(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.Grant("g1", "Ada", false)
	bad := []remotecontrol.Event{
		move(1, 1.5, 0.5), // out of bounds
		key(2, remotecontrol.KeyDown, "Delete", remotecontrol.ModCtrl, remotecontrol.ModAlt),
		key(3, remotecontrol.KeyDown, "Escape", remotecontrol.ModCtrl, remotecontrol.ModAlt), // the stop combo
		key(4, remotecontrol.KeyDown, "F2", remotecontrol.ModCtrl, remotecontrol.ModAlt),
		key(5, remotecontrol.KeyDown, "AudioVolumeUp"),
		{Seq: 6, Kind: "teleport"},
	}
	for _, e := range bad {
		r.conn.Event(e)
	}
	r.conn.MustSend(remotecontrol.AgentMessage{Type: remotecontrol.TypeEvent}) // no frame
	r.conn.MustSend(remotecontrol.AgentMessage{Type: "nonsense"})
	r.conn.Event(move(7, 0.5, 0.5))
	r.conn.Event(move(7, 0.6, 0.6)) // replayed sequence number
	r.conn.Event(move(6, 0.6, 0.6)) // going back
	r.conn.Event(move(9, 0.7, 0.7))
	r.inj.waitInjected(t, 9)
	if got := r.inj.seqs(); !slices.Equal(got, []uint64{7, 9}) {
		t.Fatalf("injected %v, want [7 9]", got)
	}
	log := r.log.String()
	for _, reason := range []error{remotecontrol.ErrOutOfBounds, remotecontrol.ErrBlockedKey, remotecontrol.ErrKey,
		remotecontrol.ErrKind, remotecontrol.ErrSeq, ErrNoFrame, ErrType} {
		if !strings.Contains(log, reason.Error()) {
			t.Errorf("the log does not give %q:\n%s", reason, log)
		}
	}
}

// TestAgentChecksModifiersHeldByEarlierEvents: Ctrl, then Alt, then
// Delete with no Mods is still Ctrl+Alt+Delete.
func TestAgentChecksModifiersHeldByEarlierEvents(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.Grant("g1", "Ada", false)
	r.conn.Event(key(1, remotecontrol.KeyDown, "ControlLeft"))
	r.conn.Event(key(2, remotecontrol.KeyDown, "AltRight"))
	r.conn.Event(key(3, remotecontrol.KeyDown, "Delete"))
	r.conn.Event(key(4, remotecontrol.KeyDown, "Escape")) // the stop combo
	r.conn.Event(key(5, remotecontrol.KeyUp, "AltRight"))
	r.conn.Event(key(6, remotecontrol.KeyDown, "Delete")) // Ctrl+Delete is fine
	r.inj.waitInjected(t, 6)
	if got := r.inj.seqs(); !slices.Equal(got, []uint64{1, 2, 5, 6}) {
		t.Fatalf("injected %v, want [1 2 5 6]", got)
	}
}

func TestAgentPointerOnlyGrant(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.MustSend(remotecontrol.AgentMessage{Type: remotecontrol.TypeGranted, Grant: "g1",
		Controller: "Ada", PointerOnly: true})
	r.conn.Event(key(1, remotecontrol.KeyDown, "KeyA"))
	r.conn.Event(remotecontrol.Event{Seq: 2, Kind: remotecontrol.Down, X: 0.5, Y: 0.5})
	r.conn.Event(remotecontrol.Event{Seq: 3, Kind: remotecontrol.Wheel, X: 0.5, Y: 0.5, DY: 1})
	r.conn.Event(move(4, 0.5, 0.5))
	r.inj.waitInjected(t, 4)
	if got := r.inj.seqs(); !slices.Equal(got, []uint64{4}) {
		t.Fatalf("injected %v, want [4]", got)
	}
}

func TestAgentNeverLogsKeys(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.Grant("g1", "Ada", false)
	r.conn.Event(key(1, remotecontrol.KeyDown, "KeyQ", remotecontrol.ModMeta, "Hyper"))
	r.conn.Event(key(2, remotecontrol.KeyDown, "F7", remotecontrol.ModCtrl, remotecontrol.ModAlt))
	r.conn.Event(key(3, remotecontrol.KeyDown, "KeyZ"))
	r.inj.waitInjected(t, 3)
	r.conn.End(remotecontrol.CauseReleased)
	r.wait()
	for _, s := range []string{"KeyQ", "F7", "KeyZ", "Hyper"} {
		if strings.Contains(r.log.String(), s) {
			t.Errorf("the log names the key %s:\n%s", s, r.log.String())
		}
	}
}

func TestAgentLogsRefusalsUpToALimit(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.Grant("g1", "Ada", false)
	for i := range maxLoggedRefusals + 10 {
		r.conn.Event(move(uint64(i+1), 2, 2))
	}
	r.conn.Event(move(100, 0.5, 0.5))
	r.inj.waitInjected(t, 100)
	if n := strings.Count(r.log.String(), "event refused"); n != maxLoggedRefusals {
		t.Fatalf("%d refusals logged, want %d", n, maxLoggedRefusals)
	}
	r.conn.End(remotecontrol.CauseRevoked)
	r.wait()
	if !strings.Contains(r.log.String(), "refused=30") {
		t.Fatalf("the end does not count the refusals:\n%s", r.log.String())
	}
}

func TestAgentOpensSealedEventsAndRefusesPlainOnes(t *testing.T) {
	code := keyedCode(t)
	r := start(t, code, nil)
	r.conn.Grant("g1", "Ada", true)
	r.conn.Sealed(code.Key, "g1", move(1, 0.25, 0.75))
	r.conn.Event(move(2, 0.5, 0.5))                     // plain: refused
	r.conn.Sealed(code.Key, "other", move(3, 0.5, 0.5)) // sealed for another grant
	other := keyedCode(t)
	r.conn.Sealed(other.Key, "g1", move(4, 0.5, 0.5)) // another key
	r.conn.Sealed(code.Key, "g1", key(5, remotecontrol.KeyDown, "KeyB"))
	r.inj.waitInjected(t, 5)
	if got := r.inj.seqs(); !slices.Equal(got, []uint64{1, 5}) {
		t.Fatalf("injected %v, want [1 5]", got)
	}
	if e := r.inj.events[0]; e.X != 0.25 || e.Y != 0.75 {
		t.Fatalf("opened event %+v", e)
	}
	for _, reason := range []error{ErrPlain, ErrUnsealed} {
		if !strings.Contains(r.log.String(), reason.Error()) {
			t.Errorf("the log does not give %q", reason)
		}
	}
}

// TestAgentRefusesPlainEventsWhenTheServerDenysE2EE: the pairing code, not
// the server, says whether events must be sealed.
func TestAgentRefusesPlainEventsWhenTheServerDeniesE2EE(t *testing.T) {
	r := start(t, keyedCode(t), nil)
	r.conn.Grant("g1", "Ada", false)
	r.conn.Event(move(1, 0.5, 0.5))
	r.conn.End(remotecontrol.CauseRevoked)
	r.wait()
	if got := r.inj.seqs(); len(got) != 0 {
		t.Fatalf("injected %v", got)
	}
	if !strings.Contains(r.log.String(), "pairing code carries a key") {
		t.Fatalf("no warning:\n%s", r.log.String())
	}
}

func TestAgentRefusesSealedEventsWithoutAKey(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.Grant("g1", "Ada", true)
	key := keyedCode(t).Key
	r.conn.Sealed(key, "g1", move(1, 0.5, 0.5))
	r.conn.Event(move(2, 0.5, 0.5))
	r.inj.waitInjected(t, 2)
	if got := r.inj.seqs(); !slices.Equal(got, []uint64{2}) {
		t.Fatalf("injected %v, want [2]", got)
	}
	if !strings.Contains(r.log.String(), ErrSealed.Error()) {
		t.Fatalf("the log does not give %q", ErrSealed)
	}
}

func TestAgentStopKeyEndsControl(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.Grant("g1", "Ada", false)
	r.conn.Event(key(1, remotecontrol.KeyDown, "ShiftLeft"))
	r.inj.waitInjected(t, 1)
	r.inj.pressStop()
	// Whatever arrives with or after the stop key is not injected.
	_ = r.conn.Send(remotecontrol.AgentMessage{Type: remotecontrol.TypeEvent,
		Frame: &remotecontrol.Frame{Event: move(2, 0.5, 0.5)}})
	r.expectStop(remotecontrol.CauseStopKey)
	if res := r.wait(); res.cause != remotecontrol.CauseStopKey || res.err != nil {
		t.Fatalf("Run = %q, %v", res.cause, res.err)
	}
	if got := r.inj.seqs(); !slices.Equal(got, []uint64{1}) {
		t.Fatalf("injected %v after the stop key", got)
	}
	calls := r.inj.callLog()
	if !slices.Contains(calls, "release") || calls[len(calls)-1] != "clear" {
		t.Fatalf("calls %v: keys not released or banner left", calls)
	}
}

func TestAgentStopKeyBeforeGrant(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.inj.pressStop()
	r.expectStop(remotecontrol.CauseStopKey)
	if res := r.wait(); res.cause != remotecontrol.CauseStopKey {
		t.Fatalf("cause %q", res.cause)
	}
}

// TestAgentEventAfterStopKeyIsNotInjected: the stop key pressed while an
// event is on its way; over() sees it before the event is injected.
func TestAgentEventAfterStopKeyIsNotInjected(t *testing.T) {
	for range 20 {
		r := start(t, plainCode(), nil)
		r.conn.Grant("g1", "Ada", false)
		r.inj.pressStop()
		_ = r.conn.Send(remotecontrol.AgentMessage{Type: remotecontrol.TypeEvent,
			Frame: &remotecontrol.Frame{Event: move(1, 0.5, 0.5)}})
		r.wait()
		if got := r.inj.seqs(); len(got) != 0 {
			t.Fatalf("injected %v after the stop key", got)
		}
	}
}

// fakeTimer is an After whose channel the test fires.
type fakeTimer struct {
	asked chan time.Duration
	fire  chan time.Time
}

func newTimer() *fakeTimer {
	return &fakeTimer{asked: make(chan time.Duration, 1), fire: make(chan time.Time)}
}

func (f *fakeTimer) After(d time.Duration) <-chan time.Time {
	f.asked <- d
	return f.fire
}

func TestAgentEndsAtTheGrantsTimeLimit(t *testing.T) {
	clock := testclock.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	timer := newTimer()
	r := start(t, plainCode(), func(c *Config) { c.Now, c.After = clock.Now, timer.After })
	r.conn.MustSend(remotecontrol.AgentMessage{Type: remotecontrol.TypeGranted, Grant: "g1",
		Controller: "Ada", ExpiresAt: clock.Now().Add(10 * time.Minute)})
	if d := <-timer.asked; d != 10*time.Minute {
		t.Fatalf("timer for %v, want 10m", d)
	}
	r.conn.Event(move(1, 0.5, 0.5))
	r.inj.waitInjected(t, 1)
	timer.fire <- clock.Now()
	r.expectStop(remotecontrol.CauseExpired)
	if res := r.wait(); res.cause != remotecontrol.CauseExpired {
		t.Fatalf("cause %q", res.cause)
	}
}

// TestAgentRefusesEventsPastTheTimeLimit: the clock is past the limit
// before the timer fires (a suspended laptop); the event is not injected.
func TestAgentRefusesEventsPastTheTimeLimit(t *testing.T) {
	clock := testclock.New(time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC))
	timer := newTimer()
	r := start(t, plainCode(), func(c *Config) { c.Now, c.After = clock.Now, timer.After })
	r.conn.MustSend(remotecontrol.AgentMessage{Type: remotecontrol.TypeGranted, Grant: "g1",
		Controller: "Ada", ExpiresAt: clock.Now().Add(time.Minute)})
	<-timer.asked
	clock.Advance(time.Minute)
	r.conn.Event(move(1, 0.5, 0.5))
	r.expectStop(remotecontrol.CauseExpired)
	r.wait()
	if got := r.inj.seqs(); len(got) != 0 {
		t.Fatalf("injected %v past the time limit", got)
	}
}

func TestAgentCancelTellsTheServer(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.Grant("g1", "Ada", false)
	r.conn.Event(move(1, 0.5, 0.5))
	r.inj.waitInjected(t, 1)
	r.stop()
	r.expectStop(remotecontrol.CauseAgentClosed)
	if res := r.wait(); res.cause != remotecontrol.CauseAgentClosed {
		t.Fatalf("cause %q", res.cause)
	}
	if calls := r.inj.callLog(); calls[len(calls)-1] != "clear" {
		t.Fatalf("calls %v", calls)
	}
}

func TestAgentRefusesControlWithoutBanner(t *testing.T) {
	r := start(t, plainCode(), func(c *Config) {
		c.Injector.(*fakeInjector).bannerErr = errors.New("no X")
	})
	r.conn.Grant("g1", "Ada", false)
	// The agent may have refused and closed already: the event is sent if
	// the socket still takes it, and must not be injected either way.
	_ = r.conn.Send(remotecontrol.AgentMessage{Type: remotecontrol.TypeEvent, Frame: &remotecontrol.Frame{Event: move(1, 0.5, 0.5)}})
	r.expectStop(remotecontrol.CauseAgentClosed)
	if res := r.wait(); res.err == nil {
		t.Fatal("control went on without a banner")
	}
	if got := r.inj.seqs(); len(got) != 0 {
		t.Fatalf("injected %v without a banner", got)
	}
}

func TestAgentServerGoneReleases(t *testing.T) {
	r := start(t, plainCode(), nil)
	r.conn.Grant("g1", "Ada", false)
	r.conn.Event(key(1, remotecontrol.KeyDown, "ShiftLeft"))
	r.inj.waitInjected(t, 1)
	r.srv.Close()
	if res := r.wait(); res.err == nil {
		t.Fatal("no error when the server went away")
	}
	eventually.True(t, "released", func() bool { return slices.Contains(r.inj.callLog(), "release") })
}

func TestAgentNeedsInjectorAndCode(t *testing.T) {
	ctx := context.Background()
	if _, err := Run(ctx, Config{Server: "https://x", Code: plainCode()}); err == nil {
		t.Error("no injector accepted")
	}
	if _, err := Run(ctx, Config{Server: "https://x", Injector: newFake()}); err == nil {
		t.Error("no code accepted")
	}
}

// TestAgentNamesItsMeeting: with a meeting the agent's socket names it,
// so that behind one name it reaches the node running the meeting; the
// connection works as without.
func TestAgentNamesItsMeeting(t *testing.T) {
	r := start(t, plainCode(), func(c *Config) { c.Meeting = "weekly-sync" })
	if r.conn.Meeting != "weekly-sync" {
		t.Fatalf("the server saw meeting %q", r.conn.Meeting)
	}
	r.conn.End(remotecontrol.CauseLeft)
	if res := r.wait(); res.err != nil || res.cause != remotecontrol.CauseLeft {
		t.Fatalf("Run = %q, %v", res.cause, res.err)
	}
}

func TestEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"https://meet.example.org":           "wss://meet.example.org/api/control/agent",
		"https://meet.example.org/":          "wss://meet.example.org/api/control/agent",
		"https://example.org:8443/conclave/": "wss://example.org:8443/conclave/api/control/agent",
		"wss://meet.example.org":             "wss://meet.example.org/api/control/agent",
		"http://127.0.0.1:8080":              "ws://127.0.0.1:8080/api/control/agent",
		"http://localhost:8080":              "ws://localhost:8080/api/control/agent",
		"http://[::1]:8080":                  "ws://[::1]:8080/api/control/agent",
	} {
		got, err := Endpoint(in, "")
		if err != nil || got != want {
			t.Errorf("Endpoint(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	// A meeting is named in the query, encoded, so that a cluster routes
	// the agent to the meeting's node.
	for in, want := range map[[2]string]string{
		{"https://meet.example.org", "m-1"}:           "wss://meet.example.org/api/control/agent?meeting=m-1",
		{"https://example.org/conclave/", "a b&c=d"}:  "wss://example.org/conclave/api/control/agent?meeting=a+b%26c%3Dd",
		{"http://127.0.0.1:8080", "weekly-sync-2024"}: "ws://127.0.0.1:8080/api/control/agent?meeting=weekly-sync-2024",
	} {
		got, err := Endpoint(in[0], in[1])
		if err != nil || got != want {
			t.Errorf("Endpoint(%q, %q) = %q, %v; want %q", in[0], in[1], got, err, want)
		}
	}
	for _, bad := range []string{
		"http://meet.example.org", "ws://10.0.0.1", "ftp://x", "meet.example.org", "",
		"https://user:pw@meet.example.org", "https://meet.example.org/?code=1", "https://meet.example.org/?meeting=m-1",
	} {
		if got, err := Endpoint(bad, ""); err == nil {
			t.Errorf("Endpoint(%q) = %q, want an error", bad, got)
		}
		if got, err := Endpoint(bad, "m-1"); err == nil {
			t.Errorf("Endpoint(%q, m-1) = %q, want an error", bad, got)
		}
	}
}
