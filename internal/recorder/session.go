package recorder

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
)

// ErrDiskLow is why a recording does not start, or stops itself: the data
// directory has less than Options.MinFree bytes free.
var ErrDiskLow = errors.New("recorder: too little free disk space to record")

// DefaultDiskCheckEvery is how often a recording checks free space while
// it writes.
const DefaultDiskCheckEvery = 5 * time.Second

// Options configure a recording.
type Options struct {
	RecordingID, MeetingID string
	Catalog                Catalog
	// Clock is the time (time.Now when nil): recording time, file offsets,
	// flushes, layer switches and disk checks all follow it.
	Clock func() time.Time
	// FreeSpace returns the free bytes in the data directory (nil: never
	// checked). Recording needs MinFree of them, at the start and every
	// DiskCheckEvery (DefaultDiskCheckEvery when 0) while writing.
	FreeSpace      func() (int64, error)
	MinFree        int64
	DiskCheckEvery time.Duration
	// OnFault is called once, on its own goroutine, when the recording
	// stopped itself (ErrDiskLow, a write error), after every file was
	// finished; Stop is not needed then but does no harm.
	OnFault func(error)
	Logger  *slog.Logger // slog.Default when nil
}

// Session is one recording of a meeting: attach its Tap to the meeting's
// sfu.Room (room.AddTap(sess.Tap)) and every published track gets a sink
// that writes one sealed WebM file per stretch of consent. Nobody's media
// is recorded before Allow, nor after Deny.
type Session struct {
	o     Options
	now   func() time.Time
	log   *slog.Logger
	start time.Time

	mu      sync.Mutex
	gates   consentgate.Set
	sinks   map[*sink]struct{}
	stopped bool
	errs    []error

	wg        sync.WaitGroup // one per sink goroutine
	stopOnce  sync.Once
	stopDone  chan struct{}
	faultOnce sync.Once
	queueLen  int // tests shrink it

	lastDisk                   atomic.Int64 // UnixNano of the last free-space check
	filesOpened, filesFinished atomic.Int64
	frames, dropped, gated     atomic.Int64
}

// consent is one participant's answer. Packets carry the epoch they were
// taken in: every Allow after a Deny starts a new one, so nothing taken
// before a withdrawal is written after it.

// New starts a recording, checking free space first (ErrDiskLow).
func New(opts Options) (*Session, error) {
	if opts.Catalog == nil {
		return nil, errors.New("recorder: no catalog")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.DiskCheckEvery <= 0 {
		opts.DiskCheckEvery = DefaultDiskCheckEvery
	}
	s := &Session{o: opts, now: opts.Clock, log: opts.Logger, start: opts.Clock(),
		sinks: map[*sink]struct{}{}, stopDone: make(chan struct{}),
		queueLen: defaultQueueLen}
	if opts.FreeSpace != nil {
		free, err := opts.FreeSpace()
		if err != nil {
			return nil, fmt.Errorf("recorder: free space: %w", err)
		}
		if free < opts.MinFree {
			return nil, fmt.Errorf("%w (%d bytes free, %d needed)", ErrDiskLow, free, opts.MinFree)
		}
	}
	s.lastDisk.Store(s.start.UnixNano())
	return s, nil
}

// Tap is the recording's sfu.Tap: it returns a sink for every VP8 or Opus
// track (nil for others, and once the recording stopped).
func (s *Session) Tap(t sfu.Track) sfu.Sink {
	if k := s.attach(sfuTrack{t}); k != nil {
		return k
	}
	return nil
}

func (s *Session) attach(src source) *sink {
	meta, rate, ok := describe(src)
	if !ok {
		s.log.Warn("recorder: track not recorded: codec", "mime", src.Codec().MimeType)
		return nil
	}
	meta.RecordingID, meta.MeetingID, meta.Owner = s.o.RecordingID, s.o.MeetingID, src.Owner()
	k := &sink{sess: s, src: src, meta: meta, rate: rate, queue: make(chan item, s.queueLen),
		wake: make(chan struct{}, 1), done: make(chan struct{})}
	k.sel.video = meta.Kind == "video"
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	k.consent = s.gates.Of(src.Owner())
	s.sinks[k] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go k.run()
	return k
}

// describe maps a track to its catalog description and clock rate.
func describe(src source) (TrackMeta, uint32, bool) {
	c := src.Codec()
	var m TrackMeta
	switch {
	case strings.EqualFold(c.MimeType, webrtc.MimeTypeVP8) && src.Kind() == webrtc.RTPCodecTypeVideo:
		m.Kind, m.Codec = "video", "VP8"
	case strings.EqualFold(c.MimeType, webrtc.MimeTypeOpus) && src.Kind() == webrtc.RTPCodecTypeAudio:
		m.Kind, m.Codec = "audio", "opus"
	default:
		return m, 0, false
	}
	switch src.Source() {
	case sfu.SourceAudio:
		m.Source = "microphone"
	default:
		m.Source = string(src.Source())
	}
	rate := c.ClockRate
	if rate == 0 {
		rate = map[string]uint32{"video": 90000, "audio": 48000}[m.Kind]
	}
	return m, rate, true
}

// Allow records owner's tracks from their next keyframe on, as data of
// subject (see TrackMeta.Subject). Allowing again while allowed changes
// nothing.
func (s *Session) Allow(owner, subject string) {
	s.gates.Of(owner).Allow(subject)
}

// Deny stops recording owner (consent declined or withdrawn, or gone):
// from this call on their packets are refused before they are copied, and
// what was queued is dropped. Their open files are finished as complete,
// asynchronously; a later Allow starts new ones.
func (s *Session) Deny(owner string) {
	g := s.gates.Of(owner)
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

// Stop ends the recording: every sink stops and its file is finished
// (FinishTrack). It waits for that until ctx ends, and returns the catalog
// errors met on the way. It is idempotent.
func (s *Session) Stop(ctx context.Context) error {
	s.shutdown(false)
	select {
	case <-s.stopDone:
	case <-ctx.Done():
		return fmt.Errorf("recorder: stop: %w", ctx.Err())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return errors.Join(s.errs...)
}

// shutdown ends every sink, once; cut marks their files incomplete. It
// reports whether this call did it.
func (s *Session) shutdown(cut bool) bool {
	first := false
	s.stopOnce.Do(func() {
		first = true
		s.mu.Lock()
		s.stopped = true
		sinks := make([]*sink, 0, len(s.sinks))
		for k := range s.sinks {
			sinks = append(sinks, k)
		}
		s.mu.Unlock()
		for _, k := range sinks {
			k.end(cut)
		}
		go func() {
			s.wg.Wait()
			close(s.stopDone)
		}()
	})
	return first
}

// fault stops the recording because of err and tells OnFault once every
// file is finished. A fault after Stop changes nothing.
func (s *Session) fault(err error) {
	s.faultOnce.Do(func() {
		if !s.shutdown(true) {
			return
		}
		s.log.Error("recorder: recording stopped itself", "recording", s.o.RecordingID, "err", err)
		go func() {
			<-s.stopDone
			if s.o.OnFault != nil {
				s.o.OnFault(err)
			}
		}()
	})
}

// diskLow checks free space when DiskCheckEvery passed since the last
// check; it runs on sink goroutines, and one of them wins each check.
func (s *Session) diskLow() bool {
	if s.o.FreeSpace == nil {
		return false
	}
	now, last := s.now().UnixNano(), s.lastDisk.Load()
	if now-last < int64(s.o.DiskCheckEvery) || !s.lastDisk.CompareAndSwap(last, now) {
		return false
	}
	free, err := s.o.FreeSpace()
	if err != nil {
		s.log.Warn("recorder: cannot check free space", "err", err)
		return false
	}
	return free < s.o.MinFree
}

func (s *Session) sinkEnded(k *sink) {
	s.mu.Lock()
	delete(s.sinks, k)
	s.mu.Unlock()
	s.wg.Done()
}

func (s *Session) addErr(err error) {
	s.mu.Lock()
	s.errs = append(s.errs, err)
	s.mu.Unlock()
}

// Stats counts what a recording did so far.
type Stats struct {
	FilesOpened   int64 // track files started
	FilesFinished int64 // track files finished (FinishTrack called)
	Frames        int64 // frames in the finished files
	Dropped       int64 // packets dropped because a sink's queue was full
	Gated         int64 // packets refused for want of consent
}

// Stats returns the recording's counters.
func (s *Session) Stats() Stats {
	return Stats{FilesOpened: s.filesOpened.Load(), FilesFinished: s.filesFinished.Load(),
		Frames: s.frames.Load(), Dropped: s.dropped.Load(), Gated: s.gated.Load()}
}
