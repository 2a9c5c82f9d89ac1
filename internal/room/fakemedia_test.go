package room

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/sfu"
)

// fakeMedia is media without sockets: it records what the room asks of it,
// and a test can hold a participant's media join (to act meanwhile) or make
// it fail. Holds and failures are keyed by the member's Events, the one
// thing a test knows before the room picks the participant ID.
type fakeMedia struct {
	mu    sync.Mutex
	rooms []*fakeRoom // every meeting's media, in the order started
	holds map[sfu.Signaller]*mediaHold
	fails map[sfu.Signaller]error
	offer bool // every join offers at once, as a late joiner's does
}

// mediaHold stops one media join: started is closed when it begins, and it
// goes on after let.
type mediaHold struct {
	started, release chan struct{}
	once             sync.Once
}

// let lets the held media join go on; it is safe to call more than once.
func (h *mediaHold) let() { h.once.Do(func() { close(h.release) }) }

func newFakeMedia() *fakeMedia {
	return &fakeMedia{holds: map[sfu.Signaller]*mediaHold{}, fails: map[sfu.Signaller]error{}}
}

// newRoom is the MediaFactory.
func (f *fakeMedia) newRoom(meetingID string, onSpeaker func(string)) Media {
	r := &fakeRoom{f: f, id: meetingID, onSpeaker: onSpeaker, parts: map[string]*fakeParticipant{}}
	f.mu.Lock()
	defer f.mu.Unlock()
	r.tag = fmt.Sprintf("%s#%d", meetingID, len(f.rooms))
	f.rooms = append(f.rooms, r)
	return r
}

// hold makes the next media join for sig wait for the hold's let. A test
// that fails first lets it go at cleanup, before the manager shuts down.
func (f *fakeMedia) hold(t *testing.T, sig sfu.Signaller) *mediaHold {
	h := &mediaHold{started: make(chan struct{}), release: make(chan struct{})}
	t.Cleanup(h.let)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.holds[sig] = h
	return h
}

// fail makes the next media join for sig fail with err.
func (f *fakeMedia) fail(sig sfu.Signaller, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fails[sig] = err
}

// offerOnJoin makes every media join send a subscribe offer at once, its
// SDP naming the meeting's media ("m#0" for the first).
func (f *fakeMedia) offerOnJoin() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.offer = true
}

// take returns, and forgets, the hold and failure set for ev; the room
// wraps the member's events in a gatedSignaller.
func (f *fakeMedia) take(sig sfu.Signaller) (h *mediaHold, offer bool, err error) {
	ev := sig
	if g, ok := sig.(*gatedSignaller); ok {
		ev = g.ev
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	h, err = f.holds[ev], f.fails[ev]
	delete(f.holds, ev)
	delete(f.fails, ev)
	return h, f.offer, err
}

// room returns the i-th meeting media started.
func (f *fakeMedia) room(i int) *fakeRoom {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rooms[i]
}

// participants returns every participant's media ever joined, all rooms.
func (f *fakeMedia) participants() []*fakeParticipant {
	f.mu.Lock()
	rooms := append([]*fakeRoom(nil), f.rooms...)
	f.mu.Unlock()
	var out []*fakeParticipant
	for _, r := range rooms {
		r.mu.Lock()
		out = append(out, r.joined...)
		r.mu.Unlock()
	}
	return out
}

type fakeRoom struct {
	f         *fakeMedia
	id        string
	tag       string // SDP of its offers
	onSpeaker func(string)

	mu     sync.Mutex
	parts  map[string]*fakeParticipant
	joined []*fakeParticipant
	closed bool
	taps   int // attached and not removed
}

// AddTap counts the taps attached; the fake publishes no tracks.
func (r *fakeRoom) AddTap(sfu.Tap) func() {
	r.mu.Lock()
	r.taps++
	r.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			r.taps--
			r.mu.Unlock()
		})
	}
}

func (r *fakeRoom) tapCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.taps
}

var errFakeClosed = errors.New("fake media: room closed")

func (r *fakeRoom) Join(id string, sig sfu.Signaller) (MediaParticipant, error) {
	h, offer, err := r.f.take(sig)
	if offer {
		sig.SubscribeOffer(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: r.tag}, nil)
	}
	if h != nil {
		close(h.started)
		<-h.release
	}
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errFakeClosed
	}
	p := &fakeParticipant{room: r, id: id, blocked: map[sfu.Source]bool{}}
	r.parts[id] = p
	r.joined = append(r.joined, p)
	return p, nil
}

func (r *fakeRoom) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, p := range r.parts {
		p.close()
	}
	r.parts = map[string]*fakeParticipant{}
}

func (r *fakeRoom) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

type fakeParticipant struct {
	room *fakeRoom
	id   string

	mu      sync.Mutex
	blocked map[sfu.Source]bool
	closed  bool
}

func (p *fakeParticipant) Publish(webrtc.SessionDescription, map[string]sfu.Source) (webrtc.SessionDescription, error) {
	return webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer}, nil
}
func (p *fakeParticipant) SubscribeAnswer(webrtc.SessionDescription) error    { return nil }
func (p *fakeParticipant) AddCandidate(string, webrtc.ICECandidateInit) error { return nil }
func (p *fakeParticipant) RestartICE()                                        {}
func (p *fakeParticipant) SetVideoSize(string, sfu.Source, int, int)          {}

func (p *fakeParticipant) SetBlocked(s sfu.Source, blocked bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked[s] = blocked
}

func (p *fakeParticipant) Close() {
	p.room.mu.Lock()
	if p.room.parts[p.id] == p {
		delete(p.room.parts, p.id)
	}
	p.room.mu.Unlock()
	p.close()
}

func (p *fakeParticipant) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
}

func (p *fakeParticipant) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

func (p *fakeParticipant) isBlocked(s sfu.Source) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.blocked[s]
}
