package signal

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
)

// handler handles one message type. needJoined says whether the message is
// allowed only after welcome (true) or only before it (false).
type handler struct {
	needJoined bool
	fn         func(ctx context.Context, c *conn, data json.RawMessage) error
}

// handlers is the protocol: one small function per message type.
var handlers = map[string]handler{
	"hello":            {false, onHello},
	"publish":          {true, onPublish},
	"subscribe_answer": {true, onSubscribeAnswer},
	"ice":              {true, onICE},
	"ice_restart":      {true, onICERestart},
	"media_state":      {true, onMediaState},
	"video_size":       {true, onVideoSize},
	"ping":             {true, onPing},
	"leave":            {true, onLeave},
}

func onHello(ctx context.Context, c *conn, data json.RawMessage) error {
	var d helloData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	if d.Version != Version {
		return &ProtocolError{Code: CodeUnsupportedVersion, Message: "this server speaks protocol version 1", Fatal: true}
	}
	name := d.Name
	userID := ""
	if c.user != nil {
		userID = c.user.ID
		if name == "" {
			name = c.user.Name
		}
	}
	name, err := cleanName(name)
	if err != nil {
		return err
	}
	if len(d.MeetingID) > 64 || len(d.Passcode) > 64 {
		return &ProtocolError{Code: CodeJoinRefused, Message: "meeting not found or wrong passcode", Fatal: true}
	}
	m, err := c.h.opts.Meetings.Authorize(ctx, d.MeetingID, d.Passcode)
	if err != nil {
		c.log.Debug("join refused", "err", err)
		_ = c.audit(audit.MeetingJoinRefused, d.MeetingID, audit.Failure)
		return &ProtocolError{Code: CodeJoinRefused, Message: "meeting not found or wrong passcode", Fatal: true}
	}
	member, others, err := c.h.opts.Rooms.Join(room.JoinRequest{MeetingID: m.ID, Name: name, UserID: userID}, c)
	switch {
	case errors.Is(err, room.ErrFull):
		return &ProtocolError{Code: CodeMeetingFull, Message: "the meeting is full", Fatal: true}
	case errors.Is(err, room.ErrShuttingDown):
		return &ProtocolError{Code: CodeInternal, Message: "the server is shutting down", Fatal: true}
	case err != nil:
		return err
	}
	c.member = member
	c.meetingID = m.ID
	// Fail closed: a join that cannot be recorded does not happen.
	if err := c.audit(audit.MeetingJoinAllowed, m.ID, audit.Success); err != nil {
		member.Leave()
		c.member = nil
		return &ProtocolError{Code: CodeInternal, Message: "internal error", Fatal: true}
	}
	c.joined = true
	c.log = c.log.With("participant", member.ID())
	var ice []ICEServer
	if c.h.opts.ICEServers != nil {
		ice = c.h.opts.ICEServers(member.ID())
	}
	if ice == nil {
		ice = []ICEServer{}
	}
	c.welcome(welcomeData{
		Version:       Version,
		ParticipantID: member.ID(),
		Meeting:       meetingView{ID: m.ID, Title: m.Title},
		Participants:  others,
		ICEServers:    ice,
	})
	return nil
}

func onPublish(_ context.Context, c *conn, data json.RawMessage) error {
	var d publishData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	offer, err := d.SDP.description(webrtc.SDPTypeOffer)
	if err != nil {
		return err
	}
	if len(d.Tracks) == 0 || len(d.Tracks) > 3 {
		return protoErr(CodeBadRequest, "tracks must map 1 to 3 mids to sources")
	}
	for mid, s := range d.Tracks {
		if len(mid) > 16 || !s.Valid() {
			return protoErr(CodeBadRequest, "tracks: bad entry %q", truncate(mid, 16))
		}
	}
	answer, err := c.member.Media().Publish(offer, d.Tracks)
	if err != nil {
		c.log.Debug("publish offer refused", "err", err)
		return protoErr(CodeBadRequest, "the publish offer could not be applied")
	}
	c.event("publish_answer", answerData{SDP: sdpData{Type: answer.Type.String(), SDP: answer.SDP}})
	return nil
}

func onSubscribeAnswer(_ context.Context, c *conn, data json.RawMessage) error {
	var d answerData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	answer, err := d.SDP.description(webrtc.SDPTypeAnswer)
	if err != nil {
		return err
	}
	if err := c.member.Media().SubscribeAnswer(answer); err != nil {
		c.log.Debug("subscribe answer refused", "err", err)
		return protoErr(CodeBadRequest, "the subscribe answer could not be applied")
	}
	return nil
}

func onICE(_ context.Context, c *conn, data json.RawMessage) error {
	var d iceData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	if d.PC != sfu.PCPublish && d.PC != sfu.PCSubscribe {
		return protoErr(CodeBadRequest, "pc must be publish or subscribe")
	}
	if d.Candidate == nil || d.Candidate.Candidate == "" {
		return nil // end of candidates
	}
	if err := c.member.Media().AddCandidate(d.PC, *d.Candidate); err != nil {
		c.log.Debug("candidate refused", "err", err)
		return protoErr(CodeBadRequest, "the candidate could not be added")
	}
	return nil
}

func onICERestart(_ context.Context, c *conn, data json.RawMessage) error {
	var d struct{}
	if err := decodeData(data, &d); err != nil {
		return err
	}
	c.member.Media().RestartICE()
	return nil
}

func onMediaState(_ context.Context, c *conn, data json.RawMessage) error {
	var d mediaStateData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	c.member.SetMediaState(d.Audio, d.Video, d.Screen)
	return nil
}

func onVideoSize(_ context.Context, c *conn, data json.RawMessage) error {
	var d videoSizeData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	if d.Source != sfu.SourceCamera && d.Source != sfu.SourceScreen {
		return protoErr(CodeBadRequest, "source must be camera or screen")
	}
	if d.Width < 0 || d.Height < 0 || d.Width > 16384 || d.Height > 16384 {
		return protoErr(CodeBadRequest, "width and height must be 0 to 16384")
	}
	c.member.Media().SetVideoSize(d.ParticipantID, d.Source, d.Width, d.Height)
	return nil
}

func onPing(_ context.Context, c *conn, _ json.RawMessage) error {
	c.event("pong", struct{}{})
	return nil
}

func onLeave(_ context.Context, c *conn, _ json.RawMessage) error {
	c.member.Leave()
	c.bye(room.ReasonLeft)
	return nil
}

// room.Events, called by the room with its lock held: enqueue only.

func (c *conn) ParticipantJoined(p room.Participant) {
	c.event("participant_joined", map[string]room.Participant{"participant": p})
}

func (c *conn) ParticipantUpdated(p room.Participant) {
	c.event("participant_updated", map[string]room.Participant{"participant": p})
}

func (c *conn) ParticipantLeft(id string) {
	c.event("participant_left", map[string]string{"participant_id": id})
}

func (c *conn) ActiveSpeaker(id string) {
	c.event("active_speaker", map[string]string{"participant_id": id})
}

func (c *conn) Ended(reason string) {
	c.mu.Lock()
	c.welcomed = true // nothing to hold back any more
	c.mu.Unlock()
	c.bye(reason)
}

func (c *conn) SubscribeOffer(offer webrtc.SessionDescription, tracks map[string]sfu.TrackInfo) {
	c.event("subscribe_offer", subscribeOfferData{
		SDP:    sdpData{Type: offer.Type.String(), SDP: offer.SDP},
		Tracks: tracks,
	})
}
