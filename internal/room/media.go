package room

import (
	"sync"
	"sync/atomic"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/sfu"
)

// The room drives media through the small interfaces below rather than the
// SFU's concrete types, so that its logic (admission, moderation, locking)
// is tested without sockets or peer connections. SFU adapts a real engine.

// MediaFactory starts the media of one live meeting. onSpeaker is called
// from the media's own goroutine whenever the active speaker changes ("":
// nobody); the room's callback never blocks.
type MediaFactory func(meetingID string, onSpeaker func(participantID string)) Media

// Media is one meeting's media server.
type Media interface {
	// Join sets up a participant's media (peer connections, a first offer
	// through sig). It is slow, so the room calls it without its lock.
	Join(participantID string, sig sfu.Signaller) (MediaParticipant, error)
	// AddTap attaches tap to every track published, now and later, until
	// remove (sfu.Room.AddTap): how a recording takes media.
	AddTap(tap sfu.Tap) (remove func())
	// Close disconnects every participant's media and stops the meeting's.
	Close()
}

// MediaParticipant is one member's media as the room drives it: host mutes
// and the screen-share gate, and closing it when the member goes.
type MediaParticipant interface {
	MediaSession
	SetBlocked(source sfu.Source, blocked bool)
	Close()
}

// MediaSession is what the signalling layer drives directly on a member's
// media (Member.Media): SDP, ICE and tile sizes. The room only hands it out.
type MediaSession interface {
	Publish(offer webrtc.SessionDescription, sources map[string]sfu.Source) (webrtc.SessionDescription, error)
	SubscribeAnswer(answer webrtc.SessionDescription) error
	AddCandidate(pc string, c webrtc.ICECandidateInit) error
	RestartICE()
	SetVideoSize(owner string, source sfu.Source, width, height int)
}

// The SFU's participant is the media participant as it is.
var _ MediaParticipant = (*sfu.Participant)(nil)

// SFU is the media of live meetings on a real SFU engine.
func SFU(e *sfu.Engine) MediaFactory {
	return func(meetingID string, onSpeaker func(string)) Media {
		return sfuRoom{e.NewRoom(meetingID, onSpeaker)}
	}
}

// sfuRoom adapts *sfu.Room, whose Join returns the concrete participant.
type sfuRoom struct{ *sfu.Room }

func (r sfuRoom) Join(id string, sig sfu.Signaller) (MediaParticipant, error) {
	p, err := r.Room.Join(id, sig)
	if err != nil {
		// Not p: a nil *sfu.Participant in the interface would not be nil.
		return nil, err
	}
	return p, nil
}

// speakerBox hands the active speaker from the media's control loop to the
// room without ever waiting on the room's lock: put stores the latest value
// and returns, and one goroutine per room applies it under the lock. A burst
// of changes may collapse into its last value; the last one always arrives.
type speakerBox struct {
	latest atomic.Pointer[string]
	wake   chan struct{} // one slot: a pending wake-up covers every put before it is taken
	stop   chan struct{}
	once   sync.Once
}

func newSpeakerBox() *speakerBox {
	return &speakerBox{wake: make(chan struct{}, 1), stop: make(chan struct{})}
}

// put is the media's onSpeaker callback.
func (b *speakerBox) put(id string) {
	b.latest.Store(&id)
	select {
	case b.wake <- struct{}{}:
	default: // a wake-up is already pending and will read this value
	}
}

// run applies the latest value after each wake-up until close.
func (b *speakerBox) run(apply func(id string)) {
	for {
		select {
		case <-b.stop:
			return
		case <-b.wake:
			apply(*b.latest.Load())
		}
	}
}

// close stops run; it is safe to call more than once.
func (b *speakerBox) close() { b.once.Do(func() { close(b.stop) }) }

// gatedSignaller passes the media's subscribe offers to a member only once
// it is admitted. Media.Join may already offer (a late joiner subscribes to
// what is published), before the room has decided, without its lock,
// whether the admission stands. Offers made meanwhile wait, in order, for
// the welcome; those of an admission cancelled meanwhile are dropped, so a
// client never answers an offer for a connection that was closed.
type gatedSignaller struct {
	ev Events

	mu     sync.Mutex
	open   bool
	closed bool
	held   []heldOffer
}

type heldOffer struct {
	offer  webrtc.SessionDescription
	tracks map[string]sfu.TrackInfo
}

func (s *gatedSignaller) SubscribeOffer(offer webrtc.SessionDescription, tracks map[string]sfu.TrackInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.open:
		s.ev.SubscribeOffer(offer, tracks)
	case !s.closed:
		s.held = append(s.held, heldOffer{offer, tracks})
	}
}

// release sends the held offers and lets later ones through; the room calls
// it right after the member's welcome, under its lock (Events never block).
func (s *gatedSignaller) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, h := range s.held {
		s.ev.SubscribeOffer(h.offer, h.tracks)
	}
	s.open, s.held = true, nil
}

// drop discards held offers and every later one: the admission failed.
func (s *gatedSignaller) drop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed, s.held = true, nil
}
