package transcriber

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/sfu"
)

func (e *env) attach(t *testing.T, owner string) *sender {
	t.Helper()
	k := e.sess.attach(mic(owner))
	if k == nil {
		t.Fatalf("no sink for %s's microphone", owner)
	}
	return &sender{k: k, ts: 12345}
}

// written waits until stream i has been given n samples: the sink has
// handled the packets sent so far (a Deny before that drops them).
func (e *env) written(t *testing.T, i, n int) {
	t.Helper()
	eventually.True(t, "the engine has the audio", func() bool {
		ss := e.eng.snapshot()
		if len(ss) <= i {
			return false
		}
		got, _, _ := ss[i].state()
		return got >= n
	})
}

// finishedStream waits until stream i exists and was finished.
func (e *env) finishedStream(t *testing.T, i int) *fakeStream {
	t.Helper()
	var s *fakeStream
	eventually.True(t, "an engine stream finished", func() bool {
		ss := e.eng.snapshot()
		if len(ss) <= i {
			return false
		}
		s = ss[i]
		_, finished, _ := s.state()
		return finished
	})
	return s
}

// TestNothingBeforeConsent: before Allow, packets are refused and no
// engine stream starts; after Allow they reach the engine; after Deny the
// stream is finished, its caption comes, and nothing more is taken.
func TestNothingBeforeConsent(t *testing.T) {
	e := newEnv(t, 0)
	a := e.attach(t, "p_ana")
	for range 10 {
		if a.send(silence) {
			t.Fatal("a packet taken before consent")
		}
	}
	if st := e.sess.Stats(); st.Gated != 10 || e.eng.openCount() != 0 {
		t.Fatalf("before consent: %+v, %d streams", st, e.eng.openCount())
	}
	e.advance(3 * time.Second)
	e.sess.Allow("p_ana", "u_ana")
	for range 50 {
		if !a.send(silence) {
			t.Fatal("a packet refused after consent")
		}
	}
	e.written(t, 0, 50*320)
	e.sess.Deny("p_ana")
	s := e.finishedStream(t, 0)
	if n, _, _ := s.state(); n != 50*320 {
		t.Fatalf("the engine got %d samples for 50 packets, want %d", n, 50*320)
	}
	eventually.True(t, "the caption", func() bool { return len(e.caps.all()) == 1 })
	c := e.caps.all()[0]
	if c.Participant != "p_ana" || c.Subject != "u_ana" || !c.Final || c.Text != "16000 samples" || c.Utterance != 0 {
		t.Fatalf("caption %+v", c)
	}
	// Session times: the stream began 3 s into the session.
	if c.Start != 3*time.Second || c.End != 4*time.Second || c.Words[0].Start != 3010*time.Millisecond {
		t.Fatalf("caption at %v–%v, word at %v", c.Start, c.End, c.Words[0].Start)
	}
	if a.send(silence) || e.eng.openCount() != 1 {
		t.Fatal("a packet taken after Deny")
	}
}

// TestQueuedBeforeWithdrawalNeverWritten: packets queued while the engine
// was busy are dropped when consent is withdrawn before they are written.
func TestQueuedBeforeWithdrawalNeverWritten(t *testing.T) {
	e := newEnv(t, 0)
	gate := make(chan struct{})
	e.eng.gate = gate
	a := e.attach(t, "p_ana")
	e.sess.Allow("p_ana", "u_ana")
	a.send(silence)
	<-e.eng.writing // the first packet is in the engine's hands
	for range 5 {
		if !a.send(silence) {
			t.Fatal("not queued")
		}
	}
	e.sess.Deny("p_ana")
	close(gate)
	s := e.finishedStream(t, 0)
	if n, _, _ := s.state(); n != 320 {
		t.Fatalf("the engine got %d samples, want only the first packet's 320", n)
	}
}

// TestSlowEngineDropsAndMarksTheGap: a stuck engine never blocks WriteRTP;
// the queue's overflow is dropped and shows as a gap caption of the right
// length; the audio after it keeps its time.
func TestSlowEngineDropsAndMarksTheGap(t *testing.T) {
	e := newEnv(t, 4)
	gate := make(chan struct{})
	e.eng.gate = gate
	a := e.attach(t, "p_ana")
	e.sess.Allow("p_ana", "u_ana")
	a.send(silence)
	<-e.eng.writing
	taken := 0
	for range 20 {
		if a.send(silence) {
			taken++
		}
	}
	if st := e.sess.Stats(); taken != 4 || st.Dropped != 16 {
		t.Fatalf("%d packets queued, %d dropped; want 4 and 16", taken, st.Dropped)
	}
	close(gate)
	e.written(t, 0, 5*320)
	if !a.send(silence) {
		t.Fatal("the queue is still full")
	}
	e.written(t, 0, 22*320)
	e.sess.Deny("p_ana")
	s := e.finishedStream(t, 0)
	var gap Caption
	for _, c := range e.caps.all() {
		if c.Gap > 0 {
			gap = c
		}
	}
	if gap.Gap != 16*20*time.Millisecond || gap.Start != 5*20*time.Millisecond || gap.Text != "" || gap.Participant != "p_ana" {
		t.Fatalf("gap caption %+v", gap)
	}
	// The dropped stretch reached the engine as silence: times stay right.
	if n, _, _ := s.state(); n != 22*320 {
		t.Fatalf("the engine got %d samples, want %d", n, 22*320)
	}
}

// TestLostPacketsBecomeSilence: packets lost on the way are filled with
// silence of their length; no gap caption (nothing was dropped here).
func TestLostPacketsBecomeSilence(t *testing.T) {
	e := newEnv(t, 0)
	a := e.attach(t, "p_ana")
	e.sess.Allow("p_ana", "u_ana")
	a.send(silence)
	a.skip(3)
	a.send(silence)
	e.written(t, 0, 5*320)
	e.sess.Deny("p_ana")
	s := e.finishedStream(t, 0)
	if n, _, _ := s.state(); n != 5*320 {
		t.Fatalf("%d samples, want %d", n, 5*320)
	}
	for _, c := range e.caps.all() {
		if c.Gap > 0 {
			t.Fatalf("gap caption for network loss: %+v", c)
		}
	}
}

// TestConsentAgainStartsANewStream: each stretch of consent is its own
// engine stream, and utterance numbers go on across them.
func TestConsentAgainStartsANewStream(t *testing.T) {
	e := newEnv(t, 0)
	a := e.attach(t, "p_ana")
	e.sess.Allow("p_ana", "u_ana")
	a.send(silence)
	e.written(t, 0, 320)
	e.sess.Deny("p_ana")
	e.finishedStream(t, 0)
	e.sess.Allow("p_ana", "u_ana")
	a.send(silence)
	a.send(silence)
	e.written(t, 1, 640)
	e.sess.Deny("p_ana")
	e.finishedStream(t, 1)
	eventually.True(t, "two captions", func() bool { return len(e.caps.all()) == 2 })
	cs := e.caps.all()
	if cs[0].Utterance != 0 || cs[1].Utterance != 1 || cs[0].Text != "320 samples" || cs[1].Text != "640 samples" {
		t.Fatalf("captions %+v", cs)
	}
}

// TestEngineFailureNotRetriedUntilConsentChanges: an engine that will not
// start is tried once per stretch of consent, not once per packet.
func TestEngineFailureNotRetriedUntilConsentChanges(t *testing.T) {
	e := newEnv(t, 0)
	e.eng.openErr = errors.New("no engine")
	a := e.attach(t, "p_ana")
	e.sess.Allow("p_ana", "u_ana")
	for range 20 {
		a.send(silence)
	}
	eventually.True(t, "the queue drained", func() bool { return len(a.k.queue) == 0 })
	e.sess.Deny("p_ana")
	e.sess.Allow("p_ana", "u_ana")
	a.send(silence)
	eventually.True(t, "a second try", func() bool { return e.eng.openCount() == 2 })
	eventually.True(t, "the queue drained", func() bool { return len(a.k.queue) == 0 })
	if n := e.eng.openCount(); n != 2 || e.sess.Stats().Failures != 2 {
		t.Fatalf("%d opens, %+v", n, e.sess.Stats())
	}
	if !strings.Contains(e.logs.String(), "cannot start the speech engine") {
		t.Fatalf("logs: %s", e.logs)
	}
}

// TestTapTakesMicrophonesOnly: cameras, screens and non-Opus audio get no
// sink.
func TestTapTakesMicrophonesOnly(t *testing.T) {
	e := newEnv(t, 0)
	for _, tr := range []fakeTrack{
		{owner: "p", source: sfu.SourceCamera, kind: webrtc.RTPCodecTypeVideo, mime: webrtc.MimeTypeVP8},
		{owner: "p", source: sfu.SourceScreen, kind: webrtc.RTPCodecTypeVideo, mime: webrtc.MimeTypeVP8},
		{owner: "p", source: sfu.SourceScreen, kind: webrtc.RTPCodecTypeAudio, mime: webrtc.MimeTypeOpus},
		{owner: "p", source: sfu.SourceAudio, kind: webrtc.RTPCodecTypeAudio, mime: webrtc.MimeTypePCMU},
	} {
		if k := e.sess.attach(tr); k != nil {
			t.Errorf("a sink for %+v", tr)
		}
	}
	if k := e.sess.attach(fakeTrack{owner: "p", source: sfu.SourceAudio, kind: webrtc.RTPCodecTypeAudio, mime: "audio/OPUS"}); k == nil {
		t.Error("no sink for a microphone")
	}
}

// TestStopFinishesStreams: Stop finishes every stream (its captions come)
// and no sink is attached afterwards.
func TestStopFinishesStreams(t *testing.T) {
	e := newEnv(t, 0)
	a := e.attach(t, "p_ana")
	e.sess.Allow("p_ana", "u_ana")
	a.send(silence)
	if err := e.sess.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if cs := e.caps.all(); len(cs) != 1 || cs[0].Text != "320 samples" {
		t.Fatalf("captions after Stop: %+v", cs)
	}
	if k := e.sess.attach(mic("p_bob")); k != nil {
		t.Fatal("a sink after Stop")
	}
	if err := e.sess.Stop(context.Background()); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
}

// TestStopGivesUpOnAStuckEngine: when Stop's context ends, streams are
// closed rather than waited for.
func TestStopGivesUpOnAStuckEngine(t *testing.T) {
	e := newEnv(t, 0)
	e.eng.gate = make(chan struct{}) // never opens
	a := e.attach(t, "p_ana")
	e.sess.Allow("p_ana", "u_ana")
	a.send(silence)
	<-e.eng.writing
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := e.sess.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Stop: %v", err)
	}
	if _, _, closed := e.eng.snapshot()[0].state(); !closed {
		t.Fatal("the stuck stream was not closed")
	}
}

func TestNewNeedsEngineAndCallback(t *testing.T) {
	if _, err := New(Options{OnCaption: func(Caption) {}}); err == nil {
		t.Fatal("no engine accepted")
	}
	if _, err := New(Options{Engine: newFakeEngine()}); err == nil {
		t.Fatal("no OnCaption accepted")
	}
}
