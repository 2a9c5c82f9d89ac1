package remote

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/endpoint"
)

// Config says where the worker is.
type Config struct {
	// URL is the worker's address: wss://host:port (https:// is read as
	// wss://), or ws:// to this machine's loopback only.
	URL string
	// CAFile is a PEM file of certificates to trust for URL, besides the
	// system's.
	CAFile string
	// Token is the worker's shared secret; required.
	Token string
	Log   *slog.Logger
}

// Engine opens streams on a worker. It is safe for concurrent use.
type Engine struct {
	stream string // the stream URL, without the query
	host   string
	token  string
	client *http.Client
	log    *slog.Logger
}

var _ transcribe.Engine = (*Engine)(nil)

// New checks the address and the CA file; it does not contact the worker.
func New(cfg Config) (*Engine, error) {
	raw := strings.TrimSpace(cfg.URL)
	for from, to := range map[string]string{"https://": "wss://", "http://": "ws://"} {
		if rest, ok := strings.CutPrefix(raw, from); ok {
			raw = to + rest
		}
	}
	u, err := endpoint.Check(raw, "wss", "ws")
	if err != nil {
		return nil, fmt.Errorf("remote: %w", err)
	}
	if cfg.Token == "" {
		return nil, errors.New("remote: no token for the worker")
	}
	tlsCfg, err := endpoint.TLSConfig(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("remote: %w", err)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	v := *u
	v.Path, v.RawQuery = strings.TrimSuffix(v.Path, "/")+Path, ""
	return &Engine{
		stream: v.String(),
		host:   u.Host,
		token:  cfg.Token,
		// No proxy from the environment: the audio goes to URL only.
		client: &http.Client{Transport: &http.Transport{TLSClientConfig: tlsCfg, Proxy: nil}},
		log:    cfg.Log,
	}, nil
}

// Name implements transcribe.Engine.
func (e *Engine) Name() string { return "remote" }

// Host is where the audio goes: the worker's host and port.
func (e *Engine) Host() string { return e.host }

// Open implements transcribe.Engine: one WebSocket to the worker.
func (e *Engine) Open(ctx context.Context, opts transcribe.StreamOptions) (transcribe.Stream, error) {
	u := e.stream
	if opts.Language != "" {
		u += "?" + url.Values{"language": {opts.Language}}.Encode()
	}
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{
		HTTPClient: e.client,
		HTTPHeader: http.Header{"Authorization": {"Bearer " + e.token}},
	})
	if err != nil {
		return nil, dialError(e.host, resp, err)
	}
	conn.SetReadLimit(1 << 20) // a result: a few kilobytes
	return newStream(conn, opts.Speaker, e), nil
}

func dialError(host string, resp *http.Response, err error) error {
	if resp != nil {
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			return fmt.Errorf("remote: worker %s refused the token (wrong transcription_worker_token_file?)", host)
		case http.StatusServiceUnavailable:
			return fmt.Errorf("remote: worker %s is busy: it runs as many streams as it may", host)
		}
	}
	return fmt.Errorf("remote: worker %s: %w", host, err)
}

// stream is one speaker's WebSocket. Goroutines: the caller's (Write,
// Finish), read (the worker's messages) and the Pump's (results out).
type stream struct {
	conn    *websocket.Conn
	speaker string
	host    string
	out     *transcribe.Pump
	buf     []byte

	ctx    context.Context // the stream's life: Close cancels it
	cancel context.CancelFunc
	acked  chan struct{} // read → Write: an ack came
	ended  chan struct{} // closed when read returns

	closeOnce sync.Once
	mu        sync.Mutex
	sent      int // samples sent
	ack       int // samples the engine took
	finished  bool
	closed    bool
	err       error
}

func newStream(conn *websocket.Conn, speaker string, e *Engine) *stream {
	ctx, cancel := context.WithCancel(context.Background())
	s := &stream{conn: conn, speaker: speaker, host: e.host, out: transcribe.NewPump(), ctx: ctx, cancel: cancel,
		acked: make(chan struct{}, 1), ended: make(chan struct{})}
	go s.read(e.log)
	return s
}

// Write implements transcribe.Stream: it waits for room in the window,
// at most until ctx ends, before it sends; audio it returns an error for
// was not sent.
func (s *stream) Write(ctx context.Context, pcm []int16) error {
	for len(pcm) > 0 {
		n := min(len(pcm), Window)
		if err := s.room(ctx, n); err != nil {
			return err
		}
		s.buf = encodePCM(s.buf[:0], pcm[:n])
		// The stream's context, not ctx: a write cut off by a deadline
		// would close the WebSocket. The window keeps this one short.
		if err := s.conn.Write(s.ctx, websocket.MessageBinary, s.buf); err != nil {
			return s.failed(err)
		}
		s.mu.Lock()
		s.sent += n
		s.mu.Unlock()
		pcm = pcm[n:]
	}
	return nil
}

// room waits until n more samples fit in the window.
func (s *stream) room(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		shut, err, ahead := s.finished || s.closed, s.err, s.sent-s.ack
		s.mu.Unlock()
		switch {
		case shut:
			return transcribe.ErrClosed
		case err != nil:
			return err
		case ahead+n <= Window:
			return nil
		}
		select {
		case <-s.acked:
		case <-s.ended:
			return s.failed(errors.New("the worker closed the stream"))
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// failed is the error to report for err: the worker's own reason when
// it gave one.
func (s *stream) failed(err error) error {
	if e := s.Err(); e != nil {
		return e
	}
	return fmt.Errorf("remote: worker %s: %w", s.host, err)
}

// Finish implements transcribe.Stream.
func (s *stream) Finish(ctx context.Context) error {
	s.mu.Lock()
	again := s.finished || s.closed
	s.finished = true
	s.mu.Unlock()
	if again {
		return s.Err()
	}
	b, _ := json.Marshal(message{Type: "finish"})
	if err := s.conn.Write(s.ctx, websocket.MessageText, b); err != nil {
		<-s.ended
		return s.failed(err)
	}
	select {
	case <-s.ended:
		return s.Err()
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Results implements transcribe.Stream.
func (s *stream) Results() <-chan transcribe.Result { return s.out.Results() }

// Close implements transcribe.Stream.
func (s *stream) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.cancel()
		_ = s.conn.CloseNow()
		s.out.Stop()
	})
	<-s.ended
	return nil
}

// Err implements transcribe.Stream.
func (s *stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// read takes the worker's messages until the stream ends.
func (s *stream) read(log *slog.Logger) {
	defer close(s.ended)
	err := s.readMessages()
	s.mu.Lock()
	switch {
	case s.closed || errors.Is(err, errDone):
		err = nil
	case err == nil:
		err = fmt.Errorf("remote: worker %s: the stream ended without a reason", s.host)
	}
	if s.err == nil {
		s.err = err
	}
	err = s.err
	s.mu.Unlock()
	_ = s.conn.CloseNow()
	s.out.End()
	if err != nil {
		log.Warn("transcribe: the worker's stream failed", "host", s.host, "err", err)
	}
}

// errDone: the worker finished the stream as asked.
var errDone = errors.New("done")

func (s *stream) readMessages() error {
	for {
		_, b, err := s.conn.Read(s.ctx)
		if err != nil {
			return fmt.Errorf("remote: lost the connection to worker %s: %w", s.host, err)
		}
		var m message
		if err := json.Unmarshal(b, &m); err != nil {
			return fmt.Errorf("remote: worker %s sent %.40q: %w", s.host, b, err)
		}
		switch m.Type {
		case "ack":
			s.mu.Lock()
			s.ack += m.Samples
			s.mu.Unlock()
			select {
			case s.acked <- struct{}{}:
			default:
			}
		case "result":
			if m.Result != nil {
				s.out.Push(m.Result.result(s.speaker))
			}
		case "error":
			return fmt.Errorf("remote: worker %s: %s", s.host, m.Error)
		case "done":
			return errDone
		}
	}
}
