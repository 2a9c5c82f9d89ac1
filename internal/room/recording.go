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

// recording is the capture kind of recordings (capture.go).
var recording = &captureKind[RecordingInfo]{
	action:    authz.RecordingStart,
	errE2EE:   ErrRecordingE2EE,
	errOff:    ErrRecordingOff,
	errActive: ErrRecordingActive,
	errNone:   ErrNoRecording,
	allowed:   func(s Settings) bool { return s.Recording },
	slot:      func(r *Room) **capture[RecordingInfo] { return &r.rec },
	id:        func(i *RecordingInfo) string { return i.ID },
	by:        func(i *RecordingInfo, id, name string) { i.By, i.ByName = id, name },
	changed: func(i *RecordingInfo, consent string) Event {
		return RecordingChanged{Recording: i, Consent: consent}
	},
	ended: func(reason string) Event { return RecordingChanged{Ended: reason} },
}

// MayRecord checks, without changing anything, that mb may start a
// recording now: the permission table, the meeting's and the
// organisation's policy, and no recording running. The caller does its
// slow preparation after this and StartRecording checks again.
func (mb *Member) MayRecord() error { return recording.mayStart(mb) }

// StartRecording makes rec the meeting's recording and asks everyone in
// the meeting for consent; nobody is recorded before they give it. The
// caller stops rec itself when this fails.
func (mb *Member) StartRecording(info RecordingInfo, rec Recorder) error {
	return recording.start(mb, info, rec)
}

// StopRecording ends the running recording (action recording.start: who
// may start may stop).
func (mb *Member) StopRecording(id string) error { return recording.stop(mb, id) }

// EndRecording ends the meeting's recording id for a reason of the
// server's (low disk, a failed recorder); false when it runs no more.
func (m *Manager) EndRecording(meetingID, id, reason string) bool {
	return recording.end(m, meetingID, id, reason)
}

// RecordingConsent records mb's answer to recording id: given, the
// recorder takes mb's media from its next keyframe; declined (or
// withdrawn), from this moment it takes nothing more of it. It returns the
// data subject the answer belongs to (the account, or the participant of
// a guest) and whether the answer changed anything.
func (mb *Member) RecordingConsent(id string, given bool) (subject string, changed bool, err error) {
	return recording.answer(mb, id, given)
}

// Recording returns the running recording and mb's answer to it; nil when
// none runs.
func (mb *Member) Recording() (*RecordingInfo, string) { return recording.current(mb) }

// WithdrawRecording leaves an account out of every running recording from
// now on, as when it withdraws its recording consent from its own page
// (the ledger already says so); each of its participants hears that its
// answer is now "declined". It returns how many were being recorded.
func (m *Manager) WithdrawRecording(userID string) int { return recording.withdraw(m, userID) }
