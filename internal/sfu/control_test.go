package sfu

import (
	"net"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/testclock"
)

// manualRoom is a room whose control loop runs only on Step, with one
// participant publishing the given track (no media connection needed).
func manualRoom(t *testing.T, clock *testclock.Clock, onSpeaker func(string), up *upTrack) *Engine {
	t.Helper()
	e, err := NewEngine(Config{IP: net.IPv4(127, 0, 0, 1), ManualControl: true, Now: clock.Now, DisableTCP: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	r := e.NewRoom("r", onSpeaker)
	t.Cleanup(r.Close)
	p, err := r.Join(up.owner, nopSignaller{})
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ups[up.source] = up
	p.mu.Unlock()
	return e
}

// Rates are measured over the time that actually passed since the last
// sample, on the engine's clock.
func TestStepRatesUsesElapsedTime(t *testing.T) {
	clock := testclock.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	up := newVideoUp()
	l := up.addLayer("h", 1, nil)
	e := manualRoom(t, clock, nil, up)

	l.bytes.Add(50_000)
	clock.Advance(2 * time.Second)
	e.Step(StepRates)
	if got := l.rate.Load(); got != 200_000 {
		t.Fatalf("rate = %d bit/s, want 200000 (50 kB over 2 s)", got)
	}
	// No time passed: no new sample, the last rate stays.
	e.Step(StepRates)
	if got := l.rate.Load(); got != 200_000 {
		t.Fatalf("rate after an empty window = %d", got)
	}
}

func TestStepSpeakerReportsTheLoudParticipant(t *testing.T) {
	clock := testclock.New(time.Now())
	got := make(chan string, 8)
	up := newUpTrack("p_loud", SourceAudio, webrtc.RTPCodecTypeAudio,
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000}, func(uint32) {})
	e := manualRoom(t, clock, func(id string) { got <- id }, up)
	for range 10 {
		for range 50 {
			up.level.observe(10) // loud: 10 dB below full scale
		}
		e.Step(StepSpeaker)
	}
	select {
	case id := <-got:
		if id != "p_loud" {
			t.Fatalf("active speaker %q", id)
		}
	default:
		t.Fatal("ten speaker steps with a loud participant reported nobody")
	}
}
