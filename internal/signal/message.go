// Package signal implements Conclave's websocket signalling protocol
// (docs/protocol.md): one connection per participant, JSON messages, each
// type handled by a small function from a table.
package signal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/pion/webrtc/v4"
)

// Version is the protocol version this server speaks.
const Version = 1

// MaxMessageSize is the largest frame accepted from a client.
const MaxMessageSize = 64 << 10

// Envelope is one protocol message.
type Envelope struct {
	Type string          `json:"type"`
	Seq  int64           `json:"seq,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Error codes (docs/protocol.md).
const (
	CodeBadJSON            = "bad_json"
	CodeUnknownType        = "unknown_type"
	CodeBadRequest         = "bad_request"
	CodeOutOfOrder         = "out_of_order"
	CodeUnsupportedVersion = "unsupported_version"
	CodeJoinRefused        = "join_refused"
	CodeMeetingFull        = "meeting_full"
	CodeRateLimited        = "rate_limited"
	CodeInternal           = "internal"
	CodeMeetingLocked      = "meeting_locked"
	CodeBanned             = "banned"
	CodeMeetingExpired     = "meeting_expired"
	CodeTooManyAttempts    = "too_many_attempts"
	CodeForbidden          = "forbidden"
	CodeNotFound           = "not_found"
	CodeNoticeRequired     = "notice_required"
	// CodeSignInRequired: the meeting admits only signed-in participants.
	CodeSignInRequired = "sign_in_required"
	// CodeResumeFailed: the resume token is unknown, spent, expired or
	// another account's, or the events missed are no longer kept.
	CodeResumeFailed = "resume_failed"
)

// ByeReplaced closes a link whose session was resumed on another one.
const ByeReplaced = "replaced"

// ProtocolError is an error reported to the client as an `error` message.
type ProtocolError struct {
	Code    string
	Message string
	// Fatal closes the connection after the error is sent.
	Fatal bool
	// NoticeVersion is the privacy notice version to accept (notice_required).
	NoticeVersion int
	// RetryAfter is the wait in seconds (too_many_attempts).
	RetryAfter int
}

func (e *ProtocolError) Error() string { return e.Code + ": " + e.Message }

func protoErr(code, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Parse decodes one frame into an envelope. It checks the envelope only;
// payloads are decoded by their handlers with decodeData.
func Parse(frame []byte) (Envelope, error) {
	var env Envelope
	if !utf8.Valid(frame) {
		return env, protoErr(CodeBadJSON, "frame is not UTF-8")
	}
	trimmed := bytes.TrimSpace(frame)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return env, protoErr(CodeBadJSON, "frame is not a JSON object")
	}
	if err := json.Unmarshal(trimmed, &env); err != nil {
		return Envelope{}, protoErr(CodeBadJSON, "invalid JSON: %v", jsonReason(err))
	}
	if env.Type == "" {
		return env, protoErr(CodeBadJSON, "message has no type")
	}
	if len(env.Data) > 0 && !bytes.Equal(env.Data, []byte("null")) && env.Data[0] != '{' {
		return env, protoErr(CodeBadRequest, "data must be an object")
	}
	return env, nil
}

// jsonReason hides offsets and Go type names from clients.
func jsonReason(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return "syntax error"
	case errors.As(err, &typ):
		return "field " + typ.Field + " has the wrong type"
	}
	return "cannot decode"
}

// decodeData decodes a payload into v, refusing wrong shapes.
func decodeData(data json.RawMessage, v any) error {
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		data = []byte("{}")
	}
	if err := json.Unmarshal(data, v); err != nil {
		return protoErr(CodeBadRequest, "invalid data: %s", jsonReason(err))
	}
	return nil
}

// Client → server payloads.

type helloData struct {
	Version   int    `json:"version"`
	MeetingID string `json:"meeting_id"`
	Passcode  string `json:"passcode"`
	Name      string `json:"name"`
	Device    string `json:"device"`
	// NoticeVersion is the privacy notice version the person accepted.
	NoticeVersion int `json:"notice_version"`
}

type sdpData struct {
	Type string `json:"type"`
	SDP  string `json:"sdp"`
}

func (s sdpData) description(want webrtc.SDPType) (webrtc.SessionDescription, error) {
	if webrtc.NewSDPType(s.Type) != want {
		return webrtc.SessionDescription{}, protoErr(CodeBadRequest, "sdp.type must be %q", want.String())
	}
	if s.SDP == "" {
		return webrtc.SessionDescription{}, protoErr(CodeBadRequest, "sdp.sdp is empty")
	}
	return webrtc.SessionDescription{Type: want, SDP: s.SDP}, nil
}

type publishData struct {
	SDP    sdpData               `json:"sdp"`
	Tracks map[string]sfu.Source `json:"tracks"`
}

type answerData struct {
	SDP sdpData `json:"sdp"`
}

type iceData struct {
	PC        string                   `json:"pc"`
	Candidate *webrtc.ICECandidateInit `json:"candidate"`
}

type mediaStateData struct {
	Audio  bool `json:"audio"`
	Video  bool `json:"video"`
	Screen bool `json:"screen"`
}

type videoSizeData struct {
	ParticipantID string     `json:"participant_id"`
	Source        sfu.Source `json:"source"`
	Width         int        `json:"width"`
	Height        int        `json:"height"`
}

// Server → client payloads.

type welcomeData struct {
	Version       int                `json:"version"`
	ParticipantID string             `json:"participant_id"`
	Role          authz.Role         `json:"role"`
	Meeting       meetingView        `json:"meeting"`
	Participants  []room.Participant `json:"participants"`
	ICEServers    []ICEServer        `json:"ice_servers"`
}

type meetingView struct {
	ID       string        `json:"id"`
	Title    string        `json:"title"`
	Settings room.Settings `json:"settings"`
}

type waitingData struct {
	Reason string `json:"reason"`
	Locked bool   `json:"locked"`
}

type sourceByData struct {
	Source sfu.Source `json:"source"`
	By     string     `json:"by"`
}

// ICEServer is an entry of RTCConfiguration.iceServers.
type ICEServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

type errorData struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Ref     int64  `json:"ref,omitempty"`
	// NoticeVersion is set with notice_required: the version to show.
	NoticeVersion int `json:"notice_version,omitempty"`
	RetryAfter    int `json:"retry_after,omitempty"`
}

type subscribeOfferData struct {
	SDP    sdpData                  `json:"sdp"`
	Tracks map[string]sfu.TrackInfo `json:"tracks"`
}

// cleanName validates a display name: 1–64 characters after trimming, no
// control or format characters (which could spoof other names).
func cleanName(s string) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n == 0 || n > 64 {
		return "", protoErr(CodeBadRequest, "name must be 1 to 64 characters")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", protoErr(CodeBadRequest, "name contains control characters")
		}
	}
	return s, nil
}
