// Package signal implements Conclave's websocket signalling protocol
// (docs/protocol.md): one connection per participant, JSON messages, each
// type handled by a small function from a table. The wire types, their
// limits and their validation are package protocol's; this package gives
// them meaning.
package signal

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/protocol"
)

// Version is the protocol version this server speaks.
const Version = protocol.Version

// MaxMessageSize is the largest frame accepted from a client.
const MaxMessageSize = protocol.MaxMessageSize

// ProtocolError is an error reported to the client as an `error` message.
type ProtocolError struct {
	Code    string // a protocol.Code*
	Message string
	// Fatal closes the connection after the error is sent.
	Fatal bool
	// NoticeVersion is the privacy notice version to accept (notice_required).
	NoticeVersion int
	// RetryAfter is the wait in seconds (too_many_attempts).
	RetryAfter int
}

func (e *ProtocolError) Error() string { return e.Code + ": " + e.Message }

func (e *ProtocolError) data(ref int64) protocol.ErrorData {
	return protocol.ErrorData{Code: e.Code, Message: e.Message, Ref: ref, NoticeVersion: e.NoticeVersion, RetryAfter: e.RetryAfter}
}

func protoErr(code, format string, args ...any) *ProtocolError {
	return &ProtocolError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// fromWire turns package protocol's refusals (parse and validation) into
// errors for the client; anything else passes unchanged.
func fromWire(err error) error {
	var we *protocol.Error
	if errors.As(err, &we) {
		return &ProtocolError{Code: we.Code, Message: we.Message}
	}
	return err
}

// description checks an SDP payload's type and returns it for Pion.
func description(s protocol.SDP, want webrtc.SDPType) (webrtc.SessionDescription, error) {
	if webrtc.NewSDPType(s.Type) != want {
		return webrtc.SessionDescription{}, protoErr(protocol.CodeBadRequest, "sdp.type must be %q", want.String())
	}
	return webrtc.SessionDescription{Type: want, SDP: s.SDP}, nil
}

// cleanName validates a display name: 1–64 characters after trimming, no
// control or format characters (which could spoof other names).
func cleanName(s string) (string, error) {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	if n == 0 || n > 64 {
		return "", protoErr(protocol.CodeBadRequest, "name must be 1 to 64 characters")
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", protoErr(protocol.CodeBadRequest, "name contains control characters")
		}
	}
	return s, nil
}
