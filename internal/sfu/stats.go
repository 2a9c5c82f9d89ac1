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
	ResentPackets               uint64 // packets resent from the layers' caches
	KeyframeRequests            uint64 // PLIs sent to publishers
	SubscriberLost              uint64 // cumulative loss reported by subscribers
	// TCPQueueDropped counts packets dropped for ICE-TCP subscribers whose
	// connection could not keep up (rather than stalling everyone else).
	TCPQueueDropped uint64
	// UDPSentDatagrams and UDPSendCalls: what the media UDP socket sent
	// and in how many sendmmsg calls (all time).
	UDPSentDatagrams, UDPSendCalls uint64
}

func (s *Stats) addTotals(o *totals) {
	s.ReceivedPackets += o.recvPackets.Load()
	s.ReceivedBytes += o.recvBytes.Load()
	s.ForwardedPackets += o.fwdPackets.Load()
	s.ForwardedBytes += o.fwdBytes.Load()
	s.NACKedPackets += o.nacked.Load()
	s.ResentPackets += o.resent.Load()
	s.KeyframeRequests += o.keyframes.Load()
	s.SubscriberLost += o.lost.Load()
}

// totals is one set of counters; every upLayer, upTrack and downTrack
// embeds one, and the engine keeps one for what closed.
type totals struct {
	recvPackets, recvBytes atomic.Uint64
	fwdPackets, fwdBytes   atomic.Uint64
	nacked, keyframes      atomic.Uint64
	resent                 atomic.Uint64
	lost                   atomic.Uint64
}

func (t *totals) fold(o *totals) {
	t.recvPackets.Add(o.recvPackets.Load())
	t.recvBytes.Add(o.recvBytes.Load())
	t.fwdPackets.Add(o.fwdPackets.Load())
	t.fwdBytes.Add(o.fwdBytes.Load())
	t.nacked.Add(o.nacked.Load())
	t.resent.Add(o.resent.Load())
	t.keyframes.Add(o.keyframes.Load())
	t.lost.Add(o.lost.Load())
}

// latencySampleEvery: one packet in this many per layer has its time inside
// the server measured, which keeps clock reads off most packets.
const latencySampleEvery = 32

// registry tracks live rooms for Stats and keeps the counters of closed
// ones.
//
// Counters move when something closes: from a live participant (or
// subscription) to retired. moves is held for reading across each move and
// for writing by Stats, so a scrape sees every counter exactly once, never
// in neither place: Prometheus would read the dip as a counter reset. It is
// always taken before any room or participant lock.
type registry struct {
	moves sync.RWMutex

	mu       sync.Mutex
	rooms    map[*Room]struct{}
	retiring map[*Participant]struct{} // left their room, connections closing
	retired  totals
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

// retire keeps the counters of something that closed. The caller holds
// moves for reading.
func (g *registry) retire(t *totals) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.retired.fold(t)
}

// leaving keeps counting p, which has left its room, until it is retired.
// The caller holds moves for reading.
func (g *registry) leaving(p *Participant) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.retiring == nil {
		g.retiring = map[*Participant]struct{}{}
	}
	g.retiring[p] = struct{}{}
}

// retireParticipant moves p's counters into the retired totals once its
// connections are closed.
func (g *registry) retireParticipant(p *Participant) {
	g.moves.RLock()
	defer g.moves.RUnlock()
	p.retire()
	g.mu.Lock()
	delete(g.retiring, p)
	g.mu.Unlock()
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
	e.reg.moves.Lock()
	defer e.reg.moves.Unlock()
	e.reg.mu.Lock()
	rooms := make([]*Room, 0, len(e.reg.rooms))
	for r := range e.reg.rooms {
		rooms = append(rooms, r)
	}
	leaving := make([]*Participant, 0, len(e.reg.retiring))
	for p := range e.reg.retiring {
		leaving = append(leaving, p)
	}
	var s Stats
	s.addTotals(&e.reg.retired)
	e.reg.mu.Unlock()
	s.Rooms = uint64(len(rooms))
	s.TCPQueueDropped = e.tcpDropped.Load()
	if b, ok := e.udp.(interface {
		Stats() (sent, calls, dropped uint64)
	}); ok {
		s.UDPSentDatagrams, s.UDPSendCalls, _ = b.Stats()
	}
	for _, r := range rooms {
		for _, p := range r.snapshot() {
			s.Participants++
			p.addStats(&s)
		}
	}
	for _, p := range leaving {
		var t Stats
		p.addStats(&t) // counters only: it is no longer a participant
		t.Tracks = 0
		s.add(&t)
	}
	return s
}

// add adds o's counters (not its current figures) to s.
func (s *Stats) add(o *Stats) {
	s.ReceivedPackets += o.ReceivedPackets
	s.ReceivedBytes += o.ReceivedBytes
	s.ForwardedPackets += o.ForwardedPackets
	s.ForwardedBytes += o.ForwardedBytes
	s.NACKedPackets += o.NACKedPackets
	s.ResentPackets += o.ResentPackets
	s.KeyframeRequests += o.KeyframeRequests
	s.SubscriberLost += o.SubscriberLost
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

// retire moves a closing participant's counters into the engine's, once:
// afterwards its subscriptions are no longer counted anywhere else.
func (p *Participant) retire() {
	var t totals
	p.mu.Lock()
	if p.retired {
		p.mu.Unlock()
		return
	}
	p.retired = true
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
