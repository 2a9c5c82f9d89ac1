package protocol

import "slices"

// Direction is who sends a message.
type Direction int

// Directions.
const (
	ClientToServer Direction = iota + 1
	ServerToClient
)

func (d Direction) String() string {
	switch d {
	case ClientToServer:
		return "client→server"
	case ServerToClient:
		return "server→client"
	}
	return "Direction(?)"
}

// Spec is one message type: its name, direction, payload type (New returns
// a pointer to a fresh zero payload) and what it is for (the generated
// docs show Doc).
type Spec struct {
	Type string
	Dir  Direction
	New  func() any
	Doc  string
}

func msg[T any](typ string, dir Direction, doc string) Spec {
	return Spec{Type: typ, Dir: dir, New: func() any { return new(T) }, Doc: doc}
}

const (
	c2s = ClientToServer
	s2c = ServerToClient
)

// specs is the protocol. Names may repeat across directions (chat, ice),
// never within one.
var specs = []Spec{
	msg[Hello](`hello`, c2s, "First message: join a meeting (the waiting room or the meeting itself). Answered by welcome, waiting or a fatal error."),
	msg[Resume](`resume`, c2s, "First message instead of hello: take over the session a dropped connection left, with the last resume_token. Answered by resumed, or a fatal resume_failed error."),
	msg[Publish](`publish`, c2s, "Offer (or, for an ICE restart, re-offer) the publish peer connection. Answered by publish_answer."),
	msg[SubscribeAnswer](`subscribe_answer`, c2s, "Answer the server's subscribe_offer."),
	msg[ICE](`ice`, c2s, "Trickle a local ICE candidate; a null candidate marks the end."),
	msg[ICERestart](`ice_restart`, c2s, "Ask for a subscribe_offer with fresh ICE credentials."),
	msg[MediaState](`media_state`, c2s, "What the participant sends now; broadcast as participant_updated."),
	msg[VideoSize](`video_size`, c2s, "Size of the tile showing a video (0×0: hidden); picks the simulcast layer."),
	msg[Ping](`ping`, c2s, "Keep-alive; answered by pong."),
	msg[Leave](`leave`, c2s, "Leave the meeting; answered by bye (left)."),
	msg[Chat](`chat`, c2s, "Send a chat message to everyone (action chat.send), or to one or more participants in `to` (action chat.private). Echoed back as chat when stored. In an end-to-end encrypted meeting send `ciphertext` (sealed by the client) instead of `text`; plain `text` is refused there, and `ciphertext` elsewhere."),
	msg[ChatDelete](`chat_delete`, c2s, "Delete a chat message for everyone. Action chat.delete; answered by chat_deleted to all."),
	msg[Admit](`admit`, c2s, "Let a waiting person in (`participant_id`), or everyone (`all`). Action lobby.decide."),
	msg[Deny](`deny`, c2s, "Refuse a waiting person (`participant_id`), or everyone (`all`). Action lobby.decide."),
	msg[Lock](`lock`, c2s, "Lock or unlock the meeting. Action meeting.lock."),
	msg[SettingsChange](`settings`, c2s, "Change chat, private_chat, chat_writers, screen_share and/or remote_control (at least one). Action meeting.settings."),
	msg[EndMeeting](`end_meeting`, c2s, "End the meeting for everyone. Action meeting.end."),
	msg[Remove](`remove`, c2s, "Remove a participant or waiting person, with `ban` for good. Action participant.remove."),
	msg[Mute](`mute`, c2s, "Stop one of a participant's sources. Action participant.mute."),
	msg[AskUnmute](`ask_unmute`, c2s, "Ask a participant to turn a source on. Action participant.ask_unmute."),
	msg[RecordingStart](`recording_start`, c2s, "Start recording, for the purpose given. Action recording.start, where the organisation and the meeting allow recording. Everyone is asked (recording); nobody is recorded before they consent."),
	msg[RecordingStop](`recording_stop`, c2s, "Stop the running recording. Action recording.start."),
	msg[RecordingConsent](`recording_consent`, c2s, "Answer the running recording's consent request, or change the answer: consent false withdraws at once. Kept in the consent ledger and the audit log."),
	msg[TranscriptionStart](`transcription_start`, c2s, "Start transcribing with the organisation's local speech engine, for the purpose given. Action transcription.start, where the organisation and the meeting allow it and media is not end-to-end encrypted. Everyone is asked (transcription); nobody's audio reaches the engine before they consent."),
	msg[TranscriptionStop](`transcription_stop`, c2s, "Stop the running transcription. Action transcription.start."),
	msg[TranscriptionConsent](`transcription_consent`, c2s, "Answer the running transcription's consent request, or change the answer: consent false withdraws at once. Kept in the consent ledger and the audit log."),
	msg[Captions](`captions`, c2s, "Turn live captions on or off for yourself. Action captions.view."),
	msg[E2EEPubKey](`e2ee_pubkey`, c2s, "Publish your end-to-end encryption public key (E2EE meetings); relayed to everyone as e2ee_pubkey. Never stored or logged."),
	msg[E2EEKey](`e2ee_key`, c2s, "Give one admitted participant your media key, wrapped for them (E2EE meetings); delivered to them only as e2ee_key."),
	msg[ControlRequest](`control_request`, c2s, "Ask a participant who shares their screen for control of it. Action remote.request, where the organisation and the meeting allow remote control; the sharer is asked (control_requested)."),
	msg[ControlAnswer](`control_answer`, c2s, "The sharer grants (optionally pointer only) or refuses a control request addressed to them. Action remote.grant. One controller at a time."),
	msg[ControlStop](`control_stop`, c2s, "End a grant: the sharer stops it, the controller gives control back (no action needed), or a host revokes it (action remote.revoke)."),
	msg[SetRole](`set_role`, c2s, "Give a participant a role (attendee: no extra role). Action role.cohost or role.presenter."),

	msg[Welcome](`welcome`, s2c, "Admitted: the participant's ID and role, the meeting, the others present and the ICE servers."),
	msg[Waiting](`waiting`, s2c, "In the waiting room, and why; sent again when the reason or lock changes."),
	msg[Lobby](`lobby`, s2c, "The waiting room's queue, to hosts and co-hosts, whenever it changes."),
	msg[ICEServers](`ice_servers`, s2c, "Fresh TURN credentials for the next ICE gathering."),
	msg[PublishAnswer](`publish_answer`, s2c, "Answer to publish."),
	msg[SubscribeOffer](`subscribe_offer`, s2c, "Offer of the subscribe peer connection, with the owner of every track."),
	msg[ICE](`ice`, s2c, "A server ICE candidate. The server puts its candidates into its SDP and does not send this today; clients accept it."),
	msg[ParticipantJoined](`participant_joined`, s2c, "Someone entered the meeting."),
	msg[ParticipantUpdated](`participant_updated`, s2c, "A participant's media state, role or connection changed."),
	msg[ParticipantLeft](`participant_left`, s2c, "A participant left."),
	msg[ActiveSpeaker](`active_speaker`, s2c, "Who is speaking now (empty: nobody)."),
	msg[MeetingUpdated](`meeting_updated`, s2c, "The lock or a setting changed."),
	msg[Muted](`muted`, s2c, "A host stopped one of your sources: turn it off locally."),
	msg[UnmuteRequest](`unmute_request`, s2c, "A host asks you to turn a source on: ask the person, never unmute by yourself."),
	msg[ChatMessage](`chat`, s2c, "A chat message, stored before it is sent: to everyone, or (with `to`) to the sender and those recipients only, in the order sent. In an end-to-end encrypted meeting it carries `ciphertext` (text empty) for the client to open."),
	msg[ChatDeleted](`chat_deleted`, s2c, "A host deleted a chat message: remove it."),
	msg[ChatHistory](`chat_history`, s2c, "Earlier messages to everyone, after welcome, where the meeting keeps chat history for late joiners."),
	msg[RecordingState](`recording`, s2c, "A recording started (active, with who, why, who sees it, how long it is kept, and your answer so far), your answer changed, or it ended (ended: why). Until you consent, nothing of yours is recorded."),
	msg[TranscriptionState](`transcription`, s2c, "A transcription started (active, with who, why, who sees the transcript, how long it is kept, where the audio goes, and your answer so far), your answer changed, or it ended (ended: why). Until you consent, none of your audio reaches the speech engine."),
	msg[Caption](`caption`, s2c, "A live caption, to those who turned captions on: the speaker and the text. A partial (final false) is replaced by the next caption of the same participant and utterance."),
	msg[ControlRequested](`control_requested`, s2c, "To the sharer: someone asks for control of your screen. Answer with control_answer."),
	msg[ControlRefused](`control_refused`, s2c, "To the asker: the sharer refused, or the request lapsed (why in reason)."),
	msg[ControlState](`control`, s2c, "To everyone: who controls whose screen (active), or that control ended (ended: why). The controller's copy carries the token for /api/control/input, the sharer's the agent_code for conclave agent."),
	msg[E2EEPubKeyOf](`e2ee_pubkey`, s2c, "A participant's end-to-end encryption public key (after welcome: everyone's already published; then each new one). A new key from the same participant replaces the old: flag it."),
	msg[E2EEKeyFrom](`e2ee_key`, s2c, "A media key wrapped for you by `from`."),
	msg[GuestProof](`guest_proof`, s2c, "A guest's one-time proof that the participant ID was theirs, once they enter (waiting room or meeting; guests only, unnumbered): show it when the call ends, keep it in memory only."),
	msg[Redirect](`redirect`, s2c, "Instead of welcome or waiting: the meeting runs on another node of the cluster. Connect to url (same origin, naming the meeting) and send the same hello again; the socket closes."),
	msg[Bye](`bye`, s2c, "Why the server closes the socket, just before it does."),
	msg[ErrorData](`error`, s2c, "A message (its seq in `ref`) or a join was refused; fatal errors close the socket."),
	msg[Pong](`pong`, s2c, "Answer to ping."),
	msg[ResumeToken](`resume_token`, s2c, "The token for resume, after entering and after each resume (it changes every time)."),
	msg[Resumed](`resumed`, s2c, "The resume succeeded; the session continues on this connection."),
}

var clientSpecs, serverSpecs = index(ClientToServer), index(ServerToClient)

func index(dir Direction) map[string]Spec {
	m := map[string]Spec{}
	for _, s := range specs {
		if s.Dir == dir {
			m[s.Type] = s
		}
	}
	return m
}

// Messages returns every message, client messages first, in a stable order.
func Messages() []Spec { return slices.Clone(specs) }

// LookupClient finds a client → server message type.
func LookupClient(typ string) (Spec, bool) {
	s, ok := clientSpecs[typ]
	return s, ok
}

// LookupServer finds a server → client message type.
func LookupServer(typ string) (Spec, bool) {
	s, ok := serverSpecs[typ]
	return s, ok
}
