package signal

import (
	"context"
	"errors"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/store"
)

// Recording (docs/privacy.md, "Recording"): a host starts it, the room
// asks everyone, and each answer goes into the consent ledger with its
// audit entry before it takes effect: nobody is recorded on an answer that
// is not on record.

// Recordings starts recordings (internal/recordings wired to the media by
// cmd/conclave). Nil: recording is unavailable on this server.
type Recordings interface {
	// Start registers a recording and prepares its recorder (catalog
	// row, disk check, the server's limit on concurrent recordings); an
	// error with a Refusal() string method is a refusal to show the host
	// (too many recordings, disk full), any other a fault. The
	// recorder records nothing until the room allows someone. onFault is
	// called, once, if the recorder stops by itself (a room reason such
	// as room.RecordingDiskLow).
	Start(ctx context.Context, req room.RecordingRequest, onFault func(recordingID, reason string)) (room.Recorder, room.RecordingInfo, error)
}

// ConsentLedger records consent answers with their audit entries, in one
// transaction each (*audit.Log).
type ConsentLedger interface {
	AppendConsent(ctx context.Context, c store.Consent, ev audit.Event) (store.Consent, error)
	WithdrawConsent(ctx context.Context, subject, kind, meetingID string, at time.Time, ev audit.Event) (int, error)
}

// recordingFlow is recording's part of the capture flow (capture.go).
var recordingFlow = &captureFlow{
	noun:        "recording",
	kind:        store.ConsentRecording,
	startAction: audit.RecordingStart,
	stopAction:  audit.RecordingStop,
	notTaken:    "your consent could not be recorded, so you are not recorded",
	errNone:     room.ErrNoRecording,
	wireErr:     recordingError,
	answer:      (*room.Member).RecordingConsent,
	current: func(mb *room.Member) (string, string) {
		info, answer := mb.Recording()
		if info == nil {
			return "", ""
		}
		return info.ID, answer
	},
	stop: (*room.Member).StopRecording,
}

func onRecordingStart(ctx context.Context, c *conn, d *protocol.RecordingStart) error {
	recs := c.h.opts.Recordings
	if recs == nil || c.h.opts.Consents == nil {
		return recordingFlow.unavailable()
	}
	if err := c.member.MayRecord(); err != nil {
		return recordingError(err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordingTimeout)
	defer cancel()
	meetingID, rooms := c.meetingID, c.h.opts.Rooms
	rec, info, err := recs.Start(ctx, room.RecordingRequest{MeetingID: meetingID, StartedBy: c.subject(), Purpose: d.Purpose},
		func(id, reason string) { rooms.EndRecording(meetingID, id, reason) })
	return beginCapture(c, recordingFlow, rec, info.ID, err, func() error { return c.member.StartRecording(info, rec) })
}

func onRecordingStop(_ context.Context, c *conn, d *protocol.RecordingStop) error {
	return recordingFlow.onStop(c, d.ID)
}

func onRecordingConsent(ctx context.Context, c *conn, d *protocol.RecordingConsent) error {
	return recordingFlow.onConsent(ctx, c, d.ID, d.Consent)
}

func recordingError(err error) error {
	switch {
	case errors.Is(err, room.ErrForbidden):
		return protoErr(protocol.CodeForbidden, "only hosts and co-hosts may record")
	case errors.Is(err, room.ErrRecordingE2EE):
		return protoErr(protocol.CodeForbidden, "this meeting is end-to-end encrypted: the server cannot record it")
	case errors.Is(err, room.ErrRecordingOff):
		return protoErr(protocol.CodeForbidden, "recording is not allowed in this meeting")
	case errors.Is(err, room.ErrRecordingActive):
		return protoErr(protocol.CodeForbidden, "a recording is already running")
	case errors.Is(err, room.ErrNoRecording):
		return protoErr(protocol.CodeNotFound, "that recording is not running")
	}
	return roomError(err)
}
