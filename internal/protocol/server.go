package protocol

import "time"

// Server → client payloads. Their tags say what a client may rely on:
// the generated TypeScript refuses a message that breaks them.

// Welcome admits the participant: their ID and role, the meeting, the
// others already present and the ICE servers to use.
type Welcome struct {
	Version       int           `json:"version"`
	ParticipantID string        `json:"participant_id" proto:"required"`
	Role          string        `json:"role" proto:"enum=host|cohost|presenter|attendee|guest"`
	Meeting       MeetingInfo   `json:"meeting"`
	Participants  []Participant `json:"participants"`
	ICEServers    []ICEServer   `json:"ice_servers"`
	// FileToken is the participant's capability for the meeting's file
	// routes (docs/api.md, "Files"), sent as a bearer token; it works
	// only while they are in the meeting. Empty: no file sharing here.
	FileToken string `json:"file_token,omitempty" proto:"max=128"`
}

// Waiting tells someone in the waiting room why they wait.
type Waiting struct {
	Reason string `json:"reason" proto:"enum=waiting_room|host_absent"`
	Locked bool   `json:"locked"`
}

// Lobby is the waiting room's queue, for hosts and co-hosts.
type Lobby struct {
	Waiting []Waiter `json:"waiting"`
}

// ICEServers replaces the ICE servers for the next gathering (fresh TURN
// credentials before the old ones expire).
type ICEServers struct {
	ICEServers []ICEServer `json:"ice_servers" proto:"min=1"`
}

// PublishAnswer answers the client's publish offer.
type PublishAnswer struct {
	SDP SDP `json:"sdp"`
}

// SubscribeOffer offers the subscribe peer connection; Tracks maps every
// mid that carries media to its owner and source.
type SubscribeOffer struct {
	SDP    SDP                   `json:"sdp"`
	Tracks map[string]TrackOwner `json:"tracks"`
}

// ParticipantJoined announces a participant.
type ParticipantJoined struct {
	Participant Participant `json:"participant"`
}

// ParticipantUpdated gives a participant's new state.
type ParticipantUpdated struct {
	Participant Participant `json:"participant"`
}

// ParticipantLeft says a participant is gone.
type ParticipantLeft struct {
	ParticipantID string `json:"participant_id" proto:"required"`
}

// ActiveSpeaker names who speaks; empty: nobody.
type ActiveSpeaker struct {
	ParticipantID string `json:"participant_id"`
}

// MeetingUpdated gives the meeting's settings after a change.
type MeetingUpdated struct {
	Settings Settings `json:"settings"`
}

// Muted says a host stopped one of the participant's sources.
type Muted struct {
	Source string `json:"source" proto:"enum=audio|camera|screen"`
	By     string `json:"by"`
}

// UnmuteRequest passes on a host's request to turn a source on.
type UnmuteRequest struct {
	Source string `json:"source" proto:"enum=audio|camera"`
	By     string `json:"by"`
}

// Bye says why the server closes the connection.
type Bye struct {
	Reason string `json:"reason" proto:"enum=left|server_shutdown|meeting_ended|denied|removed|banned|account_disabled|rate_limited|protocol_error|replaced|timed_out|moved"`
}

// Redirect sends a hello elsewhere: the meeting runs on another node of
// the cluster. URL is the signalling address to connect to and send the
// same hello again; it names the meeting (?meeting=), so that whichever
// node the address reaches passes the socket to the meeting's node. It is
// always on the origin the client connected to.
type Redirect struct {
	URL string `json:"url" proto:"required,max=2048"`
}

// ErrorData refuses a message (Ref: its seq) or a join. NoticeVersion
// comes with notice_required, RetryAfter (seconds) with too_many_attempts.
type ErrorData struct {
	Code          string `json:"code" proto:"enum=bad_json|unknown_type|bad_request|out_of_order|unsupported_version|join_refused|meeting_full|rate_limited|internal|meeting_locked|banned|meeting_expired|too_many_attempts|forbidden|not_found|notice_required|sign_in_required|resume_failed"`
	Message       string `json:"message"`
	Ref           int64  `json:"ref,omitempty"`
	NoticeVersion int    `json:"notice_version,omitempty"`
	RetryAfter    int    `json:"retry_after,omitempty" proto:"min=0"`
}

// Pong answers ping.
type Pong struct{}

// ResumeToken is the secret that resumes this session if the connection
// drops, valid for GraceSeconds after the drop. Sent after entering and
// after each resume: every resume spends the token and gets a new one.
type ResumeToken struct {
	Token        string `json:"token" proto:"required,max=128"`
	GraceSeconds int    `json:"grace_seconds" proto:"min=1"`
}

// Resumed accepts a resume. LastSeq is the highest client seq the server
// processed.
type Resumed struct {
	LastSeq int64 `json:"last_seq" proto:"min=0"`
}

// ChatDeleted says a host deleted a chat message for everyone.
type ChatDeleted struct {
	ID string `json:"id" proto:"required,max=64"`
	By string `json:"by"`
}

// GuestProof is a guest's one-time proof that ParticipantID was theirs
// (docs/privacy.md, "Guests"): sent to guests (no account) only, once
// they enter (the waiting room or the meeting), over their own connection. With it the guest can later ask for
// access to or erasure of their data without an account, until Expires.
// Clients keep it in memory only and show it when the call ends.
type GuestProof struct {
	ParticipantID string    `json:"participant_id" proto:"required"`
	Token         string    `json:"token" proto:"required,max=128"`
	Expires       time.Time `json:"expires"`
}

// ChatHistory is the earlier messages to everyone of this meeting, sent
// after welcome to people who join late where the meeting's policy allows
// it (chat_history; off by default).
type ChatHistory struct {
	Messages []ChatMessage `json:"messages"`
}

// RecordingState tells a participant that a recording runs (Active) and
// what they answered to it, or that it ended and why.
type RecordingState struct {
	Active bool   `json:"active"`
	ID     string `json:"id,omitempty" proto:"max=64"`
	// By and ByName are who started it.
	By     string `json:"by,omitempty" proto:"max=64"`
	ByName string `json:"by_name,omitempty" proto:"max=200"`
	// Purpose, Access (who may see it) and RetentionDays (how long it is
	// kept) are what a participant is told before answering.
	Purpose       string     `json:"purpose,omitempty" proto:"max=500"`
	Access        string     `json:"access,omitempty" proto:"max=500"`
	RetentionDays int        `json:"retention_days,omitempty" proto:"min=0"`
	StartedAt     *time.Time `json:"started_at,omitempty"`
	// Consent is this participant's answer: pending (not recorded until
	// they answer), given or declined.
	Consent string `json:"consent,omitempty" proto:"enum=|pending|given|declined"`
	// Ended says why the recording stopped (when not Active).
	Ended string `json:"ended,omitempty" proto:"enum=|stopped|meeting_ended|disk_low|failed|server_shutdown"`
}

// TranscriptionState tells a participant that a transcription runs
// (Active) and what they answered to it, or that it ended and why.
type TranscriptionState struct {
	Active bool   `json:"active"`
	ID     string `json:"id,omitempty" proto:"max=64"`
	// By and ByName are who started it.
	By     string `json:"by,omitempty" proto:"max=64"`
	ByName string `json:"by_name,omitempty" proto:"max=200"`
	// Purpose, Access (who may see the transcript), RetentionDays (how
	// long it is kept) and Engine (where the audio goes) are what a
	// participant is told before answering.
	Purpose       string     `json:"purpose,omitempty" proto:"max=500"`
	Access        string     `json:"access,omitempty" proto:"max=500"`
	RetentionDays int        `json:"retention_days,omitempty" proto:"min=0"`
	Engine        string     `json:"engine,omitempty" proto:"max=200"`
	StartedAt     *time.Time `json:"started_at,omitempty"`
	// Consent is this participant's answer: pending (not transcribed
	// until they answer), given or declined.
	Consent string `json:"consent,omitempty" proto:"enum=|pending|given|declined"`
	// Ended says why the transcription stopped (when not Active).
	Ended string `json:"ended,omitempty" proto:"enum=|stopped|meeting_ended|failed|server_shutdown"`
}

// Caption is a live caption: what Participant (named Name) said. A
// caption that is not Final is replaced by the next one with the same
// Participant and Utterance, and by the final one. StartMS and EndMS are
// milliseconds since the transcription started.
type Caption struct {
	Transcription string `json:"transcription" proto:"required,max=64"`
	Participant   string `json:"participant" proto:"required,max=64"`
	Name          string `json:"name" proto:"max=200"`
	Utterance     int    `json:"utterance" proto:"min=0"`
	Final         bool   `json:"final"`
	StartMS       int64  `json:"start_ms" proto:"min=0"`
	EndMS         int64  `json:"end_ms" proto:"min=0"`
	Text          string `json:"text" proto:"max=5000"`
}

// E2EEPubKeyOf is a participant's end-to-end encryption public key, as
// its owner published it (a new one replaces the old: clients flag the
// change).
type E2EEPubKeyOf struct {
	Participant string `json:"participant" proto:"required,max=64"`
	SPKI        string `json:"spki" proto:"required,max=256"`
}

// E2EEKeyFrom is a media key wrapped for the receiver by From.
type E2EEKeyFrom struct {
	From    string `json:"from" proto:"required,max=64"`
	Wrapped string `json:"wrapped" proto:"required,max=512"`
}
