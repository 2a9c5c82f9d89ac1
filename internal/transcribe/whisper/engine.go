// Package whisper adapts a whisper.cpp server (whisper-server, from
// examples/server in whisper.cpp's source), which the operator runs with
// a model file of their choice, to transcribe.Engine.
//
// whisper.cpp transcribes whole recordings, not streams: the adapter cuts
// each speaker's audio into utterances at pauses (an energy voice
// activity detector: about 0.6 s of quiet ends one, 25 s at most each)
// and sends each as a WAV file in one POST /inference request, which
// yields one final Result. Optionally, a growing utterance is re-sent
// every two seconds for partial results (live captions before the
// pause), at the cost of more requests.
//
// Audio goes to the server's address and nowhere else, over TLS unless
// the server is on this machine's loopback (package endpoint).
package whisper

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/endpoint"
)

// Defaults of Config.
const (
	DefaultConcurrency    = 2
	DefaultPause          = 600 * time.Millisecond
	DefaultMaxUtterance   = 25 * time.Second // whisper's window is 30 s
	DefaultPartialEvery   = 2 * time.Second
	DefaultRequestTimeout = 2 * time.Minute
	// DefaultThreshold is the RMS level (of 32767) above which a 20 ms
	// frame counts as speech: about −40 dBFS, above a quiet room's noise
	// after a browser's noise suppression, well below speech.
	DefaultThreshold = 330
)

// Config says where the server is and how to cut utterances.
type Config struct {
	// URL is the server's address: https://host:port, or http:// to
	// this machine's loopback; /inference is added unless the path
	// already ends with it.
	URL string
	// CAFile is a PEM file of certificates to trust for URL, besides
	// the system's (a private CA, a self-signed certificate).
	CAFile string
	// Token, when set, is sent as "Authorization: Bearer …" (for the
	// TLS reverse proxy in front of the server: whisper-server itself
	// checks none).
	Token string
	// Language is sent when a stream names none; "" leaves it to the
	// server (its -l option).
	Language string
	// Concurrency bounds the requests in flight to the server, over all
	// streams (whisper-server handles one at a time).
	Concurrency int
	// Partials re-sends the growing utterance every PartialEvery for
	// partial results. Off by default: it multiplies the server's load.
	Partials     bool
	PartialEvery time.Duration
	// Pause ends an utterance, MaxUtterance cuts a long one, Threshold
	// tells speech from quiet (see the defaults).
	Pause          time.Duration
	MaxUtterance   time.Duration
	Threshold      float64
	RequestTimeout time.Duration
	Log            *slog.Logger
}

// Engine sends utterances to one whisper.cpp server. It is safe for
// concurrent use.
type Engine struct {
	cfg       Config
	inference string // the /inference URL
	host      string
	token     string
	client    *http.Client
	sem       chan struct{} // requests in flight
	seg       segmenterConfig
	log       *slog.Logger
}

var _ transcribe.Engine = (*Engine)(nil)

// New checks the address (https, or http to the loopback only) and the
// CA file. It does not contact the server: one that is down fails each
// stream's first request, with the reason.
func New(cfg Config) (*Engine, error) {
	u, err := endpoint.Check(cfg.URL, "https", "http")
	if err != nil {
		return nil, fmt.Errorf("whisper: %w", err)
	}
	tlsCfg, err := endpoint.TLSConfig(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("whisper: %w", err)
	}
	cfg = withDefaults(cfg)
	e := &Engine{
		cfg:       cfg,
		inference: inferenceURL(u),
		host:      u.Host,
		token:     cfg.Token,
		// No proxy from the environment: the audio goes to URL and nowhere else.
		client: &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg, Proxy: nil, ForceAttemptHTTP2: true}},
		sem:    make(chan struct{}, cfg.Concurrency),
		log:    cfg.Log,
		seg: segmenterConfig{
			threshold:   cfg.Threshold,
			pauseFrames: frames(cfg.Pause),
			maxFrames:   frames(cfg.MaxUtterance),
			minSpeech:   frames(200 * time.Millisecond),
		},
	}
	return e, nil
}

func withDefaults(cfg Config) Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.Pause, DefaultPause)
	def(&cfg.MaxUtterance, DefaultMaxUtterance)
	def(&cfg.PartialEvery, DefaultPartialEvery)
	def(&cfg.RequestTimeout, DefaultRequestTimeout)
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Threshold <= 0 {
		cfg.Threshold = DefaultThreshold
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return cfg
}

// inferenceURL is u with /inference appended to its path, unless there.
func inferenceURL(u *url.URL) string {
	v := *u
	if !strings.HasSuffix(v.Path, "/inference") {
		v.Path = strings.TrimSuffix(v.Path, "/") + "/inference"
	}
	return v.String()
}

func frames(d time.Duration) int {
	return max(1, int(d*transcribe.SampleRate/time.Second)/frameSamples)
}

// Name implements transcribe.Engine.
func (e *Engine) Name() string { return "whisper.cpp" }

// Host is where the audio goes: the server's host and port.
func (e *Engine) Host() string { return e.host }

// Open implements transcribe.Engine. Nothing is sent until the first
// utterance ends.
func (e *Engine) Open(ctx context.Context, opts transcribe.StreamOptions) (transcribe.Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lang := opts.Language
	if lang == "" {
		lang = e.cfg.Language
	}
	// whisper names languages by ISO 639-1 code: "en", not "en-US".
	lang, _, _ = strings.Cut(strings.ToLower(lang), "-")
	return newStream(e, opts.Speaker, lang), nil
}

// acquire waits for a request slot, at most until ctx is done.
func (e *Engine) acquire(ctx context.Context) error {
	select {
	case e.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e *Engine) release() { <-e.sem }
