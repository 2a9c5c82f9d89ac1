package signal

import (
	"github.com/conclave-meet/conclave/internal/room"
)

// Deliver implements room.Events: the room calls it with its lock held, so
// it only encodes and enqueues. Entering (welcome, waiting) and leaving
// (ended) change the session; every other event is one numbered message.
func (c *conn) Deliver(ev room.Event) {
	switch e := ev.(type) {
	case room.Admitted:
		c.admitted(e)
	case room.Waiting:
		// Goes out at once, once the join is on record: a waiting client
		// gets no welcome to wait for.
		c.answer("waiting", waitingData{Reason: e.Reason, Locked: e.Locked}, false)
	case room.Ended:
		c.ended(e.Reason)
	default:
		if typ, data, ok := wireEvent(ev); ok {
			c.event(typ, data)
		}
	}
}

// wireEvent is the message for an event that only informs.
func wireEvent(ev room.Event) (typ string, data any, ok bool) {
	switch e := ev.(type) {
	case room.LobbyChanged:
		ws := e.Waiting
		if ws == nil {
			ws = []room.Waiter{}
		}
		return "lobby", map[string][]room.Waiter{"waiting": ws}, true
	case room.ParticipantJoined:
		return "participant_joined", map[string]room.Participant{"participant": e.Participant}, true
	case room.ParticipantUpdated:
		return "participant_updated", map[string]room.Participant{"participant": e.Participant}, true
	case room.ParticipantLeft:
		return "participant_left", map[string]string{"participant_id": e.ID}, true
	case room.ActiveSpeaker:
		return "active_speaker", map[string]string{"participant_id": e.ID}, true
	case room.SettingsChanged:
		return "meeting_updated", map[string]room.Settings{"settings": e.Settings}, true
	case room.Muted:
		return "muted", sourceByData{Source: e.Source, By: e.By}, true
	case room.UnmuteRequested:
		return "unmute_request", sourceByData{Source: e.Source, By: e.By}, true
	case room.ChatReceived:
		return "chat", e.Message, true
	}
	return "", nil, false
}

func (c *conn) admitted(w room.Admitted) {
	ice := c.grantRelay(w.Self.ID)
	c.answer("welcome", welcomeData{
		Version:       Version,
		ParticipantID: w.Self.ID,
		Role:          w.Self.Role,
		Meeting:       meetingView{ID: c.meetingID, Title: c.title, Settings: w.Settings},
		Participants:  w.Others,
		ICEServers:    ice,
	}, true)
}

// ended: the server disconnected the participant (removed, banned, meeting
// ended...). Attached, the link says bye and closes; detached, the reason
// waits for a resume attempt until the grace period ends.
func (c *conn) ended(reason string) {
	c.mu.Lock()
	l := c.link
	c.final, c.held = true, nil
	away := l == nil && c.grace != nil
	if away {
		c.endedAway = reason
	}
	c.mu.Unlock()
	if l != nil {
		l.bye(reason)
	}
	// The relay goes now, not when the socket closes. Revoke only closes
	// sockets, cheap enough for the room lock.
	c.revokeRelay()
	if away {
		go c.auditLeftAway(reason) // I/O: not under the room lock
	}
}
