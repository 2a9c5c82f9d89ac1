package recorder

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/pion/rtp"

	"github.com/conclave-meet/conclave/internal/consentgate"
	"github.com/conclave-meet/conclave/internal/sfu"
)

const (
	// defaultQueueLen is a sink's queue in packets: about two seconds of
	// a 2.5 Mbit/s camera.
	defaultQueueLen = 512
	// catalogTimeout bounds one catalog call.
	catalogTimeout = 10 * time.Second
)

// item is one packet on its way from WriteRTP to the sink's goroutine.
type item struct {
	pkt   *rtp.Packet
	layer layer
	start bool      // see verdict.start
	epoch uint64    // the owner's consent epoch when it was taken
	at    time.Time // capture (arrival) time
}

// sink records one published track. WriteRTP, on the publisher's reader
// goroutine, only gates, picks the layer and queues a copy; its own
// goroutine does everything slow: the catalog, depacketizing, muxing,
// sealing and file I/O.
type sink struct {
	sess    *Session
	src     source
	consent *consentgate.Gate
	meta    TrackMeta // Offset is set per file
	rate    uint32

	queue    chan item
	wake     chan struct{} // consent changed: look at the open file
	done     chan struct{} // closed when the sink ends
	doneOnce sync.Once
	closed   atomic.Bool
	cut      atomic.Bool // ended by a fault: the open file is incomplete

	mu  sync.Mutex // the packet path's own, held only to pick a layer
	sel selector

	// The goroutine's alone:
	file      *trackFile
	refused   bool // the catalog refused a file for refusedAt's epoch
	refusedAt uint64
}

var _ sfu.Sink = (*sink)(nil)

// WriteRTP implements sfu.Sink. It never blocks: the consent gate comes
// first, so that nothing of someone who did not consent is even copied.
func (s *sink) WriteRTP(l sfu.Layer, pkt *rtp.Packet, keyframe bool) bool {
	return s.offer(l, pkt, keyframe)
}

func (s *sink) offer(l layer, pkt *rtp.Packet, key bool) bool {
	epoch, ok := s.consent.Open()
	if !ok {
		s.sess.gated.Add(1)
		return false
	}
	if s.closed.Load() {
		return false
	}
	now := s.sess.now()
	s.mu.Lock()
	known := s.sel.known(l)
	s.mu.Unlock()
	if !known {
		all := s.src.layers() // once per layer: the SFU's own lock, outside ours
		s.mu.Lock()
		s.sel.learn(l, all)
		s.mu.Unlock()
	}
	s.mu.Lock()
	v := s.sel.offer(l, key, epoch, now)
	s.mu.Unlock()
	if v.ask != nil {
		s.src.requestKeyframe(v.ask)
	}
	if !v.take {
		return false
	}
	select {
	case s.queue <- item{pkt: copyPacket(pkt), layer: l, start: v.start, epoch: epoch, at: now}:
		return true
	default:
		// Full: the stream has a hole now, so start again at a keyframe,
		// which the next packets ask for.
		s.mu.Lock()
		s.sel.reset()
		s.mu.Unlock()
		s.sess.dropped.Add(1)
		return false
	}
}

// Close implements sfu.Sink: the track ended (or the recording detached).
func (s *sink) Close() { s.end(false) }

// end stops the sink; cut marks its open file incomplete (a fault).
func (s *sink) end(cut bool) {
	if cut {
		s.cut.Store(true)
	}
	s.closed.Store(true)
	s.doneOnce.Do(func() { close(s.done) })
}

// poke tells the goroutine that the owner's consent changed.
func (s *sink) poke() {
	select {
	case s.wake <- struct{}{}:
	default: // one pending covers this one
	}
}

func (s *sink) run() {
	defer s.sess.sinkEnded(s)
	for {
		select {
		case it := <-s.queue:
			s.handle(it)
		case <-s.wake:
			s.checkConsent()
		case <-s.done:
			s.drain()
			s.closeFile(!s.cut.Load(), true)
			return
		}
	}
}

// drain writes what was queued before the sink ended, unless a fault
// ended it.
func (s *sink) drain() {
	for !s.cut.Load() {
		select {
		case it := <-s.queue:
			s.handle(it)
		default:
			return
		}
	}
}

// consented reports whether the owner's consent still covers epoch: a
// packet taken before a withdrawal is not written after it.
func (s *sink) consented(epoch uint64) bool {
	return s.consent.Still(epoch)
}

// checkConsent closes the open file, as complete, once its consent is gone.
func (s *sink) checkConsent() {
	if s.file != nil && !s.consented(s.file.epoch) {
		s.closeFile(true, false)
	}
}

func (s *sink) handle(it item) {
	if !s.consented(it.epoch) {
		s.checkConsent()
		return
	}
	if s.file != nil && s.file.epoch != it.epoch {
		s.closeFile(true, false) // consent was withdrawn and given again
	}
	if s.file == nil {
		if !it.start || (s.refused && s.refusedAt == it.epoch) || !s.openFile(it) {
			return
		}
	}
	if err := s.file.push(it); err != nil {
		if errors.Is(err, syscall.ENOSPC) {
			err = fmt.Errorf("%w: %w", ErrDiskLow, err)
		}
		s.sess.fault(fmt.Errorf("recorder: write %s track of %s: %w", s.meta.Source, s.meta.Owner, err))
		return
	}
	if s.sess.diskLow() {
		s.sess.fault(ErrDiskLow)
	}
}

// openFile registers a file with the catalog and creates it, starting at
// it. A refusal is logged and not retried before consent changes.
func (s *sink) openFile(it item) bool {
	if s.sess.diskLow() {
		s.sess.fault(ErrDiskLow)
		return false
	}
	meta := s.meta
	meta.Subject = s.consent.Subject()
	meta.Offset = max(it.at.Sub(s.sess.start), 0)
	ctx, cancel := context.WithTimeout(context.Background(), catalogTimeout)
	tf, err := s.sess.o.Catalog.AddTrack(ctx, meta)
	cancel()
	if err == nil {
		if s.file, err = createTrackFile(tf, meta, s.rate); err != nil {
			s.finishTrack(tf.ID, TrackEnd{}) // registered, never written
		}
	}
	if err != nil {
		s.refused, s.refusedAt = true, it.epoch
		s.sess.log.Error("recorder: cannot start a track file", "recording", meta.RecordingID,
			"owner", meta.Owner, "source", meta.Source, "err", err)
		return false
	}
	s.file.epoch = it.epoch
	s.sess.filesOpened.Add(1)
	return true
}

// closeFile finishes the open file (see trackFile.finish) and tells the
// catalog how it ended.
func (s *sink) closeFile(complete, pending bool) {
	f := s.file
	if f == nil {
		return
	}
	s.file = nil
	end, err := f.finish(complete, pending)
	if err != nil {
		s.sess.log.Error("recorder: track file cut short", "file", f.tf.ID, "err", err)
	}
	s.finishTrack(f.tf.ID, end)
	s.sess.filesFinished.Add(1)
	s.sess.frames.Add(end.Frames)
}

func (s *sink) finishTrack(id string, end TrackEnd) {
	ctx, cancel := context.WithTimeout(context.Background(), catalogTimeout)
	defer cancel()
	if err := s.sess.o.Catalog.FinishTrack(ctx, id, end); err != nil {
		s.sess.log.Error("recorder: cannot finish a track file", "file", id, "err", err)
		s.sess.addErr(fmt.Errorf("recorder: finish track %s: %w", id, err))
	}
}
