package protocol

// Client → server payloads. Checks whose refusal has its own code or
// wording (the version's unsupported_version, the name's 64 characters,
// the device token's alphabet, chat's 2000 characters) stay with the
// handlers; the tags only bound what those checks see, generously.

// Hello is the first message: who joins which meeting. A meeting ID or
// passcode over 64 bytes cannot be right and is refused as bad_request
// before the join limit counts it.
type Hello struct {
	Version   int    `json:"version"`
	MeetingID string `json:"meeting_id" proto:"max=64"`
	Passcode  string `json:"passcode" proto:"max=64"`
	// Name is 1–64 characters after trimming (the handler checks); empty
	// for a signed-in participant takes the account's name.
	Name string `json:"name" proto:"max=256"`
	// Device is the browser's device token: empty, or 22–64 characters
	// A-Z a-z 0-9 _ - (the handler checks).
	Device string `json:"device"`
	// NoticeVersion is the privacy notice version the person accepted.
	NoticeVersion int `json:"notice_version"`
}

// Resume takes over a session whose connection dropped, instead of hello.
type Resume struct {
	Version int    `json:"version" proto:"min=1"`
	Token   string `json:"token" proto:"required,max=128"`
	// LastSeq is the highest server seq the client received.
	LastSeq int64 `json:"last_seq" proto:"min=0"`
}

// Publish offers the publish peer connection; Tracks maps each
// transceiver mid to its source.
type Publish struct {
	SDP    SDP               `json:"sdp"`
	Tracks map[string]string `json:"tracks" proto:"min=1,max=3,keymax=16,enum=audio|camera|screen"`
}

// SubscribeAnswer answers the server's subscribe_offer.
type SubscribeAnswer struct {
	SDP SDP `json:"sdp"`
}

// ICE trickles a candidate of one of the two peer connections; a null or
// absent candidate (or an empty candidate string) marks the end.
type ICE struct {
	PC        string        `json:"pc" proto:"enum=publish|subscribe"`
	Candidate *ICECandidate `json:"candidate"`
}

// ICERestart asks for a subscribe_offer with fresh ICE credentials.
type ICERestart struct{}

// MediaState is what the participant sends now.
type MediaState struct {
	Audio  bool `json:"audio"`
	Video  bool `json:"video"`
	Screen bool `json:"screen"`
}

// VideoSize is the size of the tile showing a video, in device pixels;
// 0×0: not visible.
type VideoSize struct {
	ParticipantID string `json:"participant_id"`
	Source        string `json:"source" proto:"enum=camera|screen"`
	Width         int    `json:"width" proto:"min=0,max=16384"`
	Height        int    `json:"height" proto:"min=0,max=16384"`
}

// Ping asks for a pong.
type Ping struct{}

// Leave ends the participant's presence.
type Leave struct{}

// Chat sends a message to everyone (To empty), privately to one
// participant or to a group (To lists participant IDs). Text must be 1 to
// 2000 characters (the room checks); recipients must be admitted
// participants of the meeting (the room checks). In an end-to-end
// encrypted meeting the client sends Ciphertext instead (docs/e2ee.md,
// "Chat"): the message sealed in the browser, base64url, at most
// MaxChatCiphertext bytes once decoded; the server checks its size only.
// Exactly one of Text and Ciphertext is set (the handler checks).
type Chat struct {
	Text       string   `json:"text" proto:"max=8000"`
	To         []string `json:"to" proto:"max=50"`
	Ciphertext string   `json:"ciphertext,omitempty" proto:"max=21846"`
}

// ChatDelete deletes a chat message for everyone (hosts and co-hosts).
type ChatDelete struct {
	ID string `json:"id" proto:"required,max=64"`
}

// Admit lets one waiting person in, or everyone (All). One of the two is
// needed (the handler checks).
type Admit struct {
	ParticipantID string `json:"participant_id"`
	All           bool   `json:"all"`
}

// Deny refuses one waiting person, or everyone (All).
type Deny struct {
	ParticipantID string `json:"participant_id"`
	All           bool   `json:"all"`
}

// Lock locks or unlocks the meeting.
type Lock struct {
	Locked *bool `json:"locked" proto:"required"`
}

// SettingsChange changes live settings; at least one is needed (the
// handler checks). Null or empty fields stay unchanged.
type SettingsChange struct {
	Chat        *bool  `json:"chat"`
	PrivateChat *bool  `json:"private_chat"`
	ChatWriters string `json:"chat_writers" proto:"enum=|everyone|presenters"`
	ScreenShare string `json:"screen_share" proto:"enum=|presenters|everyone"`
	// RemoteControl turns remote control on or off for this meeting,
	// where the organisation allows it.
	RemoteControl *bool `json:"remote_control"`
}

// EndMeeting ends the meeting for everyone.
type EndMeeting struct{}

// Remove removes a participant (or waiting person), with Ban for good.
type Remove struct {
	ParticipantID string `json:"participant_id"`
	Ban           bool   `json:"ban"`
}

// Mute stops one of a participant's sources.
type Mute struct {
	ParticipantID string `json:"participant_id"`
	Source        string `json:"source" proto:"enum=audio|camera|screen"`
}

// AskUnmute asks a participant to turn a source on again.
type AskUnmute struct {
	ParticipantID string `json:"participant_id"`
	Source        string `json:"source" proto:"enum=audio|camera"`
}

// SetRole gives a participant a role; attendee means no extra role.
type SetRole struct {
	ParticipantID string `json:"participant_id"`
	Role          string `json:"role" proto:"enum=cohost|presenter|attendee"`
}

// RecordingStart starts recording the meeting, for the purpose given
// (shown to everyone before they answer).
type RecordingStart struct {
	Purpose string `json:"purpose" proto:"required,max=500"`
}

// RecordingStop stops the running recording ID.
type RecordingStop struct {
	ID string `json:"id" proto:"required,max=64"`
}

// RecordingConsent answers the consent request of recording ID, or
// changes the answer: Consent false after true is a withdrawal, which
// takes effect at once.
type RecordingConsent struct {
	ID      string `json:"id" proto:"required,max=64"`
	Consent bool   `json:"consent"`
}

// TranscriptionStart starts transcribing the meeting with the local speech
// engine, for the purpose given (shown to everyone before they answer).
type TranscriptionStart struct {
	Purpose string `json:"purpose" proto:"required,max=500"`
}

// TranscriptionStop stops the running transcription ID.
type TranscriptionStop struct {
	ID string `json:"id" proto:"required,max=64"`
}

// TranscriptionConsent answers the consent request of transcription ID,
// or changes the answer: Consent false after true is a withdrawal, which
// takes effect at once.
type TranscriptionConsent struct {
	ID      string `json:"id" proto:"required,max=64"`
	Consent bool   `json:"consent"`
}

// Captions turns live captions on or off for the sender.
type Captions struct {
	On bool `json:"on"`
}

// E2EEPubKey publishes the sender's end-to-end encryption public key for
// this stay (docs/e2ee.md): a P-256 SPKI, base64url. The server relays it
// to everyone in the meeting, stamped with the sender's participant ID,
// and never stores or logs it.
type E2EEPubKey struct {
	SPKI string `json:"spki" proto:"required,max=256"`
}

// E2EEKey hands one participant (To) the sender's media key, wrapped for
// that participant alone (docs/e2ee.md): the server cannot open it.
type E2EEKey struct {
	To      string `json:"to" proto:"required,max=64"`
	Wrapped string `json:"wrapped" proto:"required,max=512"`
}
