package sfu

import (
	"sync"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of the media server's counters. Counters are kept
// where the work happens (each layer and each subscriber track has its own,
// written by one goroutine) and summed only when somebody asks, so that
// metrics cost the forwarding path no shared cache line.
type Stats struct {
	Rooms, Participants, Tracks uint64 // current
	ReceivedPackets             uint64 // from publishers, all time
	ReceivedBytes               uint64
	ForwardedPackets            uint64 // to subscribers, all time
	ForwardedBytes              uint64
	NACKedPackets               uint64 // packets subscribers asked to resend
	KeyframeRequests            uint64 // PLIs sent to publishers
	SubscriberLost              uint64 // cumulative loss reported by subscribers
}

func (s *Stats) addTotals(o *totals) {
	s.ReceivedPackets += o.recvPackets.Load()
	s.ReceivedBytes += o.recvBytes.Load()
	s.ForwardedPackets += o.fwdPackets.Load()
	s.ForwardedBytes += o.fwdBytes.Load()
	s.NACKedPackets += o.nacked.Load()
	s.KeyframeRequests += o.keyframes.Load()
	s.SubscriberLost += o.lost.Load()
}

// totals is one set of counters; every upLayer, upTrack and downTrack
// embeds one, and the engine keeps one for what closed.
type totals struct {
	recvPackets, recvBytes atomic.Uint64
	fwdPackets, fwdBytes   atomic.Uint64
	nacked, keyframes      atomic.Uint64
	lost                   atomic.Uint64
}

func (t *totals) fold(o *totals) {
	t.recvPackets.Add(o.recvPackets.Load())
	t.recvBytes.Add(o.recvBytes.Load())
	t.fwdPackets.Add(o.fwdPackets.Load())
	t.fwdBytes.Add(o.fwdBytes.Load())
	t.nacked.Add(o.nacked.Load())
	t.keyframes.Add(o.keyframes.Load())
	t.lost.Add(o.lost.Load())
}

// latencySampleEvery: one packet in this many per layer has its time inside
// the server measured, which keeps clock reads off most packets.
const latencySampleEvery = 32

// registry tracks live rooms for Stats and keeps the counters of closed
// ones.
type registry struct {
	mu      sync.Mutex
	rooms   map[*Room]struct{}
	retired totals
	// observe receives sampled in-server latencies; nil turns sampling off.
	observe atomic.Pointer[func(time.Duration)]
}

func (g *registry) add(r *Room) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.rooms == nil {
		g.rooms = map[*Room]struct{}{}
	}
	g.rooms[r] = struct{}{}
}

// retire keeps the counters of something that closed.
func (g *registry) retire(t *totals) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.retired.fold(t)
}

func (g *registry) remove(r *Room) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.rooms, r)
}

// SetLatencyObserver installs a function that receives the sampled time
// between a packet leaving Pion's receive path and its write to one
// subscriber returning. It must be cheap and safe for concurrent use.
func (e *Engine) SetLatencyObserver(f func(time.Duration)) {
	e.reg.observe.Store(&f)
}

// Stats sums the counters of every live room and of everything closed.
func (e *Engine) Stats() Stats {
	e.reg.mu.Lock()
	rooms := make([]*Room, 0, len(e.reg.rooms))
	for r := range e.reg.rooms {
		rooms = append(rooms, r)
	}
	var s Stats
	s.addTotals(&e.reg.retired)
	e.reg.mu.Unlock()
	s.Rooms = uint64(len(rooms))
	for _, r := range rooms {
		for _, p := range r.snapshot() {
			s.Participants++
			p.addStats(&s)
		}
	}
	return s
}

// addStats adds this participant's published and subscribed counters.
func (p *Participant) addStats(s *Stats) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, up := range p.ups {
		s.Tracks++
		up.addStats(s)
	}
	for _, d := range p.downs {
		s.addTotals(&d.stats)
	}
}

func (u *upTrack) addStats(s *Stats) {
	s.addTotals(&u.stats)
	for _, l := range u.layerSnapshot() {
		s.addTotals(&l.stats)
	}
}

// retire moves a closing participant's counters into the engine's.
func (p *Participant) retire() {
	var t totals
	p.mu.Lock()
	for _, up := range p.ups {
		t.fold(&up.stats)
		for _, l := range up.layerSnapshot() {
			t.fold(&l.stats)
		}
	}
	for _, d := range p.downs {
		t.fold(&d.stats)
	}
	p.mu.Unlock()
	p.room.engine.reg.retire(&t)
}
