package protocol

import "time"

// Objects shared by several messages.

// Participant is what other members may know about a participant.
type Participant struct {
	ID       string `json:"id" proto:"required"`
	Name     string `json:"name"`
	Verified bool   `json:"verified"` // signed in with an account
	Role     string `json:"role" proto:"enum=host|cohost|presenter|attendee|guest"`
	Audio    bool   `json:"audio"`
	Video    bool   `json:"video"`
	Screen   bool   `json:"screen"`
	// Reconnecting: the participant's connection dropped and the server
	// holds their place while they may resume.
	Reconnecting bool `json:"reconnecting"`
}

// Settings are what hosts change live. Chat false: only hosts and
// co-hosts may chat; true: ChatWriters (everyone, or presenters only) may
// too, and with PrivateChat also to one person or a group. ScreenShare
// presenters: host, co-hosts and presenters may share.
// OrgLocked: the keys of the settings above that the organisation locked.
type Settings struct {
	Locked      bool   `json:"locked"`
	Chat        bool   `json:"chat"`
	PrivateChat bool   `json:"private_chat"`
	ChatWriters string `json:"chat_writers" proto:"enum=everyone|presenters"`
	ScreenShare string `json:"screen_share" proto:"enum=presenters|everyone"`
	// OrgLocked names the settings the organisation locked in every
	// meeting: nobody, not even a host, changes them (a settings change
	// of one is refused with forbidden). Absent when none are locked.
	OrgLocked []string `json:"org_locked,omitempty" proto:"max=5,enum=screen_share|chat|private_chat|chat_writers|e2ee"`
	// Recording: hosts and co-hosts may record this meeting (the
	// organisation and the meeting allow it).
	Recording bool `json:"recording,omitempty"`
	// Transcription: hosts and co-hosts may transcribe this meeting (the
	// organisation and the meeting allow it). Always false when E2EE is
	// true: the server has no audio to transcribe.
	Transcription bool `json:"transcription,omitempty"`
	// RemoteControl: participants the organisation allows may ask a
	// sharer for control of their screen (the organisation allows it and
	// a host turned it on for this meeting).
	RemoteControl bool `json:"remote_control,omitempty"`
	// E2EE: media is end-to-end encrypted in this meeting (docs/e2ee.md);
	// every client encrypts, and one that cannot may not join.
	E2EE bool `json:"e2ee,omitempty"`
}

// MeetingInfo is the meeting in welcome.
type MeetingInfo struct {
	ID       string   `json:"id"`
	Title    string   `json:"title"`
	Settings Settings `json:"settings"`
}

// Waiter is what hosts see of someone in the waiting room.
type Waiter struct {
	ID       string    `json:"id" proto:"required"`
	Name     string    `json:"name"`
	Verified bool      `json:"verified"`
	Since    time.Time `json:"since"`
}

// ChatMessage is one chat message: to everyone (To empty), or to the
// participants in To and the sender only. Text is 1–2000 characters (the
// room checks characters; the tag bounds bytes). FromName is the sender's
// display name when sent, for history whose sender has left.
type ChatMessage struct {
	ID       string    `json:"id" proto:"required,max=64"`
	From     string    `json:"from" proto:"required"`
	FromName string    `json:"from_name"`
	To       []string  `json:"to,omitempty" proto:"max=50"`
	Text     string    `json:"text" proto:"max=8000"`
	Time     time.Time `json:"time"`
	// File is set when the message shares a file; Text is then its name.
	File *FileRef `json:"file,omitempty"`
	// Ciphertext is set, and Text empty, in an end-to-end encrypted
	// meeting: the message as the sender's browser sealed it (base64url,
	// docs/e2ee.md "Chat"); only the recipients' browsers can open it.
	Ciphertext string `json:"ciphertext,omitempty" proto:"max=21846"`
}

// FileRef is a shared file as chat shows it; download it from
// /api/meetings/{id}/files/{file id} with the file token.
type FileRef struct {
	ID   string `json:"id" proto:"required,max=64"`
	Name string `json:"name" proto:"required,max=1024"`
	Size int64  `json:"size" proto:"min=0"`
	Type string `json:"type" proto:"max=128"`
}

// TrackOwner says whose media a subscribed track carries.
type TrackOwner struct {
	ParticipantID string `json:"participant_id" proto:"required"`
	Source        string `json:"source" proto:"enum=audio|camera|screen"`
}

// ICEServer is an entry of RTCConfiguration.iceServers.
type ICEServer struct {
	URLs       []string `json:"urls" proto:"min=1"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

// SDP is a session description. Whether an offer or an answer is expected
// depends on the message; the handlers check that.
type SDP struct {
	Type string `json:"type" proto:"enum=offer|answer"`
	SDP  string `json:"sdp" proto:"required"`
}

// ICECandidate is a trickled ICE candidate, as the browser's
// RTCIceCandidate.toJSON() and Pion's webrtc.ICECandidateInit write it.
// An empty candidate marks the end of candidates.
type ICECandidate struct {
	Candidate        string  `json:"candidate"`
	SDPMid           *string `json:"sdpMid"`
	SDPMLineIndex    *uint16 `json:"sdpMLineIndex"`
	UsernameFragment *string `json:"usernameFragment"`
}
