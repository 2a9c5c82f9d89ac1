package transcriptions

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/transcriber"
)

// SegmentStore keeps the final captions of a transcription (sqlite.Store
// and postgres.Store implement it; docs/transcripts.md, "The stored
// transcript").
type SegmentStore interface {
	AddTranscriptSegment(ctx context.Context, seg store.TranscriptSegment) error
}

// storeQueue is how many final captions wait for the store per
// transcription; more are dropped and counted (the store fell behind).
const storeQueue = 256

// storeTimeout bounds writing one segment.
const storeTimeout = 10 * time.Second

// GapText is the line a gap in the audio leaves in the stored transcript.
func GapText(d time.Duration) string {
	return fmt.Sprintf("[%.1f s not transcribed: the speech engine fell behind]", d.Seconds())
}

// segmentWriter stores one transcription's final captions in the order
// they came, on its own goroutine: the transcriber's result goroutines
// only queue them, so a slow store never holds back the engine or the
// media, and no lock is held while writing.
type segmentWriter struct {
	l             *Live
	meetingID, id string
	name          func(participantID string) string

	mu     sync.Mutex // guards closed, names and sends on ch
	closed bool
	names  map[string]string // participant ID → name last seen
	ch     chan store.TranscriptSegment
	done   chan struct{}
}

func (l *Live) newSegmentWriter(meetingID, id string, name func(string) string) *segmentWriter {
	w := &segmentWriter{l: l, meetingID: meetingID, id: id, name: name,
		ch: make(chan store.TranscriptSegment, storeQueue), done: make(chan struct{}), names: map[string]string{}}
	go w.run()
	return w
}

// add queues a final caption (or a gap marker) for the store; partials
// and empty finals are not kept.
func (w *segmentWriter) add(c transcriber.Caption) {
	if !c.Final || (c.Text == "" && c.Gap == 0) {
		return
	}
	id, err := newPrefixedID("s_")
	if err != nil {
		w.failed(err)
		return
	}
	seg := store.TranscriptSegment{ID: id, MeetingID: w.meetingID, TranscriptionID: w.id, SpeakerID: c.Participant,
		Start: c.Start, End: c.End, Text: c.Text, CreatedAt: w.l.o.Now().UTC()}
	if strings.HasPrefix(c.Subject, "u_") {
		seg.SpeakerUser = c.Subject
	}
	if w.name != nil {
		seg.SpeakerName = w.name(c.Participant)
	}
	if c.Gap != 0 {
		seg.Text, seg.End = GapText(c.Gap), c.Start+c.Gap
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return
	}
	// The room forgets the names when the transcription stops; lines the
	// engine finishes after that keep the name last seen.
	if seg.SpeakerName != "" {
		w.names[c.Participant] = seg.SpeakerName
	} else {
		seg.SpeakerName = w.names[c.Participant]
	}
	select {
	case w.ch <- seg:
	default:
		w.failed(fmt.Errorf("the store is %d segments behind", storeQueue))
	}
}

func (w *segmentWriter) run() {
	defer close(w.done)
	for seg := range w.ch {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		err := w.l.o.Store.AddTranscriptSegment(ctx, seg)
		cancel()
		if err != nil {
			w.failed(err)
			continue
		}
		w.l.stored.Add(1)
	}
}

func (w *segmentWriter) failed(err error) {
	w.l.storeFailures.Add(1)
	w.l.log.Error("a transcript segment was not stored", "transcription", w.id, "meeting", w.meetingID, "err", err)
}

// close stores what is queued and returns when it is stored or ctx ends.
func (w *segmentWriter) close(ctx context.Context) error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.ch)
	}
	w.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// StoreStats counts the segments stored and those that failed to be.
type StoreStats struct{ Stored, Failed int64 }

// StoreStats reports what the service stored since it started.
func (l *Live) StoreStats() StoreStats {
	return StoreStats{Stored: l.stored.Load(), Failed: l.storeFailures.Load()}
}
