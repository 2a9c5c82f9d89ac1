package transcriber

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/testlog"
	"github.com/conclave-meet/conclave/internal/transcribe"
)

// silence is a 20 ms Opus packet (CELT, full band) of silence.
var silence = []byte{0xf8, 0xff, 0xfe}

// fakeEngine records what each stream was given; on Finish a stream says
// how many samples it got.
type fakeEngine struct {
	mu      sync.Mutex
	streams []*fakeStream
	opens   int
	openErr error
	gate    chan struct{} // non-nil: Write waits for it to close
	writing chan struct{} // a Write began (buffered)
}

func newFakeEngine() *fakeEngine { return &fakeEngine{writing: make(chan struct{}, 1000)} }

func (e *fakeEngine) Open(_ context.Context, o transcribe.StreamOptions) (transcribe.Stream, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opens++
	if e.openErr != nil {
		return nil, e.openErr
	}
	s := &fakeStream{e: e, speaker: o.Speaker, results: make(chan transcribe.Result, 16)}
	e.streams = append(e.streams, s)
	return s, nil
}

func (e *fakeEngine) snapshot() []*fakeStream {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*fakeStream(nil), e.streams...)
}

func (e *fakeEngine) openCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.opens
}

type fakeStream struct {
	e       *fakeEngine
	speaker string
	results chan transcribe.Result
	once    sync.Once

	mu       sync.Mutex
	samples  int
	finished bool
	closed   bool
}

func (s *fakeStream) Write(ctx context.Context, pcm []int16) error {
	select {
	case s.e.writing <- struct{}{}:
	default: // nobody counts this many
	}
	s.e.mu.Lock()
	gate := s.e.gate
	s.e.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished || s.closed {
		return transcribe.ErrClosed
	}
	s.samples += len(pcm)
	return nil
}

func (s *fakeStream) Finish(context.Context) error {
	s.mu.Lock()
	s.finished = true
	n := s.samples
	s.mu.Unlock()
	s.once.Do(func() {
		s.results <- transcribe.Result{Speaker: s.speaker, Final: true, Start: 0, End: transcribe.Duration(n),
			Text: fmt.Sprintf("%d samples", n), Words: []transcribe.Word{{Text: "w", Start: 10 * time.Millisecond, End: 20 * time.Millisecond}}}
		close(s.results)
	})
	return nil
}

func (s *fakeStream) Results() <-chan transcribe.Result { return s.results }

func (s *fakeStream) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.once.Do(func() { close(s.results) })
	return nil
}

func (s *fakeStream) Err() error { return nil }

func (s *fakeStream) state() (samples int, finished, closed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples, s.finished, s.closed
}

// captions collects what OnCaption is given.
type captions struct {
	mu   sync.Mutex
	list []Caption
}

func (c *captions) add(x Caption) {
	c.mu.Lock()
	c.list = append(c.list, x)
	c.mu.Unlock()
}

func (c *captions) all() []Caption {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Caption(nil), c.list...)
}

type fakeTrack struct {
	owner  string
	source sfu.Source
	kind   webrtc.RTPCodecType
	mime   string
}

func (t fakeTrack) Owner() string             { return t.owner }
func (t fakeTrack) Source() sfu.Source        { return t.source }
func (t fakeTrack) Kind() webrtc.RTPCodecType { return t.kind }
func (t fakeTrack) Codec() webrtc.RTPCodecCapability {
	return webrtc.RTPCodecCapability{MimeType: t.mime}
}

func mic(owner string) fakeTrack {
	return fakeTrack{owner: owner, source: sfu.SourceAudio, kind: webrtc.RTPCodecTypeAudio, mime: webrtc.MimeTypeOpus}
}

// env is a session with a fake engine and a clock that stands still
// unless a test moves it.
type env struct {
	eng  *fakeEngine
	caps *captions
	sess *Session
	logs *testlog.Buffer
	now  time.Time
	mu   sync.Mutex
}

func newEnv(t *testing.T, queueLen int) *env {
	t.Helper()
	e := &env{eng: newFakeEngine(), caps: &captions{}, now: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)}
	e.logs = &testlog.Buffer{}
	sess, err := New(Options{Engine: e.eng, OnCaption: e.caps.add, QueueLen: queueLen, Clock: e.clock,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	e.sess = sess
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = sess.Stop(ctx)
	})
	return e
}

func (e *env) clock() time.Time {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.now
}

func (e *env) advance(d time.Duration) {
	e.mu.Lock()
	e.now = e.now.Add(d)
	e.mu.Unlock()
}

// sender numbers one participant's packets as a browser does: RTP
// timestamps 960 apart, 20 ms each.
type sender struct {
	k   *sink
	seq uint16
	ts  uint32
}

// send offers the next packet and reports whether the sink took it.
func (s *sender) send(payload []byte) bool {
	pkt := &rtp.Packet{Header: rtp.Header{SequenceNumber: s.seq, Timestamp: s.ts}, Payload: payload}
	s.seq++
	s.ts += 960
	return s.k.WriteRTP(sfu.Layer{}, pkt, false)
}

// skip leaves out n packets, as a lost stretch would.
func (s *sender) skip(n int) {
	s.seq += uint16(n)
	s.ts += uint32(960 * n)
}
