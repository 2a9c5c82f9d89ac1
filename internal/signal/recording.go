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

const recordingTimeout = 10 * time.Second

func onRecordingStart(ctx context.Context, c *conn, d *protocol.RecordingStart) error {
	recs := c.h.opts.Recordings
	if recs == nil || c.h.opts.Consents == nil {
		return protoErr(protocol.CodeForbidden, "recording is not available on this server")
	}
	if err := c.member.MayRecord(); err != nil {
		return recordingError(err)
	}
	by := c.subject()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordingTimeout)
	defer cancel()
	meetingID, rooms := c.meetingID, c.h.opts.Rooms
	rec, info, err := recs.Start(ctx, room.RecordingRequest{MeetingID: meetingID, StartedBy: by, Purpose: d.Purpose},
		func(id, reason string) { rooms.EndRecording(meetingID, id, reason) })
	var refused interface{ Refusal() string }
	switch {
	case errors.As(err, &refused):
		return protoErr(protocol.CodeForbidden, "%s", refused.Refusal())
	case err != nil:
		c.log.Error("start recording", "err", err)
		return &ProtocolError{Code: protocol.CodeInternal, Message: "the recording could not be started"}
	}
	if err := c.member.StartRecording(info, rec); err != nil {
		rec.Stop(room.RecordingFailed)
		return recordingError(err)
	}
	c.auditAct(audit.RecordingStart, "", map[string]string{"recording": info.ID})
	return nil
}

func onRecordingStop(_ context.Context, c *conn, d *protocol.RecordingStop) error {
	if err := c.member.StopRecording(d.ID); err != nil {
		return recordingError(err)
	}
	c.auditAct(audit.RecordingStop, "", map[string]string{"recording": d.ID, "reason": room.RecordingStopped})
	return nil
}

// onRecordingConsent records an answer. Consent is written to the ledger
// before the room lets the recorder take the participant's media; a
// refusal or withdrawal takes effect in the room first, at once, and is
// then written.
func onRecordingConsent(ctx context.Context, c *conn, d *protocol.RecordingConsent) error {
	if c.h.opts.Consents == nil {
		return protoErr(protocol.CodeForbidden, "recording is not available on this server")
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordingTimeout)
	defer cancel()
	if !d.Consent {
		subject, changed, err := c.member.RecordingConsent(d.ID, false)
		if err != nil {
			return recordingError(err)
		}
		if changed {
			c.ledgerDecline(ctx, subject, d.ID)
		}
		return nil
	}
	info, answer := c.member.Recording()
	if info == nil || info.ID != d.ID {
		return recordingError(room.ErrNoRecording)
	}
	if answer == room.ConsentGiven {
		return nil
	}
	subject := c.subject()
	ev := c.fillEvent(audit.Event{Action: audit.ConsentGiven, Meeting: c.meetingID, Target: c.member.ID(), Outcome: audit.Success,
		Details: map[string]string{"kind": store.ConsentRecording, "recording": d.ID}})
	if _, err := c.h.opts.Consents.AppendConsent(ctx, store.Consent{SubjectID: subject, Kind: store.ConsentRecording,
		MeetingID: c.meetingID, GivenAt: time.Now().UTC()}, ev); err != nil {
		c.log.Error("record recording consent", "err", err)
		return &ProtocolError{Code: protocol.CodeInternal, Message: "your consent could not be recorded, so you are not recorded"}
	}
	if _, _, err := c.member.RecordingConsent(d.ID, true); err != nil {
		// The recording ended meanwhile: the consent on record covers
		// nothing more, and is withdrawn again.
		c.ledgerDecline(ctx, subject, d.ID)
		return recordingError(err)
	}
	return nil
}

// ledgerDecline puts a refusal into the ledger: a withdrawal of the
// participant's standing recording consent in this meeting, or, when none
// stood (a decline), a consent withdrawn the moment it was given; each
// with its audit entry. The room already acts on it: a failure to write
// is logged, and the participant stays unrecorded.
func (c *conn) ledgerDecline(ctx context.Context, subject, recording string) {
	now := time.Now().UTC()
	ev := c.fillEvent(audit.Event{Action: audit.ConsentWithdrawn, Meeting: c.meetingID, Target: c.member.ID(), Outcome: audit.Success,
		Details: map[string]string{"kind": store.ConsentRecording, "recording": recording}})
	n, err := c.h.opts.Consents.WithdrawConsent(ctx, subject, store.ConsentRecording, c.meetingID, now, ev)
	if err == nil && n == 0 {
		ev.Action = audit.ConsentDeclined
		_, err = c.h.opts.Consents.AppendConsent(ctx, store.Consent{SubjectID: subject, Kind: store.ConsentRecording,
			MeetingID: c.meetingID, GivenAt: now, WithdrawnAt: now}, ev)
	}
	if err != nil {
		c.log.Error("record recording refusal", "err", err)
	}
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
