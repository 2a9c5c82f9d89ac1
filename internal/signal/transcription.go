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

// Transcription (docs/transcripts.md) follows recording: a host starts
// it, the room asks everyone, and each consent goes into the ledger with
// its audit entry before the transcriber may take the participant's
// audio; a refusal or withdrawal takes effect in the room first, at once.

// TranscriptionHooks are how a running transcription reaches the room.
type TranscriptionHooks struct {
	// Caption hands on recognised speech (room.Manager.Caption); called
	// concurrently, it must not block for long.
	Caption func(transcriptionID string, c room.Caption)
	// Fault ends the transcription when it stops by itself
	// (room.RecordingFailed).
	Fault func(transcriptionID, reason string)
	// Name is a speaker's current display name (room.Manager.SpeakerName),
	// stored with their lines of the transcript; "" when unknown.
	Name func(transcriptionID, participantID string) string
}

// Transcriptions starts transcriptions (the speech engine wired to the
// media by cmd/conclave). Nil: transcription is unavailable.
type Transcriptions interface {
	// Start prepares a transcriber for the meeting; it transcribes nobody
	// until the room allows someone. An error with a Refusal() string
	// method is a refusal to show the host, any other a fault.
	Start(ctx context.Context, req room.TranscriptionRequest, hooks TranscriptionHooks) (room.Transcriber, room.TranscriptionInfo, error)
}

func onTranscriptionStart(ctx context.Context, c *conn, d *protocol.TranscriptionStart) error {
	trs := c.h.opts.Transcriptions
	if trs == nil || c.h.opts.Consents == nil {
		return protoErr(protocol.CodeForbidden, "transcription is not available on this server")
	}
	if err := c.member.MayTranscribe(); err != nil {
		return transcriptionError(err)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordingTimeout)
	defer cancel()
	meetingID, rooms := c.meetingID, c.h.opts.Rooms
	tr, info, err := trs.Start(ctx, room.TranscriptionRequest{MeetingID: meetingID, StartedBy: c.subject(), Purpose: d.Purpose},
		TranscriptionHooks{
			Caption: func(id string, cap room.Caption) { rooms.Caption(meetingID, id, cap) },
			Fault:   func(id, reason string) { rooms.EndTranscription(meetingID, id, reason) },
			Name:    func(id, pid string) string { return rooms.SpeakerName(meetingID, id, pid) },
		})
	var refused interface{ Refusal() string }
	switch {
	case errors.As(err, &refused):
		return protoErr(protocol.CodeForbidden, "%s", refused.Refusal())
	case err != nil:
		c.log.Error("start transcription", "err", err)
		return &ProtocolError{Code: protocol.CodeInternal, Message: "the transcription could not be started"}
	}
	if err := c.member.StartTranscription(info, tr); err != nil {
		tr.Stop(room.RecordingFailed)
		return transcriptionError(err)
	}
	c.auditAct(audit.TranscriptionStart, "", map[string]string{"transcription": info.ID})
	return nil
}

func onTranscriptionStop(_ context.Context, c *conn, d *protocol.TranscriptionStop) error {
	if err := c.member.StopTranscription(d.ID); err != nil {
		return transcriptionError(err)
	}
	c.auditAct(audit.TranscriptionStop, "", map[string]string{"transcription": d.ID, "reason": room.RecordingStopped})
	return nil
}

// onTranscriptionConsent records an answer: consent is written to the
// ledger before the room lets the transcriber take the participant's
// audio; a refusal or withdrawal takes effect in the room first, at once,
// and is then written.
func onTranscriptionConsent(ctx context.Context, c *conn, d *protocol.TranscriptionConsent) error {
	if c.h.opts.Consents == nil {
		return protoErr(protocol.CodeForbidden, "transcription is not available on this server")
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordingTimeout)
	defer cancel()
	if !d.Consent {
		subject, changed, err := c.member.TranscriptionConsent(d.ID, false)
		if err != nil {
			return transcriptionError(err)
		}
		if changed {
			c.ledgerRefusal(ctx, subject, store.ConsentTranscription, "transcription", d.ID)
		}
		return nil
	}
	info, answer := c.member.Transcription()
	if info == nil || info.ID != d.ID {
		return transcriptionError(room.ErrNoTranscription)
	}
	if answer == room.ConsentGiven {
		return nil
	}
	subject := c.subject()
	ev := c.fillEvent(audit.Event{Action: audit.ConsentGiven, Meeting: c.meetingID, Target: c.member.ID(), Outcome: audit.Success,
		Details: map[string]string{"kind": store.ConsentTranscription, "transcription": d.ID}})
	if _, err := c.h.opts.Consents.AppendConsent(ctx, store.Consent{SubjectID: subject, Kind: store.ConsentTranscription,
		MeetingID: c.meetingID, GivenAt: time.Now().UTC()}, ev); err != nil {
		c.log.Error("record transcription consent", "err", err)
		return &ProtocolError{Code: protocol.CodeInternal, Message: "your consent could not be recorded, so you are not transcribed"}
	}
	if _, _, err := c.member.TranscriptionConsent(d.ID, true); err != nil {
		c.ledgerRefusal(ctx, subject, store.ConsentTranscription, "transcription", d.ID)
		return transcriptionError(err)
	}
	return nil
}

func onCaptions(_ context.Context, c *conn, d *protocol.Captions) error {
	if err := c.member.SetCaptions(d.On); err != nil {
		return roomError(err)
	}
	return nil
}

// ledgerRefusal puts a refusal of consent kind into the ledger: a
// withdrawal of the participant's standing consent in this meeting, or,
// when none stood (a decline), a consent withdrawn the moment it was
// given; each with its audit entry (details: kind and detail=id). The room
// already acts on it: a failure to write is logged.
func (c *conn) ledgerRefusal(ctx context.Context, subject, kind, detail, id string) {
	now := time.Now().UTC()
	ev := c.fillEvent(audit.Event{Action: audit.ConsentWithdrawn, Meeting: c.meetingID, Target: c.member.ID(), Outcome: audit.Success,
		Details: map[string]string{"kind": kind, detail: id}})
	n, err := c.h.opts.Consents.WithdrawConsent(ctx, subject, kind, c.meetingID, now, ev)
	if err == nil && n == 0 {
		ev.Action = audit.ConsentDeclined
		_, err = c.h.opts.Consents.AppendConsent(ctx, store.Consent{SubjectID: subject, Kind: kind,
			MeetingID: c.meetingID, GivenAt: now, WithdrawnAt: now}, ev)
	}
	if err != nil {
		c.log.Error("record consent refusal", "kind", kind, "err", err)
	}
}

func transcriptionError(err error) error {
	switch {
	case errors.Is(err, room.ErrForbidden):
		return protoErr(protocol.CodeForbidden, "only hosts and co-hosts may transcribe")
	case errors.Is(err, room.ErrTranscriptionE2EE):
		return protoErr(protocol.CodeForbidden, "this meeting is end-to-end encrypted: the server has no audio to transcribe")
	case errors.Is(err, room.ErrTranscriptionOff):
		return protoErr(protocol.CodeForbidden, "transcription is not allowed in this meeting")
	case errors.Is(err, room.ErrTranscriptionActive):
		return protoErr(protocol.CodeForbidden, "a transcription is already running")
	case errors.Is(err, room.ErrNoTranscription):
		return protoErr(protocol.CodeNotFound, "that transcription is not running")
	}
	return roomError(err)
}

func wireTranscription(e room.TranscriptionChanged) protocol.TranscriptionState {
	t := e.Transcription
	if t == nil {
		return protocol.TranscriptionState{Ended: e.Ended}
	}
	started := t.StartedAt.UTC()
	return protocol.TranscriptionState{Active: true, ID: t.ID, By: t.By, ByName: t.ByName, Purpose: t.Purpose, Access: t.Access,
		RetentionDays: int((t.Retention + 24*time.Hour - 1) / (24 * time.Hour)), Engine: t.Engine, StartedAt: &started, Consent: e.Consent}
}

func wireCaption(e room.CaptionReceived) protocol.Caption {
	return protocol.Caption{Transcription: e.Transcription, Participant: e.Participant, Name: e.Name, Utterance: max(e.Utterance, 0),
		Final: e.Final, StartMS: e.Start.Milliseconds(), EndMS: e.End.Milliseconds(), Text: e.Text}
}
