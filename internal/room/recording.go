package room

import (
	"errors"
	"time"

	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/sfu"
)

// Recording is consent-first (docs/privacy.md, "Recording"): the room
// knows whether a recording runs, and every member's answer to it; the
// recorder records a member's media only while the room has allowed it.
// The room changes the two together under its lock, so what participants
// are told and what is recorded never disagree.

// Errors of recording.
var (
	// ErrRecordingOff: the organisation or the meeting does not allow
	// recording.
	ErrRecordingOff = errors.New("room: recording is not allowed in this meeting")
	// ErrRecordingE2EE: media is end-to-end encrypted, so the server
	// cannot record it.
	ErrRecordingE2EE = errors.New("room: the meeting is end-to-end encrypted: the server cannot record it")
	// ErrRecordingActive: a recording runs already.
	ErrRecordingActive = errors.New("room: a recording is already running")
	// ErrNoRecording: no recording runs, or not the one named (an answer
	// that came after it stopped).
	ErrNoRecording = errors.New("room: no such recording is running")
)

// Consent answers, as the wire spells them.
const (
	ConsentPending  = "pending"  // asked, not answered: not recorded
	ConsentGiven    = "given"    // recorded
	ConsentDeclined = "declined" // declined or withdrawn: not recorded
)

// Why a recording ended, as the wire spells it.
const (
	RecordingStopped  = "stopped"       // a host stopped it
	RecordingEnded    = "meeting_ended" // the meeting ended or emptied
	RecordingDiskLow  = "disk_low"      // the server ran short of space
	RecordingFailed   = "failed"        // the recorder failed
	RecordingShutdown = "server_shutdown"
)

// RecordingRequest is a host's request to record, as the recordings
// service takes it.
type RecordingRequest struct {
	MeetingID string
	// StartedBy is the data subject who starts it: the host's account.
	StartedBy string
	Purpose   string
}

// RecordingInfo is what everyone is told about a running recording before
// they answer.
type RecordingInfo struct {
	ID        string
	By        string // participant ID of who started it
	ByName    string
	Purpose   string
	Access    string        // who may see it, in words
	Retention time.Duration // how long it is kept
	StartedAt time.Time
}

// Recorder is a running recording as the room drives it. Allow and Deny
// must not block: the room calls them under its lock, at the moment a
// member's answer changes or the member leaves. Tap is attached to the
// meeting's media outside the lock; Stop ends the recording (files,
// catalog) and is called once, outside the lock, when it stops for any
// reason.
type Recorder interface {
	Allow(participantID, subject string)
	Deny(participantID string)
	Tap(sfu.Track) sfu.Sink
	Stop(reason string)
}

// RecordingChanged tells a member that a recording started (Recording set;
// Consent is this member's answer so far) or ended (Recording nil; Ended
// says why), or that the member's own answer changed.
type RecordingChanged struct {
	Recording *RecordingInfo
	Consent   string
	Ended     string
}

func (RecordingChanged) roomEvent() {}

// liveRecording is the room's running recording.
type liveRecording struct {
	info    RecordingInfo
	rec     Recorder
	untap   func() // nil until the tap is attached
	consent map[string]string
}

// MayRecord checks, without changing anything, that mb may start a
// recording now: the permission table, the meeting's and the
// organisation's policy, and no recording running. The caller does its
// slow preparation after this and StartRecording checks again.
func (mb *Member) MayRecord() error {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.mayRecordLocked(mb)
}

func (r *Room) mayRecordLocked(mb *Member) error {
	if err := r.authorizeLocked(mb, authz.RecordingStart); err != nil {
		return err
	}
	if r.settings.E2EE {
		return ErrRecordingE2EE
	}
	if !r.settings.Recording {
		return ErrRecordingOff
	}
	if r.rec != nil {
		return ErrRecordingActive
	}
	return nil
}

// StartRecording makes rec the meeting's recording and asks everyone in
// the meeting for consent; nobody is recorded before they give it. The
// caller stops rec itself when this fails.
func (mb *Member) StartRecording(info RecordingInfo, rec Recorder) error {
	r := mb.room
	r.mu.Lock()
	if err := r.mayRecordLocked(mb); err != nil {
		r.mu.Unlock()
		return err
	}
	info.By, info.ByName = mb.info.ID, mb.info.Name
	live := &liveRecording{info: info, rec: rec, consent: map[string]string{}}
	r.rec = live
	for _, id := range r.order {
		live.consent[id] = ConsentPending
		r.members[id].events.Deliver(RecordingChanged{Recording: &live.info, Consent: ConsentPending})
	}
	r.mu.Unlock()
	// Attaching calls the tap for every published track, which may be
	// slow: outside the lock. The sinks record nothing until Allow.
	untap := r.media.AddTap(rec.Tap)
	r.mu.Lock()
	if r.rec == live {
		live.untap = untap
		untap = nil
	}
	r.mu.Unlock()
	if untap != nil { // stopped meanwhile
		untap()
	}
	return nil
}

// StopRecording ends the running recording (action recording.start: who
// may start may stop).
func (mb *Member) StopRecording(id string) error {
	r := mb.room
	r.mu.Lock()
	if err := r.authorizeLocked(mb, authz.RecordingStart); err != nil {
		r.mu.Unlock()
		return err
	}
	if r.rec == nil || r.rec.info.ID != id {
		r.mu.Unlock()
		return ErrNoRecording
	}
	live := r.takeRecordingLocked(RecordingStopped)
	r.mu.Unlock()
	live.finish(RecordingStopped)
	return nil
}

// EndRecording ends the meeting's recording id for a reason of the
// server's (low disk, a failed recorder); false when it runs no more.
func (m *Manager) EndRecording(meetingID, id, reason string) bool {
	m.mu.Lock()
	r := m.rooms[meetingID]
	m.mu.Unlock()
	if r == nil {
		return false
	}
	r.mu.Lock()
	if r.rec == nil || r.rec.info.ID != id {
		r.mu.Unlock()
		return false
	}
	live := r.takeRecordingLocked(reason)
	r.mu.Unlock()
	live.finish(reason)
	return true
}

// RecordingConsent records mb's answer to recording id: given, the
// recorder takes mb's media from its next keyframe; declined (or
// withdrawn), from this moment it takes nothing more of it. It returns the
// data subject the answer belongs to (the account, or the participant of
// a guest) and whether the answer changed anything.
func (mb *Member) RecordingConsent(id string, given bool) (subject string, changed bool, err error) {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	live := r.rec
	if live == nil || live.info.ID != id || r.members[mb.info.ID] != mb {
		return "", false, ErrNoRecording
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
		live.rec.Allow(mb.info.ID, subject)
	} else {
		live.rec.Deny(mb.info.ID)
	}
	mb.events.Deliver(RecordingChanged{Recording: &live.info, Consent: answer})
	return subject, true, nil
}

// Recording returns the running recording and mb's answer to it; nil when
// none runs.
func (mb *Member) Recording() (*RecordingInfo, string) {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rec == nil {
		return nil, ""
	}
	info := r.rec.info
	return &info, r.rec.consent[mb.info.ID]
}

// recordingJoinedLocked asks a member who was just admitted, when a
// recording runs: they are not recorded until they answer.
func (r *Room) recordingJoinedLocked(mb *Member) {
	if r.rec == nil {
		return
	}
	r.rec.consent[mb.info.ID] = ConsentPending
	mb.events.Deliver(RecordingChanged{Recording: &r.rec.info, Consent: ConsentPending})
}

// recordingLeftLocked leaves a member who went out of the recording.
func (r *Room) recordingLeftLocked(mb *Member) {
	if r.rec == nil {
		return
	}
	if _, ok := r.rec.consent[mb.info.ID]; ok {
		delete(r.rec.consent, mb.info.ID)
		r.rec.rec.Deny(mb.info.ID)
	}
}

// takeRecordingLocked ends the recording as far as the room goes: nobody
// is allowed any more, and every member hears why. The caller finishes it
// outside the lock.
func (r *Room) takeRecordingLocked(reason string) *liveRecording {
	live := r.rec
	if live == nil {
		return nil
	}
	r.rec = nil
	for id := range live.consent {
		live.rec.Deny(id)
	}
	for _, id := range r.order {
		r.members[id].events.Deliver(RecordingChanged{Ended: reason})
	}
	return live
}

// finish detaches the recorder from the media and stops it (slow: files
// and the catalog); never under the room's lock.
func (l *liveRecording) finish(reason string) {
	if l == nil {
		return
	}
	if l.untap != nil {
		l.untap()
	}
	l.rec.Stop(reason)
}

// endRecording stops the recording of a room that closes.
func (r *Room) endRecording(reason string) {
	r.mu.Lock()
	live := r.takeRecordingLocked(reason)
	r.mu.Unlock()
	live.finish(reason)
}

// WithdrawRecording leaves an account out of every running recording from
// now on, as when it withdraws its recording consent from its own page
// (the ledger already says so); each of its participants hears that its
// answer is now "declined". It returns how many were being recorded.
func (m *Manager) WithdrawRecording(userID string) int {
	if userID == "" {
		return 0
	}
	n := 0
	for _, r := range m.live() {
		r.mu.Lock()
		if live := r.rec; live != nil {
			for id, answer := range live.consent {
				if mb := r.members[id]; mb != nil && mb.userID == userID && answer == ConsentGiven {
					live.consent[id] = ConsentDeclined
					live.rec.Deny(id)
					mb.events.Deliver(RecordingChanged{Recording: &live.info, Consent: ConsentDeclined})
					n++
				}
			}
		}
		r.mu.Unlock()
	}
	return n
}
