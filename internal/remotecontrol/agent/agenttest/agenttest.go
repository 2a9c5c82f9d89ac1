// Package agenttest is a test double of the server's side of
// /api/control/agent (remotecontrol's wire protocol), for the agent's
// tests: it accepts agents on 127.0.0.1, lets the test send the grant,
// events and the end, and hands the test what the agent sent.
package agenttest

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/remotecontrol"
)

// Server accepts agents at /api/control/agent.
type Server struct {
	URL   string // http://127.0.0.1:port, the agent's --server
	conns chan *Conn
	ctx   context.Context // ends when the test does, and with it every connection
	close func()
}

// Conn is one agent's connection.
type Conn struct {
	t     testing.TB
	ws    *websocket.Conn
	Hello remotecontrol.AgentHello
	// Meeting is the endpoint's ?meeting=, which a cluster routes by.
	Meeting string
	// from holds the agent's messages after the hello, in order; it is
	// closed when the connection ends.
	from chan remotecontrol.AgentMessage
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{conns: make(chan *Conn, 4), ctx: ctx}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/control/agent", func(w http.ResponseWriter, r *http.Request) { s.accept(t, w, r) })
	hs := httptest.NewServer(mux)
	s.close = func() { cancel(); hs.Close() }
	t.Cleanup(s.close)
	s.URL = hs.URL
	return s
}

// Close ends every connection and the server, as a server that goes
// away does.
func (s *Server) Close() { s.close() }

func (s *Server) accept(t testing.TB, w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		t.Errorf("agenttest: accept: %v", err)
		return
	}
	c := &Conn{t: t, ws: ws, Meeting: r.URL.Query().Get("meeting"), from: make(chan remotecontrol.AgentMessage, 16)}
	ctx := s.ctx
	_, b, err := ws.Read(ctx)
	if err != nil || json.Unmarshal(b, &c.Hello) != nil {
		if s.ctx.Err() != nil {
			return
		}
		t.Errorf("agenttest: the agent's hello: %v %q", err, b)
		ws.CloseNow()
		return
	}
	s.conns <- c
	defer close(c.from)
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var m remotecontrol.AgentMessage
		if err := json.Unmarshal(b, &m); err != nil {
			t.Errorf("agenttest: the agent sent %q: %v", b, err)
			return
		}
		c.from <- m
	}
}

// Accept waits for the next agent to connect and say hello.
func (s *Server) Accept(t testing.TB) *Conn {
	t.Helper()
	select {
	case c := <-s.conns:
		return c
	case <-time.After(eventually.Limit):
		t.Fatal("agenttest: no agent connected")
		return nil
	}
}

// Send sends m to the agent; after the agent has gone it may fail, which
// tests of what happens after the end ignore.
func (c *Conn) Send(m remotecontrol.AgentMessage) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), eventually.Limit)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// MustSend sends m and fails the test if it cannot.
func (c *Conn) MustSend(m remotecontrol.AgentMessage) {
	c.t.Helper()
	if err := c.Send(m); err != nil {
		c.t.Fatalf("agenttest: send %s: %v", m.Type, err)
	}
}

// Grant sends a grant for controller that ends in an hour.
func (c *Conn) Grant(grant, controller string, e2ee bool) {
	c.t.Helper()
	c.MustSend(remotecontrol.AgentMessage{Type: remotecontrol.TypeGranted, Grant: grant,
		Controller: controller, ExpiresAt: time.Now().Add(time.Hour), E2EE: e2ee})
}

// Event sends one plain event.
func (c *Conn) Event(e remotecontrol.Event) {
	c.t.Helper()
	c.MustSend(remotecontrol.AgentMessage{Type: remotecontrol.TypeEvent, Frame: &remotecontrol.Frame{Event: e}})
}

// Sealed sends one event sealed with key for grant, as an end-to-end
// encrypted controller's page does.
func (c *Conn) Sealed(key []byte, grant string, e remotecontrol.Event) {
	c.t.Helper()
	f, err := remotecontrol.Seal(key, grant, e)
	if err != nil {
		c.t.Fatal(err)
	}
	c.MustSend(remotecontrol.AgentMessage{Type: remotecontrol.TypeEvent, Frame: &f})
}

// End ends control with cause.
func (c *Conn) End(cause string) {
	c.t.Helper()
	c.MustSend(remotecontrol.AgentMessage{Type: remotecontrol.TypeEnd, Cause: cause})
}

// Next waits for the agent's next message; ok is false when the
// connection ended first.
func (c *Conn) Next() (m remotecontrol.AgentMessage, ok bool) {
	c.t.Helper()
	select {
	case m, ok = <-c.from:
		return m, ok
	case <-time.After(eventually.Limit):
		c.t.Fatal("agenttest: the agent sent nothing")
		return m, false
	}
}
