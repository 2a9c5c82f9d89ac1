// Package transcribe is the contract between Conclave and a local speech
// engine: 16 kHz mono PCM in, timed text per speaker out. Adapters live in
// sub-packages (pocketsphinx); decoding a participant's Opus into the PCM
// an engine takes lives in transcribe/audio.
//
// Audio handed to an engine never leaves the organisation: an adapter runs
// the engine in this process, as a child process on this machine, or on a
// worker host the operator names. See docs/transcripts.md.
package transcribe

import (
	"context"
	"errors"
	"strings"
	"time"
)

// SampleRate is the rate of the PCM every engine takes: 16 kHz, mono,
// signed 16-bit samples.
const SampleRate = 16000

// ErrNotInstalled is returned when an engine's program or model is missing
// on this machine.
var ErrNotInstalled = errors.New("transcribe: speech engine not installed")

// ErrClosed is returned by Write after Finish or Close.
var ErrClosed = errors.New("transcribe: stream closed")

// Engine starts one stream per speaker. Implementations are safe for
// concurrent use. Consumers that need less (only Open, say) declare their
// own narrower interface.
type Engine interface {
	// Name identifies the engine in logs and on the transparency page
	// ("pocketsphinx").
	Name() string
	// Open starts recognising one speaker's audio. ctx bounds the start
	// only; the stream lives until Finish or Close.
	Open(ctx context.Context, opts StreamOptions) (Stream, error)
}

// StreamOptions describe one speaker's stream.
type StreamOptions struct {
	// Speaker is an opaque label copied into every Result (a participant
	// ID, never sent to the engine).
	Speaker string
	// Language is a BCP 47 tag; "" is the engine's default.
	Language string
}

// Stream is one speaker's audio going into an engine and text coming out.
// Write and Finish are called from one goroutine; Close may be called from
// any goroutine, at any time, more than once.
type Stream interface {
	// Write hands the engine more audio: 16 kHz mono samples that follow
	// the previous ones without a gap (write silence for a gap, so that
	// times stay right). It blocks while the engine catches up, at most
	// until ctx is done.
	Write(ctx context.Context, pcm []int16) error
	// Finish says no more audio follows and waits for the engine to
	// finish, at most until ctx is done (the stream is then closed
	// unfinished). Its last results are in Results, which is closed
	// after them; Finish does not wait for anyone to read them.
	Finish(ctx context.Context) error
	// Results delivers partial and final results in order. It is closed
	// when the stream ends: after Finish, Close, or an engine failure
	// (Err says which). The consumer must keep reading it.
	Results() <-chan Result
	// Close ends the stream at once, dropping what the engine has not
	// recognised yet, and releases the engine.
	Close() error
	// Err is why the stream ended: nil after Finish or Close, the
	// engine's failure otherwise. Valid once Results is closed.
	Err() error
}

// Result is recognised text for one stretch of one speaker's audio.
//
// Results of one utterance share its Utterance number: a partial result
// replaces the previous partial of the same utterance, and the final one
// replaces them all. Live captions show partials; a transcript keeps only
// finals.
type Result struct {
	Speaker   string // StreamOptions.Speaker
	Utterance int    // 0, 1, 2, … per stream
	Final     bool
	// Start and End are offsets from the stream's first sample.
	Start, End time.Duration
	Text       string
	Words      []Word // may be empty: not every engine times words
}

// Word is one recognised word with its time.
type Word struct {
	Text       string
	Start, End time.Duration
	// Confidence is in [0, 1]; 0 when the engine gives none.
	Confidence float64
}

// JoinWords is the text of words, separated by single spaces.
func JoinWords(words []Word) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w.Text)
	}
	return b.String()
}

// Duration is how long n samples at SampleRate play.
func Duration(n int) time.Duration {
	return time.Duration(n) * time.Second / SampleRate
}
