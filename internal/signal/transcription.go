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

// transcriptionFlow is transcription's part of the capture flow
// (capture.go).
var transcriptionFlow = &captureFlow{
	noun:        "transcription",
	kind:        store.ConsentTranscription,
	startAction: audit.TranscriptionStart,
	stopAction:  audit.TranscriptionStop,
	notTaken:    "your consent could not be recorded, so you are not transcribed",
	errNone:     room.ErrNoTranscription,
	wireErr:     transcriptionError,
	answer:      (*room.Member).TranscriptionConsent,
	current: func(mb *room.Member) (string, string) {
		info, answer := mb.Transcription()
		if info == nil {
			return "", ""
		}
		return info.ID, answer
	},
	stop: (*room.Member).StopTranscription,
}

func onTranscriptionStart(ctx context.Context, c *conn, d *protocol.TranscriptionStart) error {
	trs := c.h.opts.Transcriptions
	if trs == nil || c.h.opts.Consents == nil {
		return transcriptionFlow.unavailable()
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
	return beginCapture(c, transcriptionFlow, tr, info.ID, err, func() error { return c.member.StartTranscription(info, tr) })
}

func onTranscriptionStop(_ context.Context, c *conn, d *protocol.TranscriptionStop) error {
	return transcriptionFlow.onStop(c, d.ID)
}

func onTranscriptionConsent(ctx context.Context, c *conn, d *protocol.TranscriptionConsent) error {
	return transcriptionFlow.onConsent(ctx, c, d.ID, d.Consent)
}

func onCaptions(_ context.Context, c *conn, d *protocol.Captions) error {
	if err := c.member.SetCaptions(d.On); err != nil {
		return roomError(err)
	}
	return nil
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
