package protocol

import (
	"fmt"
	"slices"
)

// Error codes, sent in an error message's code (docs/protocol.md, "Limits
// and errors").
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
	// CodeResumeFailed: the session cannot be resumed (unknown, spent or
	// expired token, or the missed messages are no longer kept); the
	// client joins afresh with hello.
	CodeResumeFailed = "resume_failed"
)

// errorCodes lists every code; ErrorData.Code's enum tag must match it
// (a test checks).
var errorCodes = []string{
	CodeBadJSON, CodeUnknownType, CodeBadRequest, CodeOutOfOrder, CodeUnsupportedVersion,
	CodeJoinRefused, CodeMeetingFull, CodeRateLimited, CodeInternal, CodeMeetingLocked,
	CodeBanned, CodeMeetingExpired, CodeTooManyAttempts, CodeForbidden, CodeNotFound,
	CodeNoticeRequired, CodeSignInRequired, CodeResumeFailed,
}

// Bye reasons, sent in bye before the server closes the socket.
const (
	ByeLeft           = "left"
	ByeServerShutdown = "server_shutdown"
	ByeMeetingEnded   = "meeting_ended"
	ByeDenied         = "denied"  // a host refused entry from the waiting room
	ByeRemoved        = "removed" // a host removed the participant
	ByeBanned         = "banned"  // removed, and may not return
	// ByeAccountDisabled: an administrator disabled the account.
	ByeAccountDisabled = "account_disabled"
	ByeRateLimited     = "rate_limited"
	ByeProtocolError   = "protocol_error"
	// ByeReplaced: the session was resumed on another connection.
	ByeReplaced = "replaced"
	// ByeTimedOut: a time limit of the connection ran out.
	ByeTimedOut = "timed_out"
	// ByeMoved: the meeting's node lost its lease (a cluster took the
	// meeting elsewhere): join again, on the same address, and the meeting's
	// new node takes the participant in.
	ByeMoved = "moved"
)

// byeReasons lists every reason; Bye.Reason's enum tag must match it.
var byeReasons = []string{
	ByeLeft, ByeServerShutdown, ByeMeetingEnded, ByeDenied, ByeRemoved, ByeBanned,
	ByeAccountDisabled, ByeRateLimited, ByeProtocolError, ByeReplaced, ByeTimedOut, ByeMoved,
}

// ErrorCodes returns every error code, in a stable order.
func ErrorCodes() []string { return slices.Clone(errorCodes) }

// ByeReasons returns every bye reason, in a stable order.
func ByeReasons() []string { return slices.Clone(byeReasons) }

// Error is a refusal to report to the client as an error message: Code is
// one of the Code constants, Message is for people.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
