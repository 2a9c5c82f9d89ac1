package signal

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
)

// handler handles one message type. afterHello says whether the message is
// allowed only after hello (true) or only as the first message (false);
// action is what the permission table must allow the sender's role before
// fn runs (package authz).
type handler struct {
	afterHello bool
	action     authz.Action
	fn         func(ctx context.Context, c *conn, data json.RawMessage) error
}

// handlers is the protocol: one small function per message type.
var handlers = map[string]handler{
	"hello":            {false, "", onHello},
	"resume":           {false, "", onResume},
	"publish":          {true, authz.Media, onPublish},
	"subscribe_answer": {true, authz.Media, onSubscribeAnswer},
	"ice":              {true, authz.Media, onICE},
	"ice_restart":      {true, authz.Media, onICERestart},
	"media_state":      {true, authz.Media, onMediaState},
	"video_size":       {true, authz.Media, onVideoSize},
	"ping":             {true, authz.Leave, onPing},
	"leave":            {true, authz.Leave, onLeave},
	"chat":             {true, authz.ChatSend, onChat},
	"admit":            {true, authz.LobbyDecide, onAdmit},
	"deny":             {true, authz.LobbyDecide, onDeny},
	"lock":             {true, authz.MeetingLock, onLock},
	"settings":         {true, authz.MeetingSetting, onSettings},
	"end_meeting":      {true, authz.MeetingEnd, onEndMeeting},
	"remove":           {true, authz.Remove, onRemove},
	"mute":             {true, authz.Mute, onMute},
	"ask_unmute":       {true, authz.AskUnmute, onAskUnmute},
	// set_role needs role.cohost for co-host changes; the room checks that
	// under its lock once it knows the target's current role.
	"set_role": {true, authz.SetPresenter, onSetRole},
}

// joinRefused is the one answer for an unknown meeting and a wrong passcode.
func joinRefused() *ProtocolError {
	return &ProtocolError{Code: CodeJoinRefused, Message: "meeting not found or wrong passcode", Fatal: true}
}

func onHello(ctx context.Context, c *conn, data json.RawMessage) error {
	var d helloData
	if err := decodeData(data, &d); err != nil {
		return err
	}
	if d.Version != Version {
		return &ProtocolError{Code: CodeUnsupportedVersion, Message: "this server speaks protocol version 1", Fatal: true}
	}
	if err := c.checkJoinRate(d.MeetingID); err != nil {
		return err
	}
	if err := c.checkNotice(ctx, d.NoticeVersion); err != nil {
		return err
	}
	name, userID, err := c.identity(d.Name)
	if err != nil {
		return err
	}
	device, err := deviceHash(d.Device)
	if err != nil {
		return err
	}
	if len(d.MeetingID) > maxMeetingIDLen || len(d.Passcode) > 64 {
		return joinRefused()
	}
	m, err := c.authorizeMeeting(ctx, d.MeetingID, d.Passcode)
	if err != nil {
		return err
	}
	// Checked after the passcode, so only someone holding it learns that
	// the meeting wants an account.
	if m.SignedInOnly && userID == "" {
		return c.joinError(m.ID, errSignInRequired)
	}
	c.meetingID, c.title = m.ID, m.Title
	pid, err := room.NewParticipantID()
	if err != nil {
		return err
	}
	return c.enter(ctx, room.JoinRequest{
		ID: pid, MeetingID: m.ID, Name: name, UserID: userID, DeviceHash: device, Policy: policyOf(m),
	}, d.NoticeVersion)
}

// identity returns the display name and account of the participant.
func (c *conn) identity(requested string) (name, userID string, err error) {
	name = requested
	if c.user != nil {
		userID = c.user.ID
		if name == "" {
			name = c.user.Name
		}
	}
	name, err = cleanName(name)
	return name, userID, err
}

// errSignInRequired refuses a guest at a signed-in-only meeting.
var errSignInRequired = errors.New("signal: meeting admits only signed-in participants")

// joinError turns a refused join into its protocol error and its
// (coalesced) audit entry.
func (c *conn) joinError(meetingID string, err error) error {
	refuse := func(code, msg string) error {
		c.refusal(audit.Event{Action: audit.MeetingJoinRefused, Meeting: meetingID, Outcome: audit.Denied,
			Details: map[string]string{"reason": code}})
		return &ProtocolError{Code: code, Message: msg, Fatal: true}
	}
	switch {
	case errors.Is(err, room.ErrFull):
		return refuse(CodeMeetingFull, "the meeting is full")
	case errors.Is(err, room.ErrLobbyFull):
		return refuse(CodeMeetingFull, "the waiting room is full")
	case errors.Is(err, room.ErrLocked):
		return refuse(CodeMeetingLocked, "this meeting is locked: nobody new can join")
	case errors.Is(err, room.ErrBanned):
		return refuse(CodeBanned, "you were removed from this meeting and cannot rejoin")
	case errors.Is(err, errSignInRequired):
		return refuse(CodeSignInRequired, "this meeting admits only signed-in participants: sign in and open the link again")
	case errors.Is(err, room.ErrShuttingDown):
		return &ProtocolError{Code: CodeInternal, Message: "the server is shutting down", Fatal: true}
	}
	return err
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
	was := c.member.Info().Screen
	if err := c.member.SetMediaState(d.Audio, d.Video, d.Screen); err != nil {
		return roomError(err)
	}
	switch {
	case d.Screen && !was:
		c.auditAct(audit.ScreenshareStart, c.member.ID(), nil)
	case !d.Screen && was:
		c.auditAct(audit.ScreenshareStop, c.member.ID(), nil)
	}
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
	media := c.member.Media()
	if media == nil {
		return forbidden()
	}
	media.SetVideoSize(d.ParticipantID, d.Source, d.Width, d.Height)
	return nil
}

func onPing(_ context.Context, c *conn, _ json.RawMessage) error {
	// A reply, not an event: it goes out at once, to waiting clients too,
	// and is not replayed by a resume.
	c.reply("pong", struct{}{})
	return nil
}

func onLeave(_ context.Context, c *conn, _ json.RawMessage) error {
	c.member.Leave()
	c.bye(room.ReasonLeft)
	return nil
}

func (c *conn) SubscribeOffer(offer webrtc.SessionDescription, tracks map[string]sfu.TrackInfo) {
	c.event("subscribe_offer", subscribeOfferData{
		SDP:    sdpData{Type: offer.Type.String(), SDP: offer.SDP},
		Tracks: tracks,
	})
}
