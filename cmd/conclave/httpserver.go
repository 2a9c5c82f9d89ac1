package main

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// httpTimeouts bound how long a client may take over the parts of a
// request; every HTTP listener of the server (API and pages, ACME
// challenges, metrics) uses them, so a slow client holds no goroutine or
// descriptor for long anywhere.
type httpTimeouts struct {
	Header time.Duration // request line and headers
	Body   time.Duration // request body, from the end of the headers
	Idle   time.Duration // between requests on a kept-alive connection
}

// defaultHTTPTimeouts: request bodies are at most 64 KiB (web.MaxBodyBytes),
// which 20 s carries even at 3.2 kB/s.
var defaultHTTPTimeouts = httpTimeouts{Header: 10 * time.Second, Body: 20 * time.Second, Idle: 2 * time.Minute}

// newHTTPServer builds an HTTP server for h with the timeouts t.
//
// The body timeout is not http.Server.ReadTimeout: that deadline stays on
// the connection after the body, so it would cut hijacked websockets off,
// and when it expires during net/http's background read it cancels the
// request context of long responses (audit export, profiles). A deadline
// set per request while its body is read, and lifted at its end, has
// neither effect.
func newHTTPServer(h http.Handler, t httpTimeouts, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           bodyDeadline(h, t.Body),
		ReadHeaderTimeout: t.Header,
		IdleTimeout:       t.Idle,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// bodyDeadline gives a request with a body d to deliver all of it; reads
// after that fail with a timeout (net.Error) and the server closes the
// connection. Requests without a body get no deadline: their headers are
// complete, and a GET may stream its answer for minutes.
func bodyDeadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d > 0 && r.Body != nil && r.Body != http.NoBody {
			rc := http.NewResponseController(w)
			if err := rc.SetReadDeadline(time.Now().Add(d)); err == nil {
				r.Body = &deadlineBody{ReadCloser: r.Body, lift: func() { _ = rc.SetReadDeadline(time.Time{}) }}
			}
		}
		h.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the read deadline once the body has been read to its
// end, so that it cannot fire during the rest of the request.
type deadlineBody struct {
	io.ReadCloser
	once sync.Once
	lift func()
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) {
		b.once.Do(b.lift)
	}
	return n, err
}
