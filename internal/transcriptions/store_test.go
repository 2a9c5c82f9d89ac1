package transcriptions

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/transcriber"
)

// memStore keeps segments in memory; fail makes every add fail, block
// holds every add until it is closed.
type memStore struct {
	mu    sync.Mutex
	segs  []store.TranscriptSegment
	fail  bool
	block chan struct{}
}

func (m *memStore) AddTranscriptSegment(ctx context.Context, seg store.TranscriptSegment) error {
	if m.block != nil {
		select {
		case <-m.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if m.fail {
		return errors.New("disk full")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.segs = append(m.segs, seg)
	return nil
}

func (m *memStore) all() []store.TranscriptSegment {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]store.TranscriptSegment(nil), m.segs...)
}

var at = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// TestWriterKeepsFinals: finals are stored with the speaker's account (an
// account subject only), the name the room gives (or the last one seen,
// once the room no longer knows it) and a line marking a gap; partials
// and empty finals are not.
func TestWriterKeepsFinals(t *testing.T) {
	ms := &memStore{}
	l := New(Options{Store: ms, Now: func() time.Time { return at }})
	names := map[string]string{"p_ana": "Ana", "p_gus": "Gus"}
	var mu sync.Mutex
	w := l.newSegmentWriter("mmmm-mmmm-mmmm-mmmm", "t_1", func(pid string) string {
		mu.Lock()
		defer mu.Unlock()
		return names[pid]
	})
	w.add(transcriber.Caption{Participant: "p_ana", Subject: "u_ana", Utterance: 0, Text: "hello", Start: time.Second})
	w.add(transcriber.Caption{Participant: "p_ana", Subject: "u_ana", Utterance: 0, Final: true, Text: "hello all",
		Start: time.Second, End: 2 * time.Second})
	w.add(transcriber.Caption{Participant: "p_gus", Subject: "p_gus", Utterance: 0, Final: true, Text: "hi", Start: 3 * time.Second,
		End: 4 * time.Second})
	w.add(transcriber.Caption{Participant: "p_gus", Subject: "p_gus", Utterance: 1, Final: true})
	mu.Lock()
	delete(names, "p_ana") // the transcription stopped: the room forgets
	mu.Unlock()
	w.add(transcriber.Caption{Participant: "p_ana", Subject: "u_ana", Utterance: -1, Final: true, Start: 5 * time.Second,
		Gap: 1500 * time.Millisecond})
	if err := w.close(context.Background()); err != nil {
		t.Fatal(err)
	}
	w.add(transcriber.Caption{Participant: "p_ana", Final: true, Text: "after close"})
	got := ms.all()
	if len(got) != 3 {
		t.Fatalf("stored %+v", got)
	}
	a, g, gap := got[0], got[1], got[2]
	if a.Text != "hello all" || a.SpeakerID != "p_ana" || a.SpeakerUser != "u_ana" || a.SpeakerName != "Ana" || a.MeetingID != "mmmm-mmmm-mmmm-mmmm" ||
		a.TranscriptionID != "t_1" || a.Start != time.Second || a.End != 2*time.Second || !a.CreatedAt.Equal(at) || len(a.ID) != 18 {
		t.Errorf("Ana's line %+v", a)
	}
	if g.SpeakerUser != "" || g.SpeakerName != "Gus" || g.Text != "hi" {
		t.Errorf("the guest's line %+v", g)
	}
	if gap.Text != GapText(1500*time.Millisecond) || gap.SpeakerName != "Ana" || gap.End != 6500*time.Millisecond {
		t.Errorf("the gap %+v", gap)
	}
	if st := l.StoreStats(); st.Stored != 3 || st.Failed != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestWriterNeverBlocks: a store that fails is counted; one that hangs
// never holds back the caller (what does not fit the queue is dropped and
// counted), and closing gives up when its context ends.
func TestWriterNeverBlocks(t *testing.T) {
	failing := New(Options{Store: &memStore{fail: true}})
	w := failing.newSegmentWriter("m", "t_1", nil)
	w.add(transcriber.Caption{Participant: "p_a", Final: true, Text: "x"})
	if err := w.close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := failing.StoreStats(); st.Failed != 1 || st.Stored != 0 {
		t.Fatalf("failing store: %+v", st)
	}

	ms := &memStore{block: make(chan struct{})}
	hung := New(Options{Store: ms})
	w = hung.newSegmentWriter("m", "t_1", nil)
	for range storeQueue + 10 {
		w.add(transcriber.Caption{Participant: "p_a", Final: true, Text: "x"}) // returns at once
	}
	if st := hung.StoreStats(); st.Failed < 9 {
		t.Fatalf("a full queue dropped %d, want at least 9", st.Failed)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.close(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("close with an ended context: %v", err)
	}
	close(ms.block)
	if err := w.close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st := hung.StoreStats(); st.Stored+st.Failed != storeQueue+10 {
		t.Fatalf("stats after the store woke: %+v", st)
	}
}
