package sfu

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Room forwards media among the participants of one meeting. The room
// package owns membership; Room only mirrors it for media purposes.
type Room struct {
	engine    *Engine
	id        string
	log       *slog.Logger
	onSpeaker func(participantID string)

	mu           sync.Mutex
	participants map[string]*Participant
	closed       bool

	tapMu sync.Mutex
	taps  taps // tap.go

	cancel context.CancelFunc
	done   chan struct{}

	// control serialises the control loop's work (control.go), whether the
	// loop's tickers or Engine.Step run it.
	control   sync.Mutex
	speaker   *speakerDetector
	lastRates time.Time
}

// NewRoom starts a room. onSpeaker is called from the room's goroutine when
// the active speaker changes ("" = nobody); it must not block.
func (e *Engine) NewRoom(id string, onSpeaker func(participantID string)) *Room {
	ctx, cancel := context.WithCancel(context.Background())
	r := &Room{
		engine:       e,
		id:           id,
		log:          e.log.With("room", id),
		onSpeaker:    onSpeaker,
		participants: make(map[string]*Participant),
		speaker:      newSpeakerDetector(),
		lastRates:    e.now(),
		cancel:       cancel,
		done:         make(chan struct{}),
	}
	e.reg.add(r)
	go r.controlLoop(ctx)
	return r
}

// Join adds a participant. sig receives what must be sent to its client.
func (r *Room) Join(id string, sig Signaller) (*Participant, error) {
	p, err := newParticipant(r, id, sig)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		p.closePeerConnections()
		return nil, fmt.Errorf("sfu: room %s is closed", r.id)
	}
	if _, dup := r.participants[id]; dup {
		r.mu.Unlock()
		p.closePeerConnections()
		return nil, fmt.Errorf("sfu: participant %s already in room", id)
	}
	others := r.othersLocked(id)
	r.participants[id] = p
	r.mu.Unlock()
	// A late joiner subscribes to everything already published.
	for _, q := range others {
		for _, up := range q.publishedTracks() {
			p.subscribe(up)
		}
	}
	return p, nil
}

// publish fans a new upTrack out to every other participant.
func (r *Room) publish(owner *Participant, up *upTrack) {
	r.mu.Lock()
	others := r.othersLocked(owner.id)
	r.mu.Unlock()
	for _, q := range others {
		q.subscribe(up)
	}
	r.tapTrack(up)
}

// remove takes p out of the room and its tracks out of everyone's view. It
// reports false when p was not (or no longer) in the room.
func (r *Room) remove(p *Participant) bool {
	reg := &r.engine.reg
	reg.moves.RLock()
	r.mu.Lock()
	if r.participants[p.id] != p {
		r.mu.Unlock()
		reg.moves.RUnlock()
		return false
	}
	delete(r.participants, p.id)
	others := r.othersLocked(p.id)
	r.mu.Unlock()
	reg.leaving(p) // still counted until retired
	reg.moves.RUnlock()
	ups := p.publishedTracks()
	for _, q := range others {
		q.unsubscribe(ups)
	}
	r.untapTracks(ups)
	return true
}

func (r *Room) othersLocked(except string) []*Participant {
	out := make([]*Participant, 0, len(r.participants))
	for id, q := range r.participants {
		if id != except {
			out = append(out, q)
		}
	}
	return out
}

func (r *Room) snapshot() []*Participant {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.othersLocked("")
}

// Close disconnects every participant's media and stops the room.
func (r *Room) Close() {
	reg := &r.engine.reg
	reg.moves.RLock() // before r.mu: the order Stats takes them in
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		reg.moves.RUnlock()
		return
	}
	r.closed = true
	ps := r.othersLocked("")
	r.participants = map[string]*Participant{}
	r.mu.Unlock()
	for _, p := range ps {
		reg.leaving(p) // still counted until retired
	}
	reg.moves.RUnlock()
	for _, p := range ps {
		p.closePeerConnections()
		reg.retireParticipant(p)
	}
	r.closeTaps()
	reg.remove(r)
	r.cancel()
	<-r.done
}
