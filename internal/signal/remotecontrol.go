package signal

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/room"
)

// Remote control of a shared screen (docs/security.md, "Remote control").
// The room decides and tells everyone; these handlers only translate. The
// audit records come from the room (room.ControlRecorder), so that ends
// nobody sent a message for (the share ended, the time ran out, the agent
// stopped) are recorded the same way as those somebody asked for.

func onControlRequest(_ context.Context, c *conn, d *protocol.ControlRequest) error {
	_, err := c.member.RequestControl(d.Participant)
	return controlError(err)
}

func onControlAnswer(_ context.Context, c *conn, d *protocol.ControlAnswer) error {
	return controlError(c.member.AnswerControl(d.Request, d.Grant, d.PointerOnly))
}

func onControlStop(_ context.Context, c *conn, d *protocol.ControlStop) error {
	_, err := c.member.StopControl(d.Grant)
	return controlError(err)
}

func controlError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, room.ErrControlOff):
		return protoErr(protocol.CodeForbidden, "remote control is not allowed in this meeting for your role")
	case errors.Is(err, room.ErrNotSharing):
		return protoErr(protocol.CodeBadRequest, "that participant does not share a screen")
	case errors.Is(err, room.ErrControlPending):
		return protoErr(protocol.CodeBadRequest, "you already asked for control: wait for the answer")
	case errors.Is(err, room.ErrControlSelf):
		return protoErr(protocol.CodeBadRequest, "you cannot ask for control of that screen")
	case errors.Is(err, room.ErrNoControlRequest):
		return protoErr(protocol.CodeNotFound, "no such request for control of your screen")
	case errors.Is(err, room.ErrNoControl):
		return protoErr(protocol.CodeNotFound, "that grant of control is not active")
	}
	return roomError(err)
}

func wireControlRequested(e room.ControlRequested) protocol.ControlRequested {
	return protocol.ControlRequested{Request: e.Request, From: e.From, Name: e.Name}
}

func wireControlRefused(e room.ControlRefused) protocol.ControlRefused {
	return protocol.ControlRefused{Request: e.Request, Reason: e.Reason}
}

func wireControl(e room.ControlChanged) protocol.ControlState {
	g := e.Grant
	s := protocol.ControlState{Active: e.Ended == "", Grant: g.ID, Sharer: g.Sharer, SharerName: g.SharerName,
		Controller: g.Controller, ControllerName: g.ControllerName, PointerOnly: g.PointerOnly,
		AgentConnected: e.AgentConnected, Token: e.Token, AgentCode: e.AgentCode, Ended: e.Ended}
	if s.Active {
		exp := g.ExpiresAt.UTC().Truncate(time.Second)
		s.ExpiresAt = &exp
	}
	return s
}

// OriginAllowed reports whether a WebSocket handshake comes from this
// server's own pages or from a non-browser client (no Origin), by the
// signalling socket's rule; the remote control sockets use it too.
func (h *Handler) OriginAllowed(r *http.Request) bool { return originAllowed(r, h.opts.PublicOrigin) }
