package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/endpoint"
	"github.com/conclave-meet/conclave/internal/transcribe/pocketsphinx"
	"github.com/conclave-meet/conclave/internal/transcribe/remote"
	"github.com/conclave-meet/conclave/internal/transcribe/whisper"
)

// workerShutdown bounds how long a stopping worker waits for its HTTP
// server; streams in progress are then cut, and their engines closed.
const workerShutdown = 10 * time.Second

// runTranscribeWorker is `conclave transcribe-worker`: a speech engine
// served to Conclave servers over the network (transcription_engine =
// "remote"; docs/transcripts.md, "The transcription worker"), for a host
// with the CPU or GPU the server lacks. Clients must present the token;
// anything but the loopback is served over TLS only, so audio never
// crosses a network in clear.
func runTranscribeWorker(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("transcribe-worker", e)
	listen := fs.String("listen", "127.0.0.1:8765", "address to listen on, host:port; any but this machine's loopback needs --tls-cert and --tls-key")
	certFile := fs.String("tls-cert", "", "PEM certificate (chain) the worker presents to Conclave servers")
	keyFile := fs.String("tls-key", "", "PEM private key of --tls-cert")
	tokenFile := fs.String("token-file", "", "file whose first line is the token clients must present: the server's transcription_worker_token_file holds the same (required)")
	engineName := fs.String("engine", config.EnginePocketSphinx, "speech engine: pocketsphinx (Debian's pocketsphinx_continuous) or whisper (a whisper.cpp server, --whisper-url)")
	whisperURL := fs.String("whisper-url", "", "the whisper.cpp server for --engine whisper: http://127.0.0.1:PORT, or https://host:port")
	maxStreams := fs.Int("max-streams", remote.DefaultMaxStreams, "speakers transcribed at once; further streams are refused as busy")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := checkWorkerFlags(*listen, *certFile, *keyFile, *tokenFile, *engineName, *whisperURL, *maxStreams); err != nil {
		return err
	}
	token, err := endpoint.ReadToken(*tokenFile)
	if err != nil {
		return fmt.Errorf("transcribe-worker: --token-file: %w", err)
	}
	var tlsCfg *tls.Config
	if *certFile != "" {
		cert, err := tls.LoadX509KeyPair(*certFile, *keyFile)
		if err != nil {
			return fmt.Errorf("transcribe-worker: --tls-cert/--tls-key: %w", err)
		}
		tlsCfg = &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}
	}
	logger := slog.New(slog.NewTextHandler(e.stderr, nil))
	eng, err := workerEngine(*engineName, *whisperURL, logger)
	if err != nil {
		return err
	}
	srv, err := remote.NewServer(remote.ServerConfig{Engine: eng, Token: token, MaxStreams: *maxStreams, Log: logger})
	if err != nil {
		return fmt.Errorf("transcribe-worker: %w", err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("transcribe-worker: listen: %w", err)
	}
	scheme := "ws"
	if tlsCfg != nil {
		scheme = "wss"
	}
	// The printed address is what transcription_worker_url names (and
	// how tests find a port chosen with :0).
	fmt.Fprintf(e.stdout, "conclave transcribe-worker listening on %s://%s (engine %s, at most %d streams)\n", scheme, ln.Addr(), eng.Name(), *maxStreams)
	return serveWorker(ctx, ln, tlsCfg, srv, logger)
}

// checkWorkerFlags refuses, before anything is read or bound, a command
// line that would serve audio in clear over a network, or to anyone.
func checkWorkerFlags(listen, certFile, keyFile, tokenFile, engineName, whisperURL string, maxStreams int) error {
	if tokenFile == "" {
		return usageError{"transcribe-worker: --token-file is required: without a token anyone who reaches the port could send audio to the engine"}
	}
	if (certFile == "") != (keyFile == "") {
		return usageError{"transcribe-worker: --tls-cert and --tls-key go together"}
	}
	if _, _, err := net.SplitHostPort(listen); err != nil {
		return usageError{fmt.Sprintf("transcribe-worker: --listen %q: %v", listen, err)}
	}
	if certFile == "" && !endpoint.LoopbackAddr(listen) {
		return usageError{fmt.Sprintf("transcribe-worker: --listen %q is not this machine's loopback: audio would cross the network in clear; "+
			"give --tls-cert and --tls-key, or listen on 127.0.0.1", listen)}
	}
	if maxStreams < 1 {
		return usageError{"transcribe-worker: --max-streams must be at least 1"}
	}
	switch engineName {
	case config.EnginePocketSphinx:
		if whisperURL != "" {
			return usageError{"transcribe-worker: --whisper-url is for --engine whisper"}
		}
	case config.EngineWhisper:
		if whisperURL == "" {
			return usageError{"transcribe-worker: --engine whisper needs --whisper-url, the whisper.cpp server (e.g. http://127.0.0.1:8081)"}
		}
		if _, err := endpoint.Check(whisperURL, "https", "http"); err != nil {
			return usageError{"transcribe-worker: --whisper-url: " + err.Error()}
		}
	default:
		return usageError{fmt.Sprintf("transcribe-worker: --engine %q: must be pocketsphinx or whisper", engineName)}
	}
	return nil
}

// workerEngine builds the engine --engine names.
func workerEngine(name, whisperURL string, logger *slog.Logger) (transcribe.Engine, error) {
	if name == config.EngineWhisper {
		eng, err := whisper.New(whisper.Config{URL: whisperURL, Log: logger})
		if err != nil {
			return nil, fmt.Errorf("transcribe-worker: %w", err)
		}
		return eng, nil
	}
	eng, err := pocketsphinx.New(pocketsphinx.Config{Log: logger})
	if err != nil {
		return nil, fmt.Errorf("transcribe-worker: %w", err)
	}
	return eng, nil
}

// serveWorker serves until ctx ends, then stops accepting, cuts the
// streams in progress and waits for their engines to be closed, so that
// no engine process outlives the worker.
func serveWorker(ctx context.Context, ln net.Listener, tlsCfg *tls.Config, h http.Handler, logger *slog.Logger) error {
	// Streams are WebSockets, which Shutdown does not wait for: their
	// requests' context is cancelled by hand, and a WaitGroup counts them.
	streams, cut := context.WithCancel(context.Background())
	defer cut()
	var (
		mu       sync.Mutex
		stopping bool // no request starts once set, so Wait has no racing Add
		running  sync.WaitGroup
	)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			if stopping {
				mu.Unlock()
				http.Error(w, "the worker is stopping", http.StatusServiceUnavailable)
				return
			}
			running.Add(1)
			mu.Unlock()
			defer running.Done()
			h.ServeHTTP(w, r)
		}),
		TLSConfig:         tlsCfg,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return streams },
		// Failed TLS handshakes (scanners, a client distrusting the
		// certificate) go to the structured log, as the server's do.
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() {
		if tlsCfg != nil {
			served <- srv.ServeTLS(ln, "", "") // the certificate comes from TLSConfig
		} else {
			served <- srv.Serve(ln)
		}
	}()
	logger.Info("transcribe worker: serving", "addr", ln.Addr().String(), "tls", tlsCfg != nil)
	select {
	case err := <-served:
		return fmt.Errorf("transcribe-worker: serve: %w", err)
	case <-ctx.Done():
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), workerShutdown)
	defer cancel()
	err := srv.Shutdown(shutCtx)
	mu.Lock()
	stopping = true
	mu.Unlock()
	cut()
	running.Wait()
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("transcribe-worker: serve: %w", err)
	}
	logger.Info("transcribe worker: stopped")
	if err != nil {
		return fmt.Errorf("transcribe-worker: shutdown: %w", err)
	}
	return nil
}
