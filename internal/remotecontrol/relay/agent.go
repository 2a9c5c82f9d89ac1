package relay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/remotecontrol"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// agentQueue holds the events waiting for the paired agent; guarded by
// Relay.mu. wake tells the agent's writer that frames wait.
type agentQueue struct {
	frames []remotecontrol.Frame
	wake   chan struct{}
}

// pushLocked queues f for the agent without ever blocking: when the queue
// is full an older pointer move makes room (a later move makes up for
// it); with no move to drop, f itself is dropped.
func (q *agentQueue) pushLocked(f remotecontrol.Frame) (dropped bool) {
	if len(q.frames) >= QueueLen {
		i := slices.IndexFunc(q.frames, func(x remotecontrol.Frame) bool { return x.Kind == remotecontrol.Move })
		if i < 0 {
			return true
		}
		q.frames = slices.Delete(q.frames, i, i+1)
	}
	q.frames = append(q.frames, f)
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return false
}

// writeTimeout bounds one write to an agent or a page.
const writeTimeout = 10 * time.Second

// AgentHandler serves GET /api/control/agent: the sharer's `conclave
// agent` presents its one-time pairing code and then receives its grant's
// events until control ends.
func (r *Relay) AgentHandler() http.Handler { return http.HandlerFunc(r.serveAgent) }

func (r *Relay) serveAgent(w http.ResponseWriter, req *http.Request) {
	ws, addr, ok := r.accept(w, req)
	if !ok {
		return
	}
	defer ws.CloseNow()
	ctx := req.Context()
	var hello remotecontrol.AgentHello
	if err := readHello(ctx, ws, &hello); err != nil {
		_ = ws.Close(websocket.StatusPolicyViolation, "the first message must be the agent's hello")
		return
	}
	g, q, why := r.pair(hello.Code)
	if g == nil {
		if why == refusedUnknown {
			r.opts.Guesses.Fail(throttle.IPKey(addr))
		}
		_ = ws.Close(websocket.StatusPolicyViolation, why)
		return
	}
	r.opts.Rooms.AgentConnected(g.MeetingID, g.ID, true)
	r.log.Info("remote control agent paired", "meeting", g.MeetingID, "grant", g.ID)
	writerCtx, stop := context.WithCancel(ctx)
	written := make(chan struct{})
	go func() {
		defer close(written)
		r.writeAgent(writerCtx, ws, g, q)
	}()
	r.readAgent(ctx, ws, g)
	stop()
	<-written
	if r.unpair(g, q) {
		// The agent went away while control lasts: the room gives the
		// sharer a fresh code (Pair) to start it again.
		r.opts.Rooms.AgentConnected(g.MeetingID, g.ID, false)
		r.log.Info("remote control agent went away", "meeting", g.MeetingID, "grant", g.ID)
	}
}

// pair spends code and attaches a new queue to its grant; nil and why
// when the code does not pair.
func (r *Relay) pair(code string) (*grant, *agentQueue, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.codes[code]
	if g == nil || g.ended != "" {
		why, ok := r.spent[code]
		if !ok {
			why = refusedUnknown
		}
		return nil, nil, why
	}
	r.spendLocked(code, refusedUsed)
	q := &agentQueue{wake: make(chan struct{}, 1)}
	g.agent = q
	return g, q, ""
}

// unpair detaches q; it reports whether the grant is still active, so
// that the room hears the agent went away.
func (r *Relay) unpair(g *grant, q *agentQueue) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if g.agent != q {
		return false
	}
	g.agent = nil
	return g.ended == ""
}

// writeAgent sends the grant, then each queued event, and at the end the
// cause and the close. It is the connection's only writer.
func (r *Relay) writeAgent(ctx context.Context, ws *websocket.Conn, g *grant, q *agentQueue) {
	expires := g.ExpiresAt
	if err := writeJSON(ctx, ws, remotecontrol.AgentMessage{Type: remotecontrol.TypeGranted, Grant: g.ID,
		Controller: g.ControllerName, PointerOnly: g.PointerOnly, ExpiresAt: expires, E2EE: g.E2EE}); err != nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-g.done:
			r.mu.Lock()
			cause := g.ended
			r.mu.Unlock()
			_ = writeJSON(ctx, ws, remotecontrol.AgentMessage{Type: remotecontrol.TypeEnd, Cause: cause})
			_ = ws.Close(websocket.StatusNormalClosure, "control ended: "+cause)
			return
		case <-q.wake:
			for {
				f, ok := r.next(g, q)
				if !ok {
					break
				}
				if err := writeJSON(ctx, ws, remotecontrol.AgentMessage{Type: remotecontrol.TypeEvent, Frame: &f}); err != nil {
					return
				}
			}
		}
	}
}

// next takes the first queued frame, none once the grant ended: nothing
// goes out after the end, not even what was queued before it.
func (r *Relay) next(g *grant, q *agentQueue) (remotecontrol.Frame, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if g.ended != "" || len(q.frames) == 0 {
		return remotecontrol.Frame{}, false
	}
	f := q.frames[0]
	q.frames = q.frames[1:]
	return f, true
}

// readAgent reads what the agent says until it goes: "stop" ends control
// (the stop combination, the agent closed by the sharer, its own clock).
func (r *Relay) readAgent(ctx context.Context, ws *websocket.Conn, g *grant) {
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return
		}
		var m remotecontrol.AgentMessage
		if json.Unmarshal(b, &m) != nil || m.Type != remotecontrol.TypeStop {
			continue // nothing else is the agent's to say; ignored
		}
		cause := m.Cause
		switch cause {
		case remotecontrol.CauseStopKey, remotecontrol.CauseAgentClosed, remotecontrol.CauseExpired:
		default:
			cause = remotecontrol.CauseStopKey
		}
		r.opts.Rooms.EndControl(g.MeetingID, g.ID, cause)
	}
}

// accept checks the origin and the client address's guesses and accepts
// the WebSocket.
func (r *Relay) accept(w http.ResponseWriter, req *http.Request) (*websocket.Conn, string, bool) {
	if !r.opts.Origin(req) {
		http.Error(w, "cross-origin websocket refused", http.StatusForbidden)
		return nil, "", false
	}
	addr := ""
	if host, _, err := net.SplitHostPort(req.RemoteAddr); err == nil {
		addr = host
	}
	ws, err := websocket.Accept(w, req, nil)
	if err != nil {
		return nil, "", false
	}
	ws.SetReadLimit(maxFrameBytes)
	if wait := r.opts.Guesses.Check(throttle.IPKey(addr)); wait > 0 {
		_ = ws.Close(websocket.StatusTryAgainLater, fmt.Sprintf("too many wrong codes from your address: try again in %d minutes", int(wait.Minutes())+1))
		return nil, "", false
	}
	return ws, addr, true
}

// readHello reads the first message into v: one JSON object, no unknown
// fields, within HelloTimeout.
func readHello(ctx context.Context, ws *websocket.Conn, v any) error {
	ctx, cancel := context.WithTimeout(ctx, HelloTimeout)
	defer cancel()
	typ, b, err := ws.Read(ctx)
	if err != nil {
		return err
	}
	if typ != websocket.MessageText {
		return errors.New("relay: hello is not text")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func writeJSON(ctx context.Context, ws *websocket.Conn, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return ws.Write(ctx, websocket.MessageText, b)
}
