package remote

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/conclave-meet/conclave/internal/transcribe"
)

// fakeEngine stands in for a worker's engine where the test is about the
// protocol, not recognition: it counts samples, and can be slow or fail.
type fakeEngine struct {
	gate      chan struct{} // when set, each Write waits for it
	failAfter int           // when > 0, a Write that passes this many samples fails

	mu      sync.Mutex
	opened  []transcribe.StreamOptions
	samples int
	writes  int
}

func (e *fakeEngine) Name() string { return "fake" }

func (e *fakeEngine) Open(_ context.Context, opts transcribe.StreamOptions) (transcribe.Stream, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.opened = append(e.opened, opts)
	return &fakeStream{e: e, out: transcribe.NewPump()}, nil
}

func (e *fakeEngine) counts() (opened, samples, writes int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.opened), e.samples, e.writes
}

type fakeStream struct {
	e   *fakeEngine
	out *transcribe.Pump
	mu  sync.Mutex
	n   int
	err error
}

func (s *fakeStream) Write(ctx context.Context, pcm []int16) error {
	if s.e.gate != nil {
		select {
		case <-s.e.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n += len(pcm)
	s.e.mu.Lock()
	s.e.samples += len(pcm)
	s.e.writes++
	s.e.mu.Unlock()
	if s.e.failAfter > 0 && s.n > s.e.failAfter {
		s.err = errors.New("fake: the model is broken")
		s.out.End()
		return s.err
	}
	if s.n%16000 == 0 { // a result a second
		s.out.Push(transcribe.Result{Utterance: s.n/16000 - 1, Final: true, Start: transcribe.Duration(s.n - 16000),
			End: transcribe.Duration(s.n), Text: fmt.Sprint("second ", s.n/16000),
			Words: []transcribe.Word{{Text: "second", Start: transcribe.Duration(s.n - 16000), End: transcribe.Duration(s.n), Confidence: 0.5}}})
	}
	return nil
}

func (s *fakeStream) Finish(context.Context) error {
	s.mu.Lock()
	s.out.Push(transcribe.Result{Final: true, Text: fmt.Sprint("total ", s.n)})
	s.mu.Unlock()
	s.out.End()
	return nil
}

func (s *fakeStream) Results() <-chan transcribe.Result { return s.out.Results() }
func (s *fakeStream) Close() error                      { s.out.Stop(); return nil }
func (s *fakeStream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}
