package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/coder/websocket"

	"github.com/conclave-meet/conclave/internal/remotecontrol"
)

// session is one connection to the server.
type session struct {
	cfg    *Config
	ws     *websocket.Conn
	msgs   chan received
	cancel context.CancelFunc // ends the reader
}

// received is one message read from the server, or why reading stopped.
type received struct {
	msg remotecontrol.AgentMessage
	err error
}

func connect(ctx context.Context, cfg *Config) (*session, error) {
	endpoint, err := Endpoint(cfg.Server, cfg.Meeting)
	if err != nil {
		return nil, err
	}
	ws, _, err := websocket.Dial(ctx, endpoint, &websocket.DialOptions{HTTPClient: cfg.HTTPClient})
	if err != nil {
		return nil, fmt.Errorf("agent: connect to %s: %w", endpoint, err)
	}
	ws.SetReadLimit(maxMessageBytes)
	s := &session{cfg: cfg, ws: ws, msgs: make(chan received)}
	if err := s.send(ctx, remotecontrol.AgentHello{Code: cfg.Code.Server}); err != nil {
		ws.CloseNow()
		return nil, err
	}
	readCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	go s.read(readCtx)
	return s, nil
}

// read passes the server's messages on, in order, until the connection or
// ctx ends; the last thing it passes is the error that ended it.
func (s *session) read(ctx context.Context) {
	for {
		var r received
		_, b, err := s.ws.Read(ctx)
		if err == nil {
			err = json.Unmarshal(b, &r.msg)
		}
		r.err = err
		select {
		case s.msgs <- r:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

func (s *session) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("agent: %w", err)
	}
	if err := s.ws.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("agent: send to the server: %w", err)
	}
	return nil
}

// sendStop tells the server that control ended here, even when ctx has
// ended (the sharer closed the agent), within stopTimeout.
func (s *session) sendStop(ctx context.Context, cause string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), stopTimeout)
	defer cancel()
	if err := s.send(ctx, remotecontrol.AgentMessage{Type: remotecontrol.TypeStop, Cause: cause}); err != nil {
		s.cfg.Logger.Warn("could not tell the server that control stopped", "cause", cause, "err", err)
	}
}

func (s *session) close() {
	s.cancel()
	s.ws.Close(websocket.StatusNormalClosure, "")
}

// awaitGrant waits for the server's first message, which must be the
// grant (or an end before it); anything else is refused. A non-empty
// cause means control ended before it began.
func (s *session) awaitGrant(ctx context.Context) (remotecontrol.AgentMessage, string, error) {
	log := s.cfg.Logger
	log.Info("waiting for the grant")
	select {
	case <-ctx.Done():
		s.sendStop(ctx, remotecontrol.CauseAgentClosed)
		return remotecontrol.AgentMessage{}, remotecontrol.CauseAgentClosed, nil
	case <-s.cfg.Injector.StopKey():
		s.sendStop(ctx, remotecontrol.CauseStopKey)
		return remotecontrol.AgentMessage{}, remotecontrol.CauseStopKey, nil
	case r := <-s.msgs:
		switch {
		case r.err != nil:
			return remotecontrol.AgentMessage{}, "", fmt.Errorf("agent: waiting for the grant: %w", r.err)
		case r.msg.Type == remotecontrol.TypeEnd:
			log.Info("control ended before it was granted", "cause", r.msg.Cause)
			return remotecontrol.AgentMessage{}, orUnknown(r.msg.Cause), nil
		case r.msg.Type != remotecontrol.TypeGranted || r.msg.Grant == "":
			return remotecontrol.AgentMessage{}, "", fmt.Errorf("%w: %q instead of a grant", ErrRefused, r.msg.Type)
		}
		return r.msg, "", nil
	}
}

func orUnknown(cause string) string {
	if cause == "" {
		return "unknown"
	}
	return cause
}

// control runs the grant g until it ends, and always leaves the desktop
// with no key or button held and no banner.
func (s *session) control(ctx context.Context, g remotecontrol.AgentMessage) (string, error) {
	c := newGrant(s.cfg, g)
	if err := s.cfg.Injector.Banner(g.Controller); err != nil {
		// Control nobody can see is not given.
		s.sendStop(ctx, remotecontrol.CauseAgentClosed)
		return remotecontrol.CauseAgentClosed, fmt.Errorf("agent: cannot show the banner: %w", err)
	}
	defer s.cfg.Injector.ClearBanner()
	defer s.cfg.Injector.Release()
	s.cfg.Logger.Info("control granted", "grant", g.Grant, "controller", g.Controller,
		"pointer_only", g.PointerOnly, "expires_at", g.ExpiresAt, "e2ee", c.key != nil)
	cause, local, err := s.loop(ctx, c)
	// Release before telling the server, so that nothing stays pressed
	// however long that takes.
	s.cfg.Injector.Release()
	if local {
		s.sendStop(ctx, cause)
	}
	c.logEnd(cause)
	return cause, err
}

// loop hands the grant's events to c until control ends; local says the
// end was decided here, so the server must be told.
func (s *session) loop(ctx context.Context, c *grant) (cause string, local bool, err error) {
	var expiry <-chan time.Time
	if !c.expires.IsZero() {
		expiry = s.cfg.After(c.expires.Sub(s.cfg.Now()))
	}
	for {
		select {
		case <-ctx.Done():
			return remotecontrol.CauseAgentClosed, true, nil
		case <-s.cfg.Injector.StopKey():
			return remotecontrol.CauseStopKey, true, nil
		case <-expiry:
			return remotecontrol.CauseExpired, true, nil
		case r := <-s.msgs:
			if r.err != nil {
				return remotecontrol.CauseAgentClosed, false, fmt.Errorf("agent: connection to the server: %w", r.err)
			}
			if r.msg.Type == remotecontrol.TypeEnd {
				return orUnknown(r.msg.Cause), false, nil
			}
			if cause := c.over(ctx); cause != "" {
				return cause, true, nil
			}
			c.handle(ctx, r.msg)
		}
	}
}
