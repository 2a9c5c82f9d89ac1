package main

import (
	"log/slog"
	"net/http"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/remotecontrol/relay"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/signal"
)

// controlRoutes carries remote control's input path from the conference
// (which owns the rooms) to the web server (which mounts its routes).
type controlRoutes struct{ relay *relay.Relay }

// agent and input are the relay's routes; nil (none mounted) before it
// exists.
func (c *controlRoutes) agent() http.Handler {
	if c == nil || c.relay == nil {
		return nil
	}
	return c.relay.AgentHandler()
}

func (c *controlRoutes) input() http.Handler {
	if c == nil || c.relay == nil {
		return nil
	}
	return c.relay.InputHandler()
}

// withRemoteControl adds the organisation's remote control policy
// (docs/security.md, "Remote control") to o: whether, who may ask, for
// how long.
func withRemoteControl(o room.OrgPolicy, cfg config.Config) room.OrgPolicy {
	o.RemoteControl = cfg.RemoteControl.RemoteControl
	o.RemoteControlLimit = cfg.RemoteControlLimit
	for _, r := range cfg.RemoteControlRoleList() {
		o.RemoteControlRoles = append(o.RemoteControlRoles, authz.Role(r))
	}
	return o
}

// startRemoteControl connects the rooms to the input path and the audit
// log. The relay exists even where the organisation does not allow remote
// control: with no grant, every connection to it is refused.
func startRemoteControl(rooms *room.Manager, ws *signal.Handler, auditLog *audit.Log, logger *slog.Logger, out *controlRoutes) {
	rel := relay.New(relay.Options{Rooms: rooms, Origin: ws.OriginAllowed, Logger: logger})
	var rec room.ControlRecorder
	if auditLog != nil {
		rec = relay.NewAuditRecorder(auditLog, logger)
	}
	rooms.SetRemoteControl(room.ControlOptions{Relay: rel, Recorder: rec})
	if out != nil {
		out.relay = rel
	}
}
