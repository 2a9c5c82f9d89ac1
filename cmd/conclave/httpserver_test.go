package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// shortTimeouts make a slow client visible within a test's patience.
var shortTimeouts = httpTimeouts{Header: 2 * time.Second, Body: 300 * time.Millisecond, Idle: 2 * time.Second}

// startHTTP serves h on 127.0.0.1 with newHTTPServer until the test ends.
func startHTTP(t *testing.T, h http.Handler, to httpTimeouts) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newHTTPServer(h, to, slog.New(slog.DiscardHandler))
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// readBody answers 200 after reading the whole body, and whatever status
// the error calls for when reading fails.
var readBody = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	if _, err := io.ReadAll(r.Body); err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			w.WriteHeader(http.StatusRequestTimeout)
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
})

// A client that sends its headers and then trickles the body (here: one
// byte, then nothing) is cut off after the body timeout instead of holding
// the connection for as long as it likes.
func TestSlowRequestBodyTimesOut(t *testing.T) {
	addr := startHTTP(t, readBody, shortTimeouts)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	// The client's own deadline is only the test's patience: 10 times the
	// body timeout.
	_ = c.SetReadDeadline(time.Now().Add(10 * shortTimeouts.Body))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("connection still open %v after a trickled body began", time.Since(start))
		}
		return // the server hung up: cut off as well
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
}

// A body that arrives in time is read whole, and the connection then
// serves further requests.
func TestPromptRequestBodyIsServed(t *testing.T) {
	addr := startHTTP(t, readBody, shortTimeouts)
	for range 2 {
		resp, err := http.Post("http://"+addr+"/", "application/json", strings.NewReader(`{"a":1}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
}

// Websockets (hijacked) and long responses outlive the body timeout: the
// deadline applies while a body is read, not to the whole connection.
func TestWebsocketOutlivesBodyTimeout(t *testing.T) {
	echo := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer ws.CloseNow()
		for {
			typ, b, err := ws.Read(r.Context())
			if err != nil || ws.Write(r.Context(), typ, b) != nil {
				return
			}
		}
	})
	addr := startHTTP(t, echo, shortTimeouts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws://"+addr+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	// Round trips until three body timeouts have passed: each must work.
	for start := time.Now(); time.Since(start) < 3*shortTimeouts.Body; {
		if err := ws.Write(ctx, websocket.MessageText, []byte("hi")); err != nil {
			t.Fatalf("write after %v: %v", time.Since(start), err)
		}
		if _, b, err := ws.Read(ctx); err != nil || string(b) != "hi" {
			t.Fatalf("echo after %v: %q %v", time.Since(start), b, err)
		}
	}
}
