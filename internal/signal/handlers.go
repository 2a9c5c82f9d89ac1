package signal

import (
	"context"
	"errors"
	"reflect"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/protocol"
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
	payload    reflect.Type // package protocol's type for the message
	fn         func(ctx context.Context, c *conn, msg any) error
}

// on makes a table entry for a handler of one payload type, which package
// protocol has decoded and validated before fn runs.
func on[T any](afterHello bool, action authz.Action, fn func(context.Context, *conn, *T) error) handler {
	return handler{afterHello, action, reflect.TypeFor[T](),
		func(ctx context.Context, c *conn, msg any) error { return fn(ctx, c, msg.(*T)) }}
}

// handlers is the protocol's server side: one small function per client
// message of package protocol (a test keeps the two in step).
var handlers = map[string]handler{
	"hello":            on(false, "", onHello),
	"resume":           on(false, "", onResume),
	"publish":          on(true, authz.Media, onPublish),
	"subscribe_answer": on(true, authz.Media, onSubscribeAnswer),
	"ice":              on(true, authz.Media, onICE),
	"ice_restart":      on(true, authz.Media, onICERestart),
	"media_state":      on(true, authz.Media, onMediaState),
	"video_size":       on(true, authz.Media, onVideoSize),
	"ping":             on(true, authz.Leave, onPing),
	"leave":            on(true, authz.Leave, onLeave),
	// chat needs chat.private for a message to some; the room checks that
	// under its lock once it has the recipients.
	"chat":        on(true, authz.ChatSend, onChat),
	"chat_delete": on(true, authz.ChatDelete, onChatDelete),
	"admit":       on(true, authz.LobbyDecide, onAdmit),
	"deny":        on(true, authz.LobbyDecide, onDeny),
	"lock":        on(true, authz.MeetingLock, onLock),
	"settings":    on(true, authz.MeetingSetting, onSettings),
	"end_meeting": on(true, authz.MeetingEnd, onEndMeeting),
	"remove":      on(true, authz.Remove, onRemove),
	"mute":        on(true, authz.Mute, onMute),
	"ask_unmute":  on(true, authz.AskUnmute, onAskUnmute),
	// set_role needs role.cohost for co-host changes; the room checks that
	// under its lock once it knows the target's current role.
	"set_role": on(true, authz.SetPresenter, onSetRole),
	// Who may start may stop. Answering a consent request is every
	// participant's own right: the action every role has.
	"recording_start":   on(true, authz.RecordingStart, onRecordingStart),
	"recording_stop":    on(true, authz.RecordingStart, onRecordingStop),
	"recording_consent": on(true, authz.Leave, onRecordingConsent),
	// Transcription likewise (transcription.go); captions are each
	// participant's own choice.
	"transcription_start":   on(true, authz.TranscriptionStart, onTranscriptionStart),
	"transcription_stop":    on(true, authz.TranscriptionStart, onTranscriptionStop),
	"transcription_consent": on(true, authz.Leave, onTranscriptionConsent),
	"captions":              on(true, authz.Captions, onCaptions),
	// E2EE keys go with media: whoever may publish keys their media.
	"e2ee_pubkey": on(true, authz.Media, onE2EEPubKey),
	"e2ee_key":    on(true, authz.Media, onE2EEKey),
	// Remote control (remotecontrol.go). Stopping one's own grant, as
	// sharer or controller, is every admitted role's right (remote.grant);
	// the room checks remote.revoke under its lock for anyone else.
	"control_request": on(true, authz.RemoteRequest, onControlRequest),
	"control_answer":  on(true, authz.RemoteGrant, onControlAnswer),
	"control_stop":    on(true, authz.RemoteGrant, onControlStop),
}

// joinRefused is the one answer for an unknown meeting and a wrong passcode.
func joinRefused() *ProtocolError {
	return &ProtocolError{Code: protocol.CodeJoinRefused, Message: "meeting not found or wrong passcode", Fatal: true}
}

func onHello(ctx context.Context, c *conn, d *protocol.Hello) error {
	if d.Version != Version {
		return &ProtocolError{Code: protocol.CodeUnsupportedVersion, Message: "this server speaks protocol version 1", Fatal: true}
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
	moved, started, err := c.redirected(ctx, m.ID)
	if moved || err != nil {
		return err
	}
	c.meetingID, c.title = m.ID, m.Title
	pid, err := room.NewParticipantID()
	if err != nil {
		return err
	}
	return c.enter(ctx, room.JoinRequest{
		ID: pid, MeetingID: m.ID, Name: name, UserID: userID, DeviceHash: device, Policy: policyOf(m), Started: started,
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
		return refuse(protocol.CodeMeetingFull, "the meeting is full")
	case errors.Is(err, room.ErrLobbyFull):
		return refuse(protocol.CodeMeetingFull, "the waiting room is full")
	case errors.Is(err, room.ErrLocked):
		return refuse(protocol.CodeMeetingLocked, "this meeting is locked: nobody new can join")
	case errors.Is(err, room.ErrBanned):
		return refuse(protocol.CodeBanned, "you were removed from this meeting and cannot rejoin")
	case errors.Is(err, errSignInRequired):
		return refuse(protocol.CodeSignInRequired, "this meeting admits only signed-in participants: sign in and open the link again")
	case errors.Is(err, room.ErrShuttingDown):
		return &ProtocolError{Code: protocol.CodeInternal, Message: "the server is shutting down", Fatal: true}
	}
	return err
}

// onPublish: package protocol has checked the tracks map (1 to 3 mids of
// at most 16 bytes, each to a known source).
func onPublish(_ context.Context, c *conn, d *protocol.Publish) error {
	offer, err := description(d.SDP, webrtc.SDPTypeOffer)
	if err != nil {
		return err
	}
	tracks := make(map[string]sfu.Source, len(d.Tracks))
	for mid, s := range d.Tracks {
		tracks[mid] = sfu.Source(s)
	}
	answer, err := c.member.Media().Publish(offer, tracks)
	if err != nil {
		c.log.Debug("publish offer refused", "err", err)
		return protoErr(protocol.CodeBadRequest, "the publish offer could not be applied")
	}
	c.event("publish_answer", protocol.PublishAnswer{SDP: protocol.SDP{Type: answer.Type.String(), SDP: answer.SDP}})
	return nil
}

func onSubscribeAnswer(_ context.Context, c *conn, d *protocol.SubscribeAnswer) error {
	answer, err := description(d.SDP, webrtc.SDPTypeAnswer)
	if err != nil {
		return err
	}
	if err := c.member.Media().SubscribeAnswer(answer); err != nil {
		c.log.Debug("subscribe answer refused", "err", err)
		return protoErr(protocol.CodeBadRequest, "the subscribe answer could not be applied")
	}
	return nil
}

func onICE(_ context.Context, c *conn, d *protocol.ICE) error {
	if d.Candidate == nil || d.Candidate.Candidate == "" {
		return nil // end of candidates
	}
	cand := webrtc.ICECandidateInit{Candidate: d.Candidate.Candidate, SDPMid: d.Candidate.SDPMid,
		SDPMLineIndex: d.Candidate.SDPMLineIndex, UsernameFragment: d.Candidate.UsernameFragment}
	if err := c.member.Media().AddCandidate(d.PC, cand); err != nil {
		c.log.Debug("candidate refused", "err", err)
		return protoErr(protocol.CodeBadRequest, "the candidate could not be added")
	}
	return nil
}

func onICERestart(_ context.Context, c *conn, _ *protocol.ICERestart) error {
	c.member.Media().RestartICE()
	return nil
}

func onMediaState(_ context.Context, c *conn, d *protocol.MediaState) error {
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

// onVideoSize: package protocol has checked the source and the size.
func onVideoSize(_ context.Context, c *conn, d *protocol.VideoSize) error {
	media := c.member.Media()
	if media == nil {
		return forbidden()
	}
	media.SetVideoSize(d.ParticipantID, sfu.Source(d.Source), d.Width, d.Height)
	return nil
}

func onPing(_ context.Context, c *conn, _ *protocol.Ping) error {
	// A reply, not an event: it goes out at once, to waiting clients too,
	// and is not replayed by a resume.
	c.reply("pong", struct{}{})
	return nil
}

func onLeave(_ context.Context, c *conn, _ *protocol.Leave) error {
	c.member.Leave()
	c.bye(room.ReasonLeft)
	return nil
}
