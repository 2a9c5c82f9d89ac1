package room

import (
	"errors"
	"time"

	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/sfu"
)

// Transcription is consent-first, like recording (docs/transcripts.md):
// the room knows whether a transcription runs and every member's answer to
// it; the transcriber takes a member's audio only while the room has
// allowed it. The room changes the two together under its lock. Live
// captions go only to members who turned them on.

// Errors of transcription.
var (
	// ErrTranscriptionOff: the organisation or the meeting does not allow
	// transcription.
	ErrTranscriptionOff = errors.New("room: transcription is not allowed in this meeting")
	// ErrTranscriptionE2EE: media is end-to-end encrypted, so the server
	// has no audio to transcribe.
	ErrTranscriptionE2EE = errors.New("room: the meeting is end-to-end encrypted: the server cannot transcribe it")
	// ErrTranscriptionActive: a transcription runs already.
	ErrTranscriptionActive = errors.New("room: a transcription is already running")
	// ErrNoTranscription: no transcription runs, or not the one named.
	ErrNoTranscription = errors.New("room: no such transcription is running")
)

// TranscriptionRequest is a host's request to transcribe.
type TranscriptionRequest struct {
	MeetingID string
	// StartedBy is the data subject who starts it: the host's account.
	StartedBy string
	Purpose   string
}

// TranscriptionInfo is what everyone is told about a running
// transcription before they answer.
type TranscriptionInfo struct {
	ID        string
	By        string // participant ID of who started it
	ByName    string
	Purpose   string
	Access    string        // who may see the transcript, in words
	Retention time.Duration // how long the transcript is kept
	// Engine says where the audio goes, in words ("PocketSphinx, on this
	// server").
	Engine    string
	StartedAt time.Time
}

// Transcriber is a running transcription as the room drives it: Allow and
// Deny must not block (the room calls them under its lock); Tap is
// attached to the meeting's media outside the lock; Stop is called once,
// outside the lock, when it ends for any reason.
type Transcriber interface {
	Allow(participantID, subject string)
	Deny(participantID string)
	Tap(sfu.Track) sfu.Sink
	Stop(reason string)
}

// TranscriptionChanged tells a member that a transcription started
// (Transcription set; Consent is this member's answer so far) or ended
// (Transcription nil; Ended says why), or that the member's answer
// changed.
type TranscriptionChanged struct {
	Transcription *TranscriptionInfo
	Consent       string
	Ended         string
}

func (TranscriptionChanged) roomEvent() {}

// Caption is recognised speech of one participant, as the transcriber
// hands it on.
type Caption struct {
	Participant string
	Utterance   int // a partial is replaced by the next of the same number, and by the final
	Final       bool
	Start, End  time.Duration // since the transcription started
	Text        string
}

// CaptionReceived is a caption for a member who turned captions on; Name
// is the speaker's name.
type CaptionReceived struct {
	Caption
	Transcription string
	Name          string
}

func (CaptionReceived) roomEvent() {}

// transcription is the capture kind of transcriptions (capture.go).
var transcription = &captureKind[TranscriptionInfo]{
	action:    authz.TranscriptionStart,
	errE2EE:   ErrTranscriptionE2EE,
	errOff:    ErrTranscriptionOff,
	errActive: ErrTranscriptionActive,
	errNone:   ErrNoTranscription,
	allowed:   func(s Settings) bool { return s.Transcription },
	slot:      func(r *Room) **capture[TranscriptionInfo] { return &r.tr },
	id:        func(i *TranscriptionInfo) string { return i.ID },
	by:        func(i *TranscriptionInfo, id, name string) { i.By, i.ByName = id, name },
	changed: func(i *TranscriptionInfo, consent string) Event {
		return TranscriptionChanged{Transcription: i, Consent: consent}
	},
	ended: func(reason string) Event { return TranscriptionChanged{Ended: reason} },
}

// MayTranscribe checks, without changing anything, that mb may start a
// transcription now.
func (mb *Member) MayTranscribe() error { return transcription.mayStart(mb) }

// StartTranscription makes tr the meeting's transcription and asks
// everyone for consent; nobody is transcribed before they give it. The
// caller stops tr itself when this fails.
func (mb *Member) StartTranscription(info TranscriptionInfo, tr Transcriber) error {
	return transcription.start(mb, info, tr)
}

// StopTranscription ends the running transcription (action
// transcription.start: who may start may stop).
func (mb *Member) StopTranscription(id string) error { return transcription.stop(mb, id) }

// EndTranscription ends the meeting's transcription id for a reason of
// the server's (a failed engine); false when it runs no more.
func (m *Manager) EndTranscription(meetingID, id, reason string) bool {
	return transcription.end(m, meetingID, id, reason)
}

// TranscriptionConsent records mb's answer to transcription id: given,
// the transcriber takes mb's audio from now on; declined (or withdrawn),
// from this moment it takes nothing more. It returns the data subject
// and whether the answer changed anything.
func (mb *Member) TranscriptionConsent(id string, given bool) (subject string, changed bool, err error) {
	return transcription.answer(mb, id, given)
}

// Transcription returns the running transcription and mb's answer to it;
// nil when none runs.
func (mb *Member) Transcription() (*TranscriptionInfo, string) { return transcription.current(mb) }

// WithdrawTranscription leaves an account out of every running
// transcription from now on, as when it withdraws its transcription
// consent from its own page; it returns how many were being transcribed.
func (m *Manager) WithdrawTranscription(userID string) int {
	return transcription.withdraw(m, userID)
}

// SetCaptions turns live captions on or off for mb (action
// captions.view).
func (mb *Member) SetCaptions(on bool) error {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.authorizeLocked(mb, authz.Captions); err != nil {
		return err
	}
	if r.members[mb.info.ID] != mb {
		return ErrForbidden
	}
	if on {
		if r.captions == nil {
			r.captions = map[string]bool{}
		}
		r.captions[mb.info.ID] = true
	} else {
		delete(r.captions, mb.info.ID)
	}
	return nil
}

// Caption hands a caption of the meeting's transcription id to the
// members who turned captions on; false when that transcription runs no
// more (a late caption after it stopped is dropped).
func (m *Manager) Caption(meetingID, id string, c Caption) bool {
	r := m.liveRoom(meetingID)
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tr == nil || r.tr.id != id {
		return false
	}
	name := r.tr.names[c.Participant]
	if mb := r.members[c.Participant]; mb != nil {
		name = mb.info.Name
	}
	for _, oid := range r.order {
		if r.captions[oid] {
			r.members[oid].events.Deliver(CaptionReceived{Caption: c, Transcription: id, Name: name})
		}
	}
	return true
}

// SpeakerName is the current display name of a speaker of the running
// transcription id, or the name they had when they left; "" when the
// transcription is not running or they never took part.
func (m *Manager) SpeakerName(meetingID, id, participantID string) string {
	r := m.liveRoom(meetingID)
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tr == nil || r.tr.id != id {
		return ""
	}
	if mb := r.members[participantID]; mb != nil {
		return mb.info.Name
	}
	return r.tr.names[participantID]
}

// captionsLeftLocked forgets the captions of a member who went out.
func (r *Room) captionsLeftLocked(mb *Member) {
	delete(r.captions, mb.info.ID)
}
