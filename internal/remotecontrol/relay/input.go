package relay

import (
	"context"
	"crypto/subtle"
	"net/http"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/remotecontrol"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// inputConn is one connection of the controller's page; replaced is
// closed when a newer one takes over (guarded by Relay.mu).
type inputConn struct {
	replaced chan struct{}
}

// InputHandler serves GET /api/control/input: the controller's page
// presents its grant and capability token, then sends one Frame per
// message. Every frame is checked against the grant as it is now.
func (r *Relay) InputHandler() http.Handler { return http.HandlerFunc(r.serveInput) }

func (r *Relay) serveInput(w http.ResponseWriter, req *http.Request) {
	ws, addr, ok := r.accept(w, req)
	if !ok {
		return
	}
	defer ws.CloseNow()
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()
	var hello remotecontrol.InputHello
	if err := readHello(ctx, ws, &hello); err != nil {
		_ = ws.Close(websocket.StatusPolicyViolation, "the first message must be the controller's hello")
		return
	}
	g, ic, why := r.attach(hello)
	if g == nil {
		r.opts.Guesses.Fail(throttle.IPKey(addr))
		_ = ws.Close(websocket.StatusPolicyViolation, why)
		return
	}
	// Closes the socket the moment the grant ends or a newer page takes
	// over, even while the page sends nothing.
	go func() {
		select {
		case <-g.done:
			_ = ws.Close(websocket.StatusPolicyViolation, "control has ended")
		case <-ic.replaced:
			_ = ws.Close(websocket.StatusPolicyViolation, "replaced by a newer connection")
		case <-ctx.Done():
		}
	}()
	for {
		_, b, err := ws.Read(ctx)
		if err != nil {
			return
		}
		if end, cause := r.take(g, ic, b); end {
			if cause != "" {
				r.opts.Rooms.EndControl(g.MeetingID, g.ID, cause)
			}
			_ = ws.Close(websocket.StatusPolicyViolation, "control has ended")
			return
		}
	}
}

// attach checks the hello against the grants: the grant must be active
// and the token its controller's (compared in constant time). A newer
// connection replaces the older one (a reloaded page).
func (r *Relay) attach(h remotecontrol.InputHello) (*grant, *inputConn, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.grants[h.Grant]
	if g == nil {
		return nil, nil, "no such grant of control: it has ended or never was"
	}
	if subtle.ConstantTimeCompare([]byte(h.Token), []byte(g.Token)) != 1 {
		return nil, nil, "wrong token for this grant"
	}
	if g.input != nil {
		close(g.input.replaced)
	}
	ic := &inputConn{replaced: make(chan struct{})}
	g.input = ic
	return g, ic, ""
}

// take checks one frame and queues it for the agent. end says the
// connection must close: the grant ended, or this frame ends it (cause
// for the room: expired, flood, bad_input). A refused or rate-limited
// frame is dropped; the page is not told (it learns of ends over
// signalling).
func (r *Relay) take(g *grant, ic *inputConn, b []byte) (end bool, cause string) {
	f, err := decodeFrame(b)
	if err == nil {
		err = checkFrame(f, g.E2EE, g.PointerOnly) // pure: outside the lock
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if g.ended != "" || g.input != ic {
		return true, ""
	}
	now := r.opts.Now()
	if !now.Before(g.ExpiresAt) {
		return true, remotecontrol.CauseExpired
	}
	ok, flood := g.limit.Allow(now)
	switch {
	case flood:
		return true, remotecontrol.CauseFlood
	case !ok:
		return false, ""
	}
	if err == nil {
		err = g.seq.Take(f.Seq)
	}
	if err != nil {
		g.refused++
		if g.refused >= MaxRefused {
			return true, remotecontrol.CauseBadInput
		}
		return false, ""
	}
	if g.agent != nil {
		g.agent.pushLocked(f) // no agent yet: nothing reaches the desktop
	}
	return false, ""
}
