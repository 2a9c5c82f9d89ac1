package recordings

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/recorder"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
)

// AccessText is who may see a recording, as participants are told before
// they answer (docs/privacy.md, "Recording"; access.go decides).
const AccessText = "the meeting's host and the organisation's privacy officers, and accounts the host shares it with by name"

// stopTimeout bounds finishing a recording's files and its catalog row.
const stopTimeout = 30 * time.Second

// Auditor records the stops the server makes itself (*audit.Log).
type Auditor interface {
	Append(ctx context.Context, ev audit.Event) (audit.Entry, error)
}

// LiveOptions configure Live.
type LiveOptions struct {
	// Retention is a meeting's recording period: its own, or the
	// organisation's (told to participants before they answer).
	Retention func(ctx context.Context, meetingID string) time.Duration
	// FreeSpace and MinFree: the recorder stops below MinFree free bytes;
	// nil FreeSpace takes the service's (config recording_min_free_mb).
	FreeSpace func() (int64, error)
	MinFree   int64
	Audit     Auditor
	Logger    *slog.Logger
}

// Live joins the catalog and the recorder (package recorder) into what
// signalling starts when a host records (signal.Recordings).
type Live struct {
	svc  *Service
	opts LiveOptions
	log  *slog.Logger
}

// NewLive returns the live side of svc.
func NewLive(svc *Service, opts LiveOptions) *Live {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if opts.FreeSpace == nil && svc.opts.MinFree > 0 {
		opts.FreeSpace = func() (int64, error) {
			n, err := svc.opts.FreeSpace(svc.opts.Dir)
			return int64(min(n, 1<<62)), err
		}
		opts.MinFree = int64(svc.opts.MinFree)
	}
	return &Live{svc: svc, opts: opts, log: log}
}

// refusal is a reason the host may read for a recording that did not
// start.
type refusal struct{ error }

func (r refusal) Refusal() string { return r.Error() }

// Start implements signal.Recordings: the catalog row, then the
// recorder, which records nobody until the room allows them.
func (l *Live) Start(ctx context.Context, req room.RecordingRequest, onFault func(recordingID, reason string)) (room.Recorder, room.RecordingInfo, error) {
	id, err := l.svc.Begin(ctx, Recording{MeetingID: req.MeetingID, StartedBy: req.StartedBy, Purpose: req.Purpose})
	switch {
	case errors.Is(err, ErrTooMany), errors.Is(err, ErrActive), errors.Is(err, ErrDisabled), errors.Is(err, ErrNoSpace):
		return nil, room.RecordingInfo{}, refusal{err}
	case err != nil:
		return nil, room.RecordingInfo{}, err
	}
	sess, err := recorder.New(recorder.Options{
		RecordingID: id, MeetingID: req.MeetingID, Catalog: l.svc, FreeSpace: l.opts.FreeSpace, MinFree: l.opts.MinFree, Logger: l.log,
		OnFault: func(err error) {
			reason := room.RecordingFailed
			if errors.Is(err, recorder.ErrDiskLow) {
				reason = room.RecordingDiskLow
			}
			l.log.Warn("recording stopped by itself", "recording", id, "err", err)
			onFault(id, reason)
		},
	})
	if err != nil {
		reason := room.RecordingFailed
		if errors.Is(err, recorder.ErrDiskLow) {
			reason = room.RecordingDiskLow
		}
		_ = l.svc.End(context.WithoutCancel(ctx), id, reason)
		if reason == room.RecordingDiskLow {
			return nil, room.RecordingInfo{}, refusal{err}
		}
		return nil, room.RecordingInfo{}, err
	}
	info := room.RecordingInfo{ID: id, Purpose: req.Purpose, Access: AccessText, StartedAt: l.svc.opts.Now().UTC()}
	if l.opts.Retention != nil {
		info.Retention = l.opts.Retention(ctx, req.MeetingID)
	}
	return &liveRecording{l: l, id: id, meetingID: req.MeetingID, sess: sess}, info, nil
}

// liveRecording is one running recording as the room drives it.
type liveRecording struct {
	l         *Live
	id        string
	meetingID string
	sess      *recorder.Session
}

func (r *liveRecording) Allow(participantID, subject string) { r.sess.Allow(participantID, subject) }
func (r *liveRecording) Deny(participantID string)           { r.sess.Deny(participantID) }
func (r *liveRecording) Tap(t sfu.Track) sfu.Sink            { return r.sess.Tap(t) }

// Stop finishes every file and ends the catalog row. A host's stop is
// audited by signalling with its actor; the server's own stops (the
// meeting ended, low disk, a fault) are audited here.
func (r *liveRecording) Stop(reason string) {
	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if err := r.sess.Stop(ctx); err != nil {
		r.l.log.Error("stop recording", "recording", r.id, "err", err)
	}
	if err := r.l.svc.End(ctx, r.id, reason); err != nil {
		r.l.log.Error("end recording", "recording", r.id, "err", err)
	}
	if reason == room.RecordingStopped || r.l.opts.Audit == nil {
		return
	}
	if _, err := r.l.opts.Audit.Append(ctx, audit.Event{Action: audit.RecordingStop, Meeting: r.meetingID, Outcome: audit.Success,
		Details: map[string]string{"recording": r.id, "reason": reason}}); err != nil {
		r.l.log.Error("audit recording stop", "recording", r.id, "err", err)
	}
}
