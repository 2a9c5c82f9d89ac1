// Package transcriptions starts the transcriptions hosts ask for: it
// wires a speech engine to a meeting's media through a transcriber
// session (internal/transcriber) and hands the captions to the room. It
// is to transcription what internal/recordings' Live is to recording
// (docs/transcripts.md).
package transcriptions

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/signal"
	"github.com/conclave-meet/conclave/internal/transcriber"
)

// AccessText is who sees what is transcribed, as participants are told
// before they answer: the live captions, and the transcript kept after
// the meeting for those who may see the meeting's recordings
// (internal/web; docs/transcripts.md, "The stored transcript"). How long
// it is kept is told with it (TranscriptionInfo.Retention).
const AccessText = "live captions: the participants of this meeting who turn them on, while it runs; " +
	"the transcript (final lines, with speakers' names and times) is kept after the meeting, encrypted, " +
	"for the meeting's host and the organisation's privacy officers, and accounts the host shares its recordings with"

// AccessTextUnstored is AccessText for a service without a store: nothing
// is kept after the meeting.
const AccessTextUnstored = "the participants of this meeting who turn live captions on, while it runs; the text is not stored after the meeting"

// DefaultMax is how many meetings are transcribed at once by default: a
// PocketSphinx stream takes about a third of a core and 105 MB per
// speaker (docs/transcripts.md).
const DefaultMax = 2

// stopTimeout bounds waiting for an engine's last captions at the end.
const stopTimeout = 30 * time.Second

// ErrTooMany: the server transcribes as many meetings as it may.
var ErrTooMany = errors.New("the server is transcribing as many meetings as it may")

// ErrNoEngine: no speech engine is installed.
var ErrNoEngine = errors.New("no speech engine is installed on this server")

// Options configure the service.
type Options struct {
	// Engine is the speech engine; nil refuses every start (ErrNoEngine).
	Engine transcriber.Opener
	// EngineText says where the audio goes, in words, as participants are
	// told ("PocketSphinx, on this server").
	EngineText string
	// Language is passed to the engine ("" is its default).
	Language string
	// Max is how many meetings are transcribed at once (DefaultMax when 0).
	Max int
	// Store keeps every final caption as the meeting's transcript; nil
	// keeps nothing (AccessTextUnstored is then what people are told).
	Store SegmentStore
	// Retention is how long a meeting's transcript is kept (its own
	// period, or the organisation's transcript period), as people are told
	// before they answer.
	Retention func(ctx context.Context, meetingID string) time.Duration
	Logger    *slog.Logger
	Now       func() time.Time
}

// Live implements signal.Transcriptions.
type Live struct {
	o   Options
	log *slog.Logger

	mu      sync.Mutex
	running map[string]bool // transcription IDs
	// wg counts sessions from their start until they have stopped: added
	// at Start, not at Stop, so that a Wait begun after a room announced
	// the end, but before the room got to Stop, still waits for it.
	wg sync.WaitGroup

	stored, storeFailures atomic.Int64 // transcript segments
}

var _ signal.Transcriptions = (*Live)(nil)

// New returns the service.
func New(o Options) *Live {
	if o.Max <= 0 {
		o.Max = DefaultMax
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Live{o: o, log: o.Logger, running: map[string]bool{}}
}

// refusal is a reason the host may read for a transcription that did not
// start.
type refusal struct{ error }

func (r refusal) Refusal() string { return r.Error() }
func (r refusal) Unwrap() error   { return r.error }

// Start implements signal.Transcriptions: a transcriber session that
// transcribes nobody until the room allows them.
func (l *Live) Start(ctx context.Context, req room.TranscriptionRequest, hooks signal.TranscriptionHooks) (room.Transcriber, room.TranscriptionInfo, error) {
	if l.o.Engine == nil {
		return nil, room.TranscriptionInfo{}, refusal{ErrNoEngine}
	}
	id, err := newID()
	if err != nil {
		return nil, room.TranscriptionInfo{}, err
	}
	l.mu.Lock()
	if len(l.running) >= l.o.Max {
		l.mu.Unlock()
		return nil, room.TranscriptionInfo{}, refusal{fmt.Errorf("%w (%d)", ErrTooMany, l.o.Max)}
	}
	l.running[id] = true
	l.wg.Add(1)
	l.mu.Unlock()
	var w *segmentWriter
	if l.o.Store != nil {
		var name func(string) string
		if hooks.Name != nil {
			name = func(pid string) string { return hooks.Name(id, pid) }
		}
		w = l.newSegmentWriter(req.MeetingID, id, name)
	}
	sess, err := transcriber.New(transcriber.Options{Engine: l.o.Engine, Language: l.o.Language, Logger: l.log.With("transcription", id),
		OnCaption: func(c transcriber.Caption) {
			if w != nil {
				w.add(c)
			}
			if c.Gap != 0 || c.Text == "" || hooks.Caption == nil {
				return // a gap is for the stored transcript; nothing to show
			}
			hooks.Caption(id, room.Caption{Participant: c.Participant, Utterance: c.Utterance, Final: c.Final,
				Start: c.Start, End: c.End, Text: c.Text})
		}})
	if err != nil {
		if w != nil {
			_ = w.close(context.Background()) // nothing queued yet
		}
		l.done(id)
		l.wg.Done()
		return nil, room.TranscriptionInfo{}, err
	}
	l.log.Info("transcription started", "transcription", id, "meeting", req.MeetingID, "stored", w != nil)
	info := room.TranscriptionInfo{ID: id, Purpose: req.Purpose, Access: AccessTextUnstored, Engine: l.o.EngineText, StartedAt: l.o.Now().UTC()}
	if w != nil {
		info.Access = AccessText
		if l.o.Retention != nil {
			info.Retention = l.o.Retention(ctx, req.MeetingID)
		}
	}
	return &liveTranscription{l: l, id: id, sess: sess, w: w}, info, nil
}

func (l *Live) done(id string) {
	l.mu.Lock()
	delete(l.running, id)
	l.mu.Unlock()
}

// Wait waits until every session started has been stopped and has
// finished, at most until ctx is done (at shutdown, after the rooms have
// stopped theirs).
func (l *Live) Wait(ctx context.Context) error {
	done := make(chan struct{})
	go func() { l.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// liveTranscription is one running transcription as the room drives it.
type liveTranscription struct {
	l    *Live
	id   string
	sess *transcriber.Session
	w    *segmentWriter // nil: nothing is stored
	once sync.Once
}

func (t *liveTranscription) Allow(participantID, subject string) {
	t.sess.Allow(participantID, subject)
}
func (t *liveTranscription) Deny(participantID string) { t.sess.Deny(participantID) }
func (t *liveTranscription) Tap(tr sfu.Track) sfu.Sink { return t.sess.Tap(tr) }

// Stop ends the session in the background: the engines finish what they
// have (the room hands on no more captions), then the slot is free.
func (t *liveTranscription) Stop(reason string) {
	t.once.Do(func() {
		go func() {
			defer t.l.wg.Done()
			defer t.l.done(t.id)
			ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
			defer cancel()
			if err := t.sess.Stop(ctx); err != nil {
				t.l.log.Warn("transcription did not finish in time", "transcription", t.id, "err", err)
			}
			if t.w != nil {
				if err := t.w.close(ctx); err != nil {
					t.l.log.Error("the transcript was not all stored in time", "transcription", t.id, "err", err)
				}
			}
			st, ss := t.sess.Stats(), t.l.StoreStats()
			t.l.log.Info("transcription stopped", "transcription", t.id, "reason", reason, "streams", st.Streams,
				"dropped", st.Dropped, "failures", st.Failures, "segments_stored", ss.Stored, "segments_failed", ss.Failed)
		}()
	})
}

func newID() (string, error) { return newPrefixedID("t_") }

func newPrefixedID(prefix string) (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("transcriptions: %w", err)
	}
	return prefix + hex.EncodeToString(b), nil
}
