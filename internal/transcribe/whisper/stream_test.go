package whisper

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/transcribetest"
)

var sentences = []string{
	"the quick brown fox jumped over the lazy dog",
	"please open the door and close the window",
	"we will meet again next week to review the budget",
}

// script is the sentences spoken by Flite one after another, 1.5 s of
// silence before each, with where each one's loud part starts and ends.
func script(t *testing.T) (pcm []int16, spans [][2]int) {
	for _, s := range sentences {
		pcm = append(pcm, make([]int16, 3*transcribe.SampleRate/2)...)
		speech := transcribetest.Speak(t, s)
		from, to := loudSpan(speech)
		spans = append(spans, [2]int{len(pcm) + from, len(pcm) + to})
		pcm = append(pcm, speech...)
	}
	return append(pcm, make([]int16, transcribe.SampleRate)...), spans
}

// hearScript recognises a request's audio by finding it in the script:
// the sentence whose span holds its first loud samples, or "" (as
// whisper answers noise with nothing, or a marker).
func hearScript(pcm []int16, spans [][2]int) func([]int16) string {
	return func(got []int16) string {
		from, to := loudSpan(got)
		if to-from < 64 {
			return ""
		}
		for i := 0; i+64 <= len(pcm); i++ {
			if slices.Equal(pcm[i:i+64], got[from:from+64]) {
				for k, sp := range spans {
					if i >= sp[0] && i < sp[1] {
						return sentences[k]
					}
				}
			}
		}
		return "[BLANK_AUDIO]"
	}
}

func newEngine(t *testing.T, f *fakeServer, cfg Config) *Engine {
	t.Helper()
	cfg.URL = f.srv.URL
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func open(t *testing.T, e *Engine) transcribe.Stream {
	t.Helper()
	s, err := e.Open(context.Background(), transcribe.StreamOptions{Speaker: "p_ana", Language: "en-US"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestCutsSpeechAtPauses: Flite's three sentences, 1.5 s apart, become
// three requests, one sentence each (the pauses between words do not cut
// them), and three final results in order, timed from the stream's start
// to within whisper's 10 ms resolution, with words joined from tokens.
func TestCutsSpeechAtPauses(t *testing.T) {
	t.Parallel()
	pcm, spans := script(t)
	f := newFake(t, hearScript(pcm, spans))
	s := open(t, newEngine(t, f, Config{}))
	results := transcribetest.Collect(s)
	transcribetest.Feed(t, s, pcm)
	if err := s.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs := results()
	if len(rs) != len(sentences) {
		t.Fatalf("%d results: %+v", len(rs), rs)
	}
	for i, r := range rs {
		from, to := transcribe.Duration(spans[i][0]), transcribe.Duration(spans[i][1])
		if r.Text != sentences[i] || !r.Final || r.Utterance != i || r.Speaker != "p_ana" {
			t.Errorf("result %d: %+v", i, r)
		}
		if d := r.Start - from; d > 0 || d < -20*time.Millisecond {
			t.Errorf("result %d starts at %v, the speech at %v", i, r.Start, from)
		}
		if d := r.End - to; d > 0 || d < -20*time.Millisecond {
			t.Errorf("result %d ends at %v, the speech at %v", i, r.End, to)
		}
		if got := transcribe.JoinWords(r.Words); got != sentences[i] {
			t.Errorf("result %d: words %q", i, got)
		}
		for _, w := range r.Words {
			if w.Start < r.Start || w.End > r.End || w.Confidence != 0.9 {
				t.Errorf("result %d: word %+v outside %v–%v", i, w, r.Start, r.End)
			}
		}
	}
	reqs := f.got()
	if len(reqs) != len(sentences) {
		t.Fatalf("%d requests for %d sentences", len(reqs), len(sentences))
	}
	for i, req := range reqs {
		if req.language != "en" || req.auth != "" {
			t.Errorf("request %d: language %q, authorization %q", i, req.language, req.auth)
		}
		// The utterance holds the sentence, 200 ms before it, and the
		// 600 ms pause that ended it.
		speech := spans[i][1] - spans[i][0]
		if d := transcribe.Duration(len(req.pcm) - speech); d < 600*time.Millisecond || d > 900*time.Millisecond {
			t.Errorf("request %d: %v of audio for %v of speech", i, transcribe.Duration(len(req.pcm)), transcribe.Duration(speech))
		}
	}
	if s.Err() != nil {
		t.Fatal(s.Err())
	}
}

// tone is d of a loud 440 Hz-ish square wave: speech, to the detector.
func tone(d time.Duration) []int16 {
	pcm := make([]int16, int(d*transcribe.SampleRate/time.Second))
	for i := range pcm {
		pcm[i] = 3000
		if i/18%2 == 1 {
			pcm[i] = -3000
		}
	}
	return pcm
}

func silence(d time.Duration) []int16 { return make([]int16, int(d*transcribe.SampleRate/time.Second)) }

func always(text string) func([]int16) string { return func([]int16) string { return text } }

// TestCutsLongSpeech: speech without a pause is sent in pieces of at
// most 25 s, which follow each other without a gap.
func TestCutsLongSpeech(t *testing.T) {
	t.Parallel()
	f := newFake(t, always("on and on"))
	s := open(t, newEngine(t, f, Config{}))
	results := transcribetest.Collect(s)
	transcribetest.Feed(t, s, append(silence(time.Second), tone(60*time.Second)...))
	if err := s.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs := results()
	reqs := f.got()
	if len(reqs) != 3 || len(rs) != 3 {
		t.Fatalf("%d requests, %d results", len(reqs), len(rs))
	}
	for i, req := range reqs {
		if transcribe.Duration(len(req.pcm)) > DefaultMaxUtterance {
			t.Errorf("request %d: %v", i, transcribe.Duration(len(req.pcm)))
		}
	}
	if rs[0].Start != time.Second || rs[1].Start != rs[0].End || rs[2].Start != rs[1].End || rs[2].End != 61*time.Second {
		t.Fatalf("pieces at %v–%v, %v–%v, %v–%v", rs[0].Start, rs[0].End, rs[1].Start, rs[1].End, rs[2].Start, rs[2].End)
	}
}

// TestIgnoresClicksAndMarkers: a click is not sent; an utterance whisper
// hears nothing in ("[BLANK_AUDIO]") gives no result and uses no
// utterance number.
func TestIgnoresClicksAndMarkers(t *testing.T) {
	t.Parallel()
	n := 0
	f := newFake(t, func([]int16) string {
		n++ // requests are one at a time per stream
		if n == 1 {
			return "[BLANK_AUDIO]"
		}
		return "hello"
	})
	s := open(t, newEngine(t, f, Config{}))
	results := transcribetest.Collect(s)
	var pcm []int16
	pcm = append(pcm, tone(60*time.Millisecond)...) // a click
	pcm = append(pcm, silence(time.Second)...)
	pcm = append(pcm, tone(time.Second)...) // noise whisper hears nothing in
	pcm = append(pcm, silence(time.Second)...)
	pcm = append(pcm, tone(time.Second)...)
	transcribetest.Feed(t, s, pcm)
	if err := s.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs := results()
	if len(f.got()) != 2 || len(rs) != 1 || rs[0].Text != "hello" || rs[0].Utterance != 0 {
		t.Fatalf("%d requests, results %+v", len(f.got()), rs)
	}
}

// TestServerErrors: a reply that is not 200, or whisper-server's
// {"error": …} with 200, ends the stream with a clear error, in Err and
// in the next Write.
func TestServerErrors(t *testing.T) {
	t.Parallel()
	for name, set := range map[string]func(*fakeServer){
		"status": func(f *fakeServer) { f.status, f.body = 503, "model loading" },
		"error":  func(f *fakeServer) { f.status, f.body = 200, `{"error":"failed to read WAV file"}` },
		"junk":   func(f *fakeServer) { f.status, f.body = 200, `<html>proxy says hi</html>` },
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, always("x"))
			set(f)
			s := open(t, newEngine(t, f, Config{}))
			results := transcribetest.Collect(s)
			// The failure may come back while it is written.
			_ = s.Write(context.Background(), append(tone(time.Second), silence(time.Second)...))
			if rs := results(); len(rs) != 0 {
				t.Fatalf("results: %+v", rs)
			}
			want := map[string]string{"status": "answered 503 Service Unavailable: model loading",
				"error": "failed to read WAV file", "junk": "not a verbose_json answer"}[name]
			if err := s.Err(); err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), f.srv.Listener.Addr().String()) {
				t.Fatalf("Err: %v, want %q and the host", err, want)
			}
			if err := s.Write(context.Background(), tone(20*time.Millisecond)); err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("Write after the failure: %v", err)
			}
			if err := s.Finish(context.Background()); err == nil {
				t.Fatal("Finish after the failure: nil")
			}
		})
	}
}

// TestServerDown: nobody listening is an error naming the host.
func TestServerDown(t *testing.T) {
	t.Parallel()
	f := newFake(t, always("x"))
	e := newEngine(t, f, Config{})
	f.srv.Close()
	s := open(t, e)
	results := transcribetest.Collect(s)
	_ = s.Write(context.Background(), append(tone(time.Second), silence(time.Second)...))
	results()
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), e.Host()) {
		t.Fatalf("Err: %v", err)
	}
}

// TestBackPressure: while the server is slow, Write takes the audio of
// one more utterance than is in flight, then blocks until its context
// ends, without taking the audio; when the server catches up, nothing
// was lost.
func TestBackPressure(t *testing.T) {
	t.Parallel()
	f := newFake(t, always("word"))
	f.hold = make(chan struct{})
	s := open(t, newEngine(t, f, Config{}))
	results := transcribetest.Collect(s)
	utter := append(tone(500*time.Millisecond), silence(700*time.Millisecond)...)
	written := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := s.Write(ctx, utter)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if written++; written > 10 {
			t.Fatal("Write never blocked for a stuck server")
		}
	}
	if len(f.got()) != 1 {
		t.Fatalf("%d requests in flight", len(f.got()))
	}
	close(f.hold)
	if err := s.Write(context.Background(), utter); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	if rs := results(); len(rs) != written+1 || len(f.got()) != written+1 {
		t.Fatalf("%d utterances written, %d requests, %d results", written+1, len(f.got()), len(rs))
	}
}

// TestConcurrencyBound: the engine's streams share its request slots.
func TestConcurrencyBound(t *testing.T) {
	t.Parallel()
	f := newFake(t, always("word"))
	f.hold = make(chan struct{})
	e := newEngine(t, f, Config{Concurrency: 1})
	a, b := open(t, e), open(t, e)
	ra, rb := transcribetest.Collect(a), transcribetest.Collect(b)
	utter := append(tone(500*time.Millisecond), silence(700*time.Millisecond)...)
	transcribetest.Feed(t, a, utter)
	transcribetest.Feed(t, b, utter)
	eventually.True(t, "a request in flight", func() bool { return len(f.got()) == 1 })
	close(f.hold)
	for _, s := range []transcribe.Stream{a, b} {
		if err := s.Finish(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if len(ra()) != 1 || len(rb()) != 1 || f.maxIn != 1 {
		t.Fatalf("at most %d requests at once", f.maxIn)
	}
}

// TestCloseAbortsTheRequest: Close does not wait for a slow server: the
// request in flight is cancelled, and Close is not an error.
func TestCloseAbortsTheRequest(t *testing.T) {
	t.Parallel()
	f := newFake(t, always("word"))
	f.hold = make(chan struct{}) // never released
	s := open(t, newEngine(t, f, Config{}))
	results := transcribetest.Collect(s)
	transcribetest.Feed(t, s, append(tone(500*time.Millisecond), silence(700*time.Millisecond)...))
	eventually.True(t, "a request in flight", func() bool { return len(f.got()) == 1 })
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	results()
	if s.Err() != nil {
		t.Fatalf("Err after Close: %v", s.Err())
	}
	eventually.True(t, "the server to see the request go", func() bool {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.aborted == 1
	})
	if err := s.Write(context.Background(), tone(time.Second)); !errors.Is(err, transcribe.ErrClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
}

// TestFinishHonoursContext: Finish gives up on a stuck server when its
// context ends, and closes the stream.
func TestFinishHonoursContext(t *testing.T) {
	t.Parallel()
	f := newFake(t, always("word"))
	f.hold = make(chan struct{})
	s := open(t, newEngine(t, f, Config{}))
	results := transcribetest.Collect(s)
	transcribetest.Feed(t, s, tone(time.Second)) // still open: Finish sends it
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		eventually.True(t, "the last utterance sent", func() bool { return len(f.got()) == 1 })
		cancel()
	}()
	if err := s.Finish(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Finish: %v", err)
	}
	results()
}

// TestPartials: with partials on, a long utterance is re-sent as it
// grows; partials and the final share its number, the final comes last.
func TestPartials(t *testing.T) {
	t.Parallel()
	f := newFake(t, func(pcm []int16) string { return strings.Repeat("la ", len(pcm)/transcribe.SampleRate+1) })
	s := open(t, newEngine(t, f, Config{Partials: true, PartialEvery: time.Second}))
	results := transcribetest.Collect(s)
	for k := range 6 { // 6 s of speech, written as it comes: a partial a second
		transcribetest.Feed(t, s, tone(time.Second))
		eventually.True(t, "the partial request answered", func() bool {
			f.mu.Lock()
			defer f.mu.Unlock()
			return len(f.requests) == k+1 && f.inFlight == 0
		})
	}
	transcribetest.Feed(t, s, silence(time.Second))
	if err := s.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs := results()
	if len(rs) < 3 {
		t.Fatalf("results: %+v", rs)
	}
	for i, r := range rs {
		last := i == len(rs)-1
		if r.Utterance != 0 || r.Final != last || r.Start < 0 || (i > 0 && len(r.Text) < len(rs[i-1].Text)) {
			t.Fatalf("result %d of %d: %+v", i, len(rs), r)
		}
	}
}

// TestBearerToken: a configured token goes in the Authorization header
// (for the reverse proxy in front of whisper-server).
func TestBearerToken(t *testing.T) {
	t.Parallel()
	f := newFake(t, always("hi"))
	s := open(t, newEngine(t, f, Config{Token: "s3cret", Language: "de"}))
	results := transcribetest.Collect(s)
	if err := s.Write(context.Background(), tone(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	results()
	if reqs := f.got(); len(reqs) != 1 || reqs[0].auth != "Bearer s3cret" || reqs[0].language != "en" {
		t.Fatalf("%+v", reqs)
	}
}
