package signal

import (
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
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
		c.answer("waiting", protocol.Waiting{Reason: e.Reason, Locked: e.Locked}, false)
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
		return "lobby", protocol.Lobby{Waiting: wireWaiters(e.Waiting)}, true
	case room.ParticipantJoined:
		return "participant_joined", protocol.ParticipantJoined{Participant: wireParticipant(e.Participant)}, true
	case room.ParticipantUpdated:
		return "participant_updated", protocol.ParticipantUpdated{Participant: wireParticipant(e.Participant)}, true
	case room.ParticipantLeft:
		return "participant_left", protocol.ParticipantLeft{ParticipantID: e.ID}, true
	case room.ActiveSpeaker:
		return "active_speaker", protocol.ActiveSpeaker{ParticipantID: e.ID}, true
	case room.SettingsChanged:
		return "meeting_updated", protocol.MeetingUpdated{Settings: wireSettings(e.Settings)}, true
	case room.Muted:
		return "muted", protocol.Muted{Source: string(e.Source), By: e.By}, true
	case room.UnmuteRequested:
		return "unmute_request", protocol.UnmuteRequest{Source: string(e.Source), By: e.By}, true
	case room.ChatReceived:
		return "chat", wireChat(e.Message), true
	case room.ChatRemoved:
		return "chat_deleted", protocol.ChatDeleted{ID: e.ID, By: e.By}, true
	case room.RecordingChanged:
		return "recording", wireRecording(e), true
	case room.TranscriptionChanged:
		return "transcription", wireTranscription(e), true
	case room.CaptionReceived:
		return "caption", wireCaption(e), true
	case room.E2EEKeyPublished:
		return "e2ee_pubkey", protocol.E2EEPubKeyOf{Participant: e.Participant, SPKI: e.SPKI}, true
	case room.E2EEKeyDelivered:
		return "e2ee_key", protocol.E2EEKeyFrom{From: e.From, Wrapped: e.Wrapped}, true
	case room.ControlRequested:
		return "control_requested", wireControlRequested(e), true
	case room.ControlRefused:
		return "control_refused", wireControlRefused(e), true
	case room.ControlChanged:
		return "control", wireControl(e), true
	}
	return "", nil, false
}

func (c *conn) admitted(w room.Admitted) {
	ice := c.grantRelay(w.Self.ID)
	var fileToken string
	// No file capability in an end-to-end encrypted meeting: files would be
	// stored as uploaded, readable by the server (docs/e2ee.md, "Chat").
	if c.h.opts.FileSharing && !w.Settings.E2EE {
		fileToken = c.h.caps.issue(c, w.Self.ID)
	}
	others := make([]protocol.Participant, len(w.Others))
	for i, p := range w.Others {
		others[i] = wireParticipant(p)
	}
	c.answer("welcome", protocol.Welcome{
		Version:       Version,
		ParticipantID: w.Self.ID,
		Role:          string(w.Self.Role),
		Meeting:       protocol.MeetingInfo{ID: c.meetingID, Title: c.title, Settings: wireSettings(w.Settings)},
		Participants:  others,
		ICEServers:    ice,
		FileToken:     fileToken,
	}, true)
	if !w.ChatSince.IsZero() && c.h.chat != nil {
		go c.sendChatHistory(w.ChatSince) // I/O: not under the room lock
	}
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
	// The relay and the file capability go now, not when the socket
	// closes. Revoking only closes sockets and edits maps, cheap enough
	// for the room lock.
	c.revokeRelay()
	if c.member != nil {
		c.h.caps.revoke(c, c.member.ID())
	}
	if away {
		go c.auditLeftAway(reason) // I/O: not under the room lock
	}
}

// SubscribeOffer implements sfu.Signaller.
func (c *conn) SubscribeOffer(offer webrtc.SessionDescription, tracks map[string]sfu.TrackInfo) {
	owners := make(map[string]protocol.TrackOwner, len(tracks))
	for mid, t := range tracks {
		owners[mid] = protocol.TrackOwner{ParticipantID: t.ParticipantID, Source: string(t.Source)}
	}
	c.event("subscribe_offer", protocol.SubscribeOffer{
		SDP:    protocol.SDP{Type: offer.Type.String(), SDP: offer.SDP},
		Tracks: owners,
	})
}

// The room's view, in wire form: the room knows nothing of JSON.

func wireParticipant(p room.Participant) protocol.Participant {
	return protocol.Participant{ID: p.ID, Name: p.Name, Verified: p.Verified, Role: string(p.Role),
		Audio: p.Audio, Video: p.Video, Screen: p.Screen, Reconnecting: p.Reconnecting}
}

func wireRecording(e room.RecordingChanged) protocol.RecordingState {
	r := e.Recording
	if r == nil {
		return protocol.RecordingState{Ended: e.Ended}
	}
	started := r.StartedAt.UTC()
	return protocol.RecordingState{Active: true, ID: r.ID, By: r.By, ByName: r.ByName, Purpose: r.Purpose, Access: r.Access,
		RetentionDays: int((r.Retention + 24*time.Hour - 1) / (24 * time.Hour)), StartedAt: &started, Consent: e.Consent}
}

func wireSettings(s room.Settings) protocol.Settings {
	return protocol.Settings{Locked: s.Locked, Chat: s.Chat, PrivateChat: s.PrivateChat, ChatWriters: s.ChatWriters,
		ScreenShare: s.ScreenShare, OrgLocked: s.OrgLocked, Recording: s.Recording, Transcription: s.Transcription,
		E2EE: s.E2EE, RemoteControl: s.RemoteControl}
}

func wireWaiters(ws []room.Waiter) []protocol.Waiter {
	out := make([]protocol.Waiter, len(ws))
	for i, w := range ws {
		out[i] = protocol.Waiter{ID: w.ID, Name: w.Name, Verified: w.Verified, Since: w.Since}
	}
	return out
}
