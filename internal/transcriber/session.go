// Package transcriber is transcription's media side: an sfu tap whose
// sinks take each consenting participant's microphone, decode it to
// 16 kHz PCM and feed a speech engine, one stream per stretch of consent,
// and hand back captions with meeting times. It is to transcripts what
// internal/recorder is to recordings, with the same consent gate: nobody's
// audio is even copied before Allow, nor after Deny.
//
// Transcription runs off the media path: WriteRTP only gates and queues;
// a slow engine fills a bounded queue, whose overflow is dropped and
// reported as a gap in the transcript.
package transcriber

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/consentgate"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/transcribe"
)

// Defaults for Options.
const (
	// DefaultQueueLen is a sink's queue in packets: 5 s of 20 ms Opus.
	DefaultQueueLen = 250
	// DefaultWriteTimeout bounds one write to the engine; an engine stuck
	// that long has failed, and its stream is closed.
	DefaultWriteTimeout = 30 * time.Second
	// DefaultFinishTimeout bounds an engine's last results after consent
	// ended or the track did.
	DefaultFinishTimeout = 30 * time.Second
	// maxGap is the longest silence (48 kHz samples) filled in between
	// two packets: past it, a new engine stream starts at the next packet.
	maxGap = 10 * 48000
)

// Opener is what the transcriber needs of a speech engine.
type Opener interface {
	Open(ctx context.Context, opts transcribe.StreamOptions) (transcribe.Stream, error)
}

// Caption is recognised speech of one participant, or a gap in it.
type Caption struct {
	Participant string // who spoke
	Subject     string // whose personal data it is, as given to Allow
	// Utterance numbers a participant's utterances in the session:
	// a partial caption is replaced by the next one with the same number,
	// and by the final one.
	Utterance int
	Final     bool
	// Start and End are times since the session began.
	Start, End time.Duration
	Text       string
	Words      []transcribe.Word // times since the session began
	// Gap, when not zero, says that this much of the participant's audio
	// was dropped here because the engine fell behind; Text is empty,
	// Final is true and Utterance is -1.
	Gap time.Duration
}

// Options configure a session.
type Options struct {
	Engine Opener
	// OnCaption receives captions. It is called concurrently, from the
	// sinks' goroutines; a participant's speech captions come in order,
	// but a gap caption may come before the last captions of the speech
	// before it (each carries its own times). It must not block for long:
	// the engine waits.
	OnCaption func(Caption)
	// Language is passed to the engine ("" is its default).
	Language      string
	Clock         func() time.Time // time.Now when nil
	QueueLen      int              // DefaultQueueLen when 0
	WriteTimeout  time.Duration    // DefaultWriteTimeout when 0
	FinishTimeout time.Duration    // DefaultFinishTimeout when 0
	Logger        *slog.Logger     // slog.Default when nil
}

// Session transcribes one meeting: attach its Tap to the meeting's
// sfu.Room (room.AddTap(sess.Tap)) and Allow each participant who
// consented.
type Session struct {
	o     Options
	log   *slog.Logger
	start time.Time

	ctx    context.Context // cancelled when Stop gives up waiting
	cancel context.CancelFunc

	mu      sync.Mutex
	gates   consentgate.Set // one per participant: every Allow after a Deny starts a new epoch
	sinks   map[*sink]struct{}
	stopped bool

	wg       sync.WaitGroup
	stopOnce sync.Once
	stopDone chan struct{}

	streams, gated, dropped, failures atomic.Int64
}

// New returns a session that transcribes nobody until Allow.
func New(o Options) (*Session, error) {
	if o.Engine == nil {
		return nil, errors.New("transcriber: no engine")
	}
	if o.OnCaption == nil {
		return nil, errors.New("transcriber: no OnCaption")
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.QueueLen <= 0 {
		o.QueueLen = DefaultQueueLen
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.FinishTimeout <= 0 {
		o.FinishTimeout = DefaultFinishTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Session{o: o, log: o.Logger, start: o.Clock(), ctx: ctx, cancel: cancel,
		sinks: map[*sink]struct{}{}, stopDone: make(chan struct{})}, nil
}

// track is what a sink needs to know of an sfu.Track.
type track interface {
	Owner() string
	Source() sfu.Source
	Kind() webrtc.RTPCodecType
	Codec() webrtc.RTPCodecCapability
}

// Tap is the session's sfu.Tap: a sink for every microphone track in
// Opus, nil for any other track and once the session stopped.
func (s *Session) Tap(t sfu.Track) sfu.Sink {
	if k := s.attach(t); k != nil {
		return k
	}
	return nil
}

func (s *Session) attach(t track) *sink {
	if t.Kind() != webrtc.RTPCodecTypeAudio || t.Source() != sfu.SourceAudio ||
		!strings.EqualFold(t.Codec().MimeType, webrtc.MimeTypeOpus) {
		return nil
	}
	k := &sink{sess: s, owner: t.Owner(), queue: make(chan item, s.o.QueueLen),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	k.consent = s.gates.Of(k.owner)
	s.sinks[k] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go k.run()
	return k
}

// Allow transcribes participant's microphone from now on, as personal
// data of subject. Allowing again while allowed changes nothing. It never
// blocks: the room calls it under its lock.
func (s *Session) Allow(participant, subject string) {
	s.gates.Of(participant).Allow(subject)
}

// Deny stops transcribing participant (consent declined or withdrawn, or
// gone): from this call on their packets are refused before they are
// copied, and what was queued never reaches the engine. What the engine
// already has is finished: its last captions still come. It never blocks.
func (s *Session) Deny(participant string) {
	g := s.gates.Of(participant)
	g.Deny()
	s.mu.Lock()
	var theirs []*sink
	for k := range s.sinks {
		if k.consent == g {
			theirs = append(theirs, k)
		}
	}
	s.mu.Unlock()
	for _, k := range theirs {
		k.poke()
	}
}

// Stop ends every sink: each finishes its engine stream, whose last
// captions still come. It waits until ctx is done; then it closes the
// streams still open, dropping their pending audio. It is idempotent.
func (s *Session) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopped = true
		sinks := make([]*sink, 0, len(s.sinks))
		for k := range s.sinks {
			sinks = append(sinks, k)
		}
		s.mu.Unlock()
		for _, k := range sinks {
			k.Close()
		}
		go func() {
			s.wg.Wait()
			close(s.stopDone)
		}()
	})
	select {
	case <-s.stopDone:
		return nil
	case <-ctx.Done():
		s.cancel()
		<-s.stopDone
		return fmt.Errorf("transcriber: stop: %w", ctx.Err())
	}
}

func (s *Session) sinkEnded(k *sink) {
	s.mu.Lock()
	delete(s.sinks, k)
	s.mu.Unlock()
	s.wg.Done()
}

// since is the session time of t.
func (s *Session) since(t time.Time) time.Duration { return max(t.Sub(s.start), 0) }

// Stats counts what a session did so far.
type Stats struct {
	Streams  int64 // engine streams opened
	Gated    int64 // packets refused for want of consent
	Dropped  int64 // packets dropped because a sink's queue was full
	Failures int64 // engine streams that failed (open, write or end)
}

// Stats returns the session's counters.
func (s *Session) Stats() Stats {
	return Stats{Streams: s.streams.Load(), Gated: s.gated.Load(), Dropped: s.dropped.Load(), Failures: s.failures.Load()}
}
