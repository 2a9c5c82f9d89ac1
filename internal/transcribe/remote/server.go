package remote

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/transcribe"
)

// DefaultMaxStreams bounds a worker's concurrent streams (speakers).
const DefaultMaxStreams = 8

// ServerConfig is a worker's.
type ServerConfig struct {
	Engine transcribe.Engine
	// Token is the shared secret clients present; required.
	Token      string
	MaxStreams int
	Log        *slog.Logger
}

// Server serves Engine's streams to authenticated clients. Mount it on a
// TLS listener (cmd/conclave's transcribe-worker does).
type Server struct {
	engine transcribe.Engine
	token  [32]byte // SHA-256 of the token: compared in constant time
	slots  chan struct{}
	log    *slog.Logger
}

// NewServer checks the configuration.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.Engine == nil {
		return nil, errors.New("remote: no engine")
	}
	if cfg.Token == "" {
		return nil, errors.New("remote: a worker needs a token")
	}
	if cfg.MaxStreams <= 0 {
		cfg.MaxStreams = DefaultMaxStreams
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Server{engine: cfg.Engine, token: sha256.Sum256([]byte(cfg.Token)), slots: make(chan struct{}, cfg.MaxStreams), log: cfg.Log}, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != Path {
		http.NotFound(w, r)
		return
	}
	if !s.authorised(r) {
		s.log.Warn("transcribe worker: refused a client with a wrong or missing token", "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", "Bearer")
		http.Error(w, "wrong or missing token", http.StatusUnauthorized)
		return
	}
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		http.Error(w, "the worker is busy: too many streams", http.StatusServiceUnavailable)
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept answered
	}
	defer conn.CloseNow()
	conn.SetReadLimit(maxFrame)
	s.serve(r.Context(), conn, r.URL.Query().Get("language"))
}

// authorised compares hashes in constant time: neither the token nor its
// length leaks through timing.
func (s *Server) authorised(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	got := sha256.Sum256([]byte(tok))
	return ok && subtle.ConstantTimeCompare(got[:], s.token[:]) == 1
}

// serve runs one stream: messages in, engine, results out.
func (s *Server) serve(ctx context.Context, conn *websocket.Conn, language string) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st, err := s.engine.Open(ctx, transcribe.StreamOptions{Language: language})
	if err != nil {
		s.log.Warn("transcribe worker: the engine did not start", "err", err)
		s.fail(ctx, conn, err)
		return
	}
	defer st.Close()
	forwarded := make(chan struct{})
	go func() {
		defer close(forwarded)
		s.forward(ctx, conn, st)
	}()
	if err := s.read(ctx, conn, st); err != nil {
		st.Close()
		<-forwarded
		if e := st.Err(); e != nil {
			err = e
		}
		if !errors.Is(err, errGone) {
			s.log.Warn("transcribe worker: stream failed", "err", err)
			s.fail(ctx, conn, err)
		}
		return
	}
	<-forwarded // which told the client of a failure
	if st.Err() != nil {
		return
	}
	_ = send(ctx, conn, message{Type: "done"})
	_ = conn.Close(websocket.StatusNormalClosure, "")
}

// errGone: the client went away; nobody to tell.
var errGone = errors.New("client gone")

// read feeds the engine until the client says finish (nil), or fails.
func (s *Server) read(ctx context.Context, conn *websocket.Conn, st transcribe.Stream) error {
	var pcm []int16
	for {
		typ, b, err := conn.Read(ctx)
		if err != nil {
			return fmt.Errorf("%w: %w", errGone, err)
		}
		if typ == websocket.MessageText {
			var m message
			if err := json.Unmarshal(b, &m); err != nil || m.Type != "finish" {
				return fmt.Errorf("remote: unexpected message %.40q", b)
			}
			return st.Finish(ctx)
		}
		pcm = decodePCM(pcm[:0], b)
		if err := st.Write(ctx, pcm); err != nil { // blocks while the engine catches up
			return err
		}
		if err := send(ctx, conn, message{Type: "ack", Samples: len(pcm)}); err != nil {
			return fmt.Errorf("%w: %w", errGone, err)
		}
	}
}

// forward sends the engine's results as they come, and the engine's
// failure as soon as it is known, even while the client sends nothing.
func (s *Server) forward(ctx context.Context, conn *websocket.Conn, st transcribe.Stream) {
	for r := range st.Results() {
		if send(ctx, conn, message{Type: "result", Result: toWire(r)}) != nil {
			st.Close()
			for range st.Results() {
			}
			return
		}
	}
	if err := st.Err(); err != nil {
		s.log.Warn("transcribe worker: the engine failed", "err", err)
		s.fail(ctx, conn, err)
	}
}

// fail tells the client why its stream ended, and closes.
func (s *Server) fail(ctx context.Context, conn *websocket.Conn, err error) {
	_ = send(ctx, conn, message{Type: "error", Error: err.Error()})
	_ = conn.Close(websocket.StatusInternalError, "engine failed")
}

func send(ctx context.Context, conn *websocket.Conn, m message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return conn.Write(ctx, websocket.MessageText, b)
}
