package whisper

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/conclave-meet/conclave/internal/transcribe"
)

// job is one request to make: a finished utterance, or the growing one
// for a partial result.
type job struct {
	u     utterance
	final bool
}

// stream is one speaker's audio. Three goroutines: the caller's (Write,
// Finish: the detector cuts utterances), work (one request at a time, in
// order) and the Pump's (results to the consumer), so that requests never
// wait for the consumer and Finish never waits for it either.
type stream struct {
	e       *Engine
	speaker string
	lang    string
	out     *transcribe.Pump

	// The writer's.
	seg         segmenter
	pending     []job // cut, not yet handed to work
	lastPartial int   // length of the open utterance at its last partial

	jobs   chan job // writer → work; its capacity is the back-pressure
	ctx    context.Context
	cancel context.CancelFunc // Close: abort the request in flight
	worked chan struct{}      // closed when work returns

	closeOnce sync.Once
	mu        sync.Mutex
	finished  bool
	closed    bool
	err       error
}

var _ transcribe.Stream = (*stream)(nil)

func newStream(e *Engine, speaker, lang string) *stream {
	ctx, cancel := context.WithCancel(context.Background())
	s := &stream{
		e: e, speaker: speaker, lang: lang,
		out:  transcribe.NewPump(),
		seg:  segmenter{cfg: e.seg},
		jobs: make(chan job, 1),
		ctx:  ctx, cancel: cancel,
		worked: make(chan struct{}),
	}
	go s.work()
	return s
}

// Write implements transcribe.Stream. It blocks while utterances cut
// earlier wait for the server (one queued behind the one in flight),
// before it takes pcm: audio it returns an error for was not taken.
func (s *stream) Write(ctx context.Context, pcm []int16) error {
	if err := s.writable(); err != nil {
		return err
	}
	if err := s.send(ctx); err != nil {
		return err
	}
	for _, u := range s.seg.write(pcm) {
		s.pending = append(s.pending, job{u: u, final: true})
		s.lastPartial = 0
	}
	s.partial()
	return s.trySend()
}

func (s *stream) writable() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.finished || s.closed:
		return transcribe.ErrClosed
	case s.err != nil:
		return s.err
	}
	return nil
}

// send hands every pending job to work, waiting for room.
func (s *stream) send(ctx context.Context) error {
	for len(s.pending) > 0 {
		select {
		case s.jobs <- s.pending[0]:
			s.pending = s.pending[1:]
		case <-ctx.Done():
			return ctx.Err()
		case <-s.worked:
			return s.ended()
		}
	}
	return nil
}

// trySend hands pending jobs to work while it has room, without waiting:
// the next Write waits for the rest.
func (s *stream) trySend() error {
	for len(s.pending) > 0 {
		select {
		case s.jobs <- s.pending[0]:
			s.pending = s.pending[1:]
		case <-s.worked:
			return s.ended()
		default:
			return nil
		}
	}
	return nil
}

// partial queues the growing utterance for a partial result, when asked
// for, every PartialEvery of new audio, and only when work is idle: a
// busy server gets finals, not more partials.
func (s *stream) partial() {
	if !s.e.cfg.Partials || len(s.pending) > 0 {
		return
	}
	u, ok := s.seg.open()
	if !ok || len(u.pcm)-s.lastPartial < int(s.e.cfg.PartialEvery*transcribe.SampleRate/time.Second) {
		return
	}
	select {
	case s.jobs <- job{u: u}:
		s.lastPartial = len(u.pcm)
	default:
	}
}

// ended is Write's error once work has returned.
func (s *stream) ended() error {
	if err := s.Err(); err != nil {
		return err
	}
	return transcribe.ErrClosed
}

// Finish implements transcribe.Stream: the open utterance is sent too.
func (s *stream) Finish(ctx context.Context) error {
	if err := s.writable(); err != nil {
		if errors.Is(err, transcribe.ErrClosed) {
			return nil
		}
		return err
	}
	s.mu.Lock()
	s.finished = true
	s.mu.Unlock()
	if u, ok := s.seg.flush(); ok {
		s.pending = append(s.pending, job{u: u, final: true})
	}
	err := s.send(ctx)
	if err == nil {
		close(s.jobs)
		select {
		case <-s.worked:
			return s.Err()
		case <-ctx.Done():
			err = ctx.Err()
		}
	}
	if ctx.Err() != nil {
		s.Close()
		return ctx.Err()
	}
	return err
}

// Results implements transcribe.Stream.
func (s *stream) Results() <-chan transcribe.Result { return s.out.Results() }

// Close implements transcribe.Stream: it aborts the request in flight.
func (s *stream) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		s.out.Stop()
	})
	<-s.worked
	return nil
}

// Err implements transcribe.Stream.
func (s *stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// work makes the requests, in order, until the jobs end, Close, or a
// request fails: a server that fails once is reported, not retried (the
// transcriber opens a new stream when the speaker's consent changes).
func (s *stream) work() {
	defer close(s.worked)
	n, shown := 0, false // utterance number; a partial of it was shown
	var err error
	for err == nil {
		var j job
		var ok bool
		select {
		case j, ok = <-s.jobs:
		case <-s.ctx.Done():
		}
		if !ok {
			break
		}
		var r transcribe.Result
		if r, err = s.request(j); err != nil {
			break
		}
		r.Utterance = n
		switch {
		case j.final && (r.Text != "" || shown):
			s.out.Push(r) // even empty, it replaces a partial shown
			n, shown = n+1, false
		case !j.final && r.Text != "":
			s.out.Push(r)
			shown = true
		}
	}
	s.mu.Lock()
	if err != nil && !s.closed {
		s.err = err
	}
	s.mu.Unlock()
	s.out.End()
	if err != nil && s.ctx.Err() == nil {
		s.e.log.Warn("transcribe: whisper.cpp failed", "host", s.e.host, "err", err)
	}
}

// request transcribes one job, waiting for a slot among the engine's
// requests.
func (s *stream) request(j job) (transcribe.Result, error) {
	if err := s.e.acquire(s.ctx); err != nil {
		return transcribe.Result{}, err
	}
	defer s.e.release()
	ctx, cancel := context.WithTimeout(s.ctx, s.e.cfg.RequestTimeout)
	defer cancel()
	resp, err := s.e.infer(ctx, j.u.pcm, s.lang)
	if err != nil {
		return transcribe.Result{}, err
	}
	from, to := transcribe.Duration(j.u.start), transcribe.Duration(j.u.start+len(j.u.pcm))
	r, timed := resp.result(from)
	if !timed { // the utterance's times, then
		r.Start, r.End = from, to
	}
	r.Start, r.End = clamp(r.Start, from, to), clamp(r.End, from, to)
	r.Speaker, r.Final = s.speaker, j.final
	return r, nil
}

func clamp[T ~int64](v, lo, hi T) T { return min(max(v, lo), hi) }
