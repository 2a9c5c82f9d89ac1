package transcriber

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/testlog"
	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/pocketsphinx"
	"github.com/conclave-meet/conclave/internal/transcribe/speechtest"
)

// countingEngine counts the streams a real engine is asked for, and by
// whom.
type countingEngine struct {
	transcribe.Engine
	opens atomic.Int32
	bob   atomic.Int32
}

func (e *countingEngine) Open(ctx context.Context, o transcribe.StreamOptions) (transcribe.Stream, error) {
	e.opens.Add(1)
	if o.Speaker == "p_bob" {
		e.bob.Add(1)
	}
	return e.Engine.Open(ctx, o)
}

// TestTranscribesOnlyWhoConsented: two people speak at once; Ana
// consented, Bob did not. PocketSphinx hears Ana's words, attributed to
// her; Bob's audio never reaches it.
func TestTranscribesOnlyWhoConsented(t *testing.T) {
	speechtest.NeedTool(t, pocketsphinx.DefaultProgram)
	ps, err := pocketsphinx.New(pocketsphinx.Config{})
	if err != nil {
		t.Fatal(err)
	}
	const anaSaid = "please open the door and close the window"
	const bobSaid = "the quick brown fox jumped over the lazy dog"
	anaPkts, bobPkts := speechtest.SpokenOpus(t, anaSaid, 10), speechtest.SpokenOpus(t, bobSaid, 10)

	eng := &countingEngine{Engine: ps}
	caps := &captions{}
	logs := &testlog.Buffer{}
	sess, err := New(Options{Engine: eng, OnCaption: caps.add, Language: "en",
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ana := &sender{k: sess.attach(mic("p_ana")), ts: 1000}
	bob := &sender{k: sess.attach(mic("p_bob")), ts: 5000}
	sess.Allow("p_ana", "u_ana")
	for i := range max(len(anaPkts), len(bobPkts)) {
		if i < len(anaPkts) {
			// Faster than real time, so wait for room rather than drop.
			eventually.True(t, "room in Ana's queue", func() bool { return len(ana.k.queue) < cap(ana.k.queue) })
			if !ana.send(anaPkts[i]) {
				t.Fatalf("Ana's packet %d refused", i)
			}
		}
		if i < len(bobPkts) && bob.send(bobPkts[i]) {
			t.Fatalf("Bob's packet %d taken without his consent", i)
		}
	}
	if err := sess.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}

	var heard []string
	for _, c := range caps.all() {
		if c.Participant != "p_ana" || c.Subject != "u_ana" || !c.Final || c.Gap != 0 {
			t.Fatalf("caption %+v", c)
		}
		heard = append(heard, c.Text)
	}
	text := strings.Join(heard, " ")
	wer := transcribe.WordErrorRate(anaSaid, text)
	t.Logf("heard %q from Ana: WER %.2f; logs: %s", text, wer, logs)
	if wer > 0.10 {
		t.Fatalf("word error rate %.2f, want ≤ 0.10", wer)
	}
	for _, w := range []string{"quick", "fox", "lazy", "dog"} {
		if strings.Contains(text, w) {
			t.Fatalf("Bob's %q in the transcript", w)
		}
	}
	if eng.opens.Load() != 1 || eng.bob.Load() != 0 {
		t.Fatalf("%d engine streams, %d for Bob", eng.opens.Load(), eng.bob.Load())
	}
	if st := sess.Stats(); st.Gated != int64(len(bobPkts)) || st.Dropped != 0 || st.Failures != 0 {
		t.Fatalf("stats %+v, Bob sent %d", st, len(bobPkts))
	}
}
