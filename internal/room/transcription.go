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

// liveTranscription is the room's running transcription.
type liveTranscription struct {
	info    TranscriptionInfo
	tr      Transcriber
	untap   func()
	consent map[string]string
	names   map[string]string // speakers' names, kept for captions after they leave
}

// MayTranscribe checks, without changing anything, that mb may start a
// transcription now.
func (mb *Member) MayTranscribe() error {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mayTranscribeLocked(mb)
}

func (r *Room) mayTranscribeLocked(mb *Member) error {
	if err := r.authorizeLocked(mb, authz.TranscriptionStart); err != nil {
		return err
	}
	if r.settings.E2EE {
		return ErrTranscriptionE2EE
	}
	if !r.settings.Transcription {
		return ErrTranscriptionOff
	}
	if r.tr != nil {
		return ErrTranscriptionActive
	}
	return nil
}

// StartTranscription makes tr the meeting's transcription and asks
// everyone for consent; nobody is transcribed before they give it. The
// caller stops tr itself when this fails.
func (mb *Member) StartTranscription(info TranscriptionInfo, tr Transcriber) error {
	r := mb.room
	r.mu.Lock()
	if err := r.mayTranscribeLocked(mb); err != nil {
		r.mu.Unlock()
		return err
	}
	info.By, info.ByName = mb.info.ID, mb.info.Name
	live := &liveTranscription{info: info, tr: tr, consent: map[string]string{}, names: map[string]string{}}
	r.tr = live
	for _, id := range r.order {
		live.consent[id] = ConsentPending
		r.members[id].events.Deliver(TranscriptionChanged{Transcription: &live.info, Consent: ConsentPending})
	}
	r.mu.Unlock()
	untap := r.media.AddTap(tr.Tap)
	r.mu.Lock()
	if r.tr == live {
		live.untap = untap
		untap = nil
	}
	r.mu.Unlock()
	if untap != nil {
		untap()
	}
	return nil
}

// StopTranscription ends the running transcription (action
// transcription.start: who may start may stop).
func (mb *Member) StopTranscription(id string) error {
	r := mb.room
	r.mu.Lock()
	if err := r.authorizeLocked(mb, authz.TranscriptionStart); err != nil {
		r.mu.Unlock()
		return err
	}
	if r.tr == nil || r.tr.info.ID != id {
		r.mu.Unlock()
		return ErrNoTranscription
	}
	live := r.takeTranscriptionLocked(RecordingStopped)
	r.mu.Unlock()
	live.finish(RecordingStopped)
	return nil
}

// EndTranscription ends the meeting's transcription id for a reason of
// the server's (a failed engine); false when it runs no more.
func (m *Manager) EndTranscription(meetingID, id, reason string) bool {
	m.mu.Lock()
	r := m.rooms[meetingID]
	m.mu.Unlock()
	if r == nil {
		return false
	}
	r.mu.Lock()
	if r.tr == nil || r.tr.info.ID != id {
		r.mu.Unlock()
		return false
	}
	live := r.takeTranscriptionLocked(reason)
	r.mu.Unlock()
	live.finish(reason)
	return true
}

// TranscriptionConsent records mb's answer to transcription id: given,
// the transcriber takes mb's audio from now on; declined (or withdrawn),
// from this moment it takes nothing more. It returns the data subject
// and whether the answer changed anything.
func (mb *Member) TranscriptionConsent(id string, given bool) (subject string, changed bool, err error) {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	live := r.tr
	if live == nil || live.info.ID != id || r.members[mb.info.ID] != mb {
		return "", false, ErrNoTranscription
	}
	subject = mb.subject()
	answer := ConsentDeclined
	if given {
		answer = ConsentGiven
	}
	if live.consent[mb.info.ID] == answer {
		return subject, false, nil
	}
	live.consent[mb.info.ID] = answer
	if given {
		live.names[mb.info.ID] = mb.info.Name
		live.tr.Allow(mb.info.ID, subject)
	} else {
		live.tr.Deny(mb.info.ID)
	}
	mb.events.Deliver(TranscriptionChanged{Transcription: &live.info, Consent: answer})
	return subject, true, nil
}

// Transcription returns the running transcription and mb's answer to it;
// nil when none runs.
func (mb *Member) Transcription() (*TranscriptionInfo, string) {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tr == nil {
		return nil, ""
	}
	info := r.tr.info
	return &info, r.tr.consent[mb.info.ID]
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
	m.mu.Lock()
	r := m.rooms[meetingID]
	m.mu.Unlock()
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tr == nil || r.tr.info.ID != id {
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
	m.mu.Lock()
	r := m.rooms[meetingID]
	m.mu.Unlock()
	if r == nil {
		return ""
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.tr == nil || r.tr.info.ID != id {
		return ""
	}
	if mb := r.members[participantID]; mb != nil {
		return mb.info.Name
	}
	return r.tr.names[participantID]
}

// transcriptionJoinedLocked asks a member who was just admitted, when a
// transcription runs.
func (r *Room) transcriptionJoinedLocked(mb *Member) {
	if r.tr == nil {
		return
	}
	r.tr.consent[mb.info.ID] = ConsentPending
	mb.events.Deliver(TranscriptionChanged{Transcription: &r.tr.info, Consent: ConsentPending})
}

// transcriptionLeftLocked leaves a member who went out.
func (r *Room) transcriptionLeftLocked(mb *Member) {
	delete(r.captions, mb.info.ID)
	if r.tr == nil {
		return
	}
	if _, ok := r.tr.consent[mb.info.ID]; ok {
		delete(r.tr.consent, mb.info.ID)
		r.tr.tr.Deny(mb.info.ID)
	}
}

// takeTranscriptionLocked ends the transcription as far as the room goes:
// nobody is allowed any more, and every member hears why.
func (r *Room) takeTranscriptionLocked(reason string) *liveTranscription {
	live := r.tr
	if live == nil {
		return nil
	}
	r.tr = nil
	for id := range live.consent {
		live.tr.Deny(id)
	}
	for _, id := range r.order {
		r.members[id].events.Deliver(TranscriptionChanged{Ended: reason})
	}
	return live
}

// finish detaches the transcriber and stops it; never under the lock.
func (l *liveTranscription) finish(reason string) {
	if l == nil {
		return
	}
	if l.untap != nil {
		l.untap()
	}
	l.tr.Stop(reason)
}

// endTranscription stops the transcription of a room that closes.
func (r *Room) endTranscription(reason string) {
	r.mu.Lock()
	live := r.takeTranscriptionLocked(reason)
	r.mu.Unlock()
	live.finish(reason)
}

// WithdrawTranscription leaves an account out of every running
// transcription from now on, as when it withdraws its transcription
// consent from its own page; it returns how many were being transcribed.
func (m *Manager) WithdrawTranscription(userID string) int {
	if userID == "" {
		return 0
	}
	n := 0
	for _, r := range m.live() {
		r.mu.Lock()
		if live := r.tr; live != nil {
			for id, answer := range live.consent {
				if mb := r.members[id]; mb != nil && mb.userID == userID && answer == ConsentGiven {
					live.consent[id] = ConsentDeclined
					live.tr.Deny(id)
					mb.events.Deliver(TranscriptionChanged{Transcription: &live.info, Consent: ConsentDeclined})
					n++
				}
			}
		}
		r.mu.Unlock()
	}
	return n
}
