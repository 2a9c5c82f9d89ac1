package room

import (
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/sfu"
)

// A capture is anything the server takes of a meeting's media behind
// everyone's consent: a recording or a transcription. Both follow one
// flow (docs/privacy.md, "Recording"; docs/transcripts.md): a host starts
// it, every member is asked, nobody is captured before a yes, a no or a
// withdrawal takes effect at once, late joiners are asked and leavers are
// denied. The room changes a member's answer and the capturer's gate
// together under its lock, so what people are told and what is captured
// never disagree. captureKind holds what differs between the kinds; the
// flow is written once, here.

// capturer is a running capture as the room drives it (Recorder,
// Transcriber). Allow and Deny must not block: the room calls them under
// its lock. Tap is attached outside the lock; Stop is called once,
// outside the lock, when it ends for any reason.
type capturer interface {
	Allow(participantID, subject string)
	Deny(participantID string)
	Tap(sfu.Track) sfu.Sink
	Stop(reason string)
}

// capture is the room's running capture of one kind; I is what members
// are told about it (RecordingInfo, TranscriptionInfo).
type capture[I any] struct {
	info    I
	id      string
	sink    capturer
	untap   func() // nil until the tap is attached
	consent map[string]string
	names   map[string]string // names of who consented, kept after they leave
}

// captureKind is what tells one kind of capture from another.
type captureKind[I any] struct {
	action authz.Action // who may start and stop it
	// Refusals: E2EE media, not allowed, one running, none such.
	errE2EE, errOff, errActive, errNone error
	allowed                             func(Settings) bool              // the meeting's and organisation's policy
	slot                                func(*Room) **capture[I]         // where the room keeps the running one
	id                                  func(*I) string                  // the capture's ID
	by                                  func(i *I, id, name string)      // sets who started it
	changed                             func(i *I, consent string) Event // a member's answer, or the start
	ended                               func(reason string) Event
}

func (k *captureKind[I]) mayStartLocked(r *Room, mb *Member) error {
	if err := r.authorizeLocked(mb, k.action); err != nil {
		return err
	}
	if r.settings.E2EE {
		return k.errE2EE
	}
	if !k.allowed(r.settings) {
		return k.errOff
	}
	if *k.slot(r) != nil {
		return k.errActive
	}
	return nil
}

func (k *captureKind[I]) mayStart(mb *Member) error {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	return k.mayStartLocked(r, mb)
}

// start makes sink the meeting's capture of this kind and asks everyone
// for consent. The caller stops sink itself when this fails.
func (k *captureKind[I]) start(mb *Member, info I, sink capturer) error {
	r := mb.room
	r.mu.Lock()
	if err := k.mayStartLocked(r, mb); err != nil {
		r.mu.Unlock()
		return err
	}
	k.by(&info, mb.info.ID, mb.info.Name)
	live := &capture[I]{info: info, id: k.id(&info), sink: sink,
		consent: map[string]string{}, names: map[string]string{}}
	*k.slot(r) = live
	for _, id := range r.order {
		live.consent[id] = ConsentPending
		r.members[id].events.Deliver(k.changed(&live.info, ConsentPending))
	}
	r.mu.Unlock()
	// Attaching calls the tap for every published track, which may be
	// slow: outside the lock. The sinks take nothing until Allow.
	untap := r.media.AddTap(sink.Tap)
	r.mu.Lock()
	if *k.slot(r) == live {
		live.untap = untap
		untap = nil
	}
	r.mu.Unlock()
	if untap != nil { // stopped meanwhile
		untap()
	}
	return nil
}

// stop ends the running capture id at mb's request (who may start may
// stop).
func (k *captureKind[I]) stop(mb *Member, id string) error {
	r := mb.room
	r.mu.Lock()
	if err := r.authorizeLocked(mb, k.action); err != nil {
		r.mu.Unlock()
		return err
	}
	if live := *k.slot(r); live == nil || live.id != id {
		r.mu.Unlock()
		return k.errNone
	}
	live := k.takeLocked(r, RecordingStopped)
	r.mu.Unlock()
	live.finish(RecordingStopped)
	return nil
}

// end ends the meeting's capture id for a reason of the server's; false
// when it runs no more.
func (k *captureKind[I]) end(m *Manager, meetingID, id, reason string) bool {
	r := m.liveRoom(meetingID)
	if r == nil {
		return false
	}
	r.mu.Lock()
	if live := *k.slot(r); live == nil || live.id != id {
		r.mu.Unlock()
		return false
	}
	live := k.takeLocked(r, reason)
	r.mu.Unlock()
	live.finish(reason)
	return true
}

// answer records mb's answer to capture id: given, the capturer takes
// mb's media from now on; declined or withdrawn, from this moment it takes
// nothing more. It returns the data subject the answer belongs to and
// whether the answer changed anything.
func (k *captureKind[I]) answer(mb *Member, id string, given bool) (subject string, changed bool, err error) {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	live := *k.slot(r)
	if live == nil || live.id != id || r.members[mb.info.ID] != mb {
		return "", false, k.errNone
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
		live.sink.Allow(mb.info.ID, subject)
	} else {
		live.sink.Deny(mb.info.ID)
	}
	mb.events.Deliver(k.changed(&live.info, answer))
	return subject, true, nil
}

// current returns the running capture and mb's answer; nil when none
// runs.
func (k *captureKind[I]) current(mb *Member) (*I, string) {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	live := *k.slot(r)
	if live == nil {
		return nil, ""
	}
	info := live.info
	return &info, live.consent[mb.info.ID]
}

// joinedLocked asks a member who was just admitted: they are not captured
// until they answer.
func (k *captureKind[I]) joinedLocked(r *Room, mb *Member) {
	live := *k.slot(r)
	if live == nil {
		return
	}
	live.consent[mb.info.ID] = ConsentPending
	mb.events.Deliver(k.changed(&live.info, ConsentPending))
}

// leftLocked leaves out a member who went out.
func (k *captureKind[I]) leftLocked(r *Room, mb *Member) {
	live := *k.slot(r)
	if live == nil {
		return
	}
	if _, ok := live.consent[mb.info.ID]; ok {
		delete(live.consent, mb.info.ID)
		live.sink.Deny(mb.info.ID)
	}
}

// takeLocked ends the capture as far as the room goes: nobody is allowed
// any more, and every member hears why. The caller finishes it outside
// the lock.
func (k *captureKind[I]) takeLocked(r *Room, reason string) *capture[I] {
	live := *k.slot(r)
	if live == nil {
		return nil
	}
	*k.slot(r) = nil
	for id := range live.consent {
		live.sink.Deny(id)
	}
	for _, id := range r.order {
		r.members[id].events.Deliver(k.ended(reason))
	}
	return live
}

// closeRoom stops the capture of a room that closes.
func (k *captureKind[I]) closeRoom(r *Room, reason string) {
	r.mu.Lock()
	live := k.takeLocked(r, reason)
	r.mu.Unlock()
	live.finish(reason)
}

// withdraw leaves an account out of every running capture of this kind
// from now on, as when it withdraws its consent from its own page (the
// ledger already says so); each of its participants hears that its
// answer is now "declined". It returns how many were being captured.
func (k *captureKind[I]) withdraw(m *Manager, userID string) int {
	if userID == "" {
		return 0
	}
	n := 0
	for _, r := range m.live() {
		r.mu.Lock()
		if live := *k.slot(r); live != nil {
			for id, answer := range live.consent {
				if mb := r.members[id]; mb != nil && mb.userID == userID && answer == ConsentGiven {
					live.consent[id] = ConsentDeclined
					live.sink.Deny(id)
					mb.events.Deliver(k.changed(&live.info, ConsentDeclined))
					n++
				}
			}
		}
		r.mu.Unlock()
	}
	return n
}

// finish detaches the capturer from the media and stops it (slow: files,
// engines); never under the room's lock.
func (c *capture[I]) finish(reason string) {
	if c == nil {
		return
	}
	if c.untap != nil {
		c.untap()
	}
	c.sink.Stop(reason)
}

// liveRoom returns the live room of a meeting, or nil.
func (m *Manager) liveRoom(meetingID string) *Room {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.rooms[meetingID]
}
