// Package bwe estimates the bandwidth towards one subscriber from the
// transport-wide congestion control feedback its browser sends
// (draft-holmer-rmcat-transport-wide-cc-extensions-01), the way Google
// Congestion Control does (draft-ietf-rmcat-gcc-02): a delay-based detector
// that watches queues grow, an additive-increase/multiplicative-decrease
// rate controller on top of it, and a loss-based cap.
//
// It replaces Pion's cc and gcc interceptors on subscriber connections.
// Those kept a history entry per sent packet in a list and a map,
// unmarshalled every feedback packet into a pointer per reported packet,
// and together cost a fifth of the SFU's CPU and most of its allocations
// per forwarded packet. Here the per-packet state is a ring indexed by the
// transport-wide sequence number, sized to the packet rate, and feedback is parsed in place:
// sending and feedback allocate nothing. The estimate only picks simulcast
// layers; nothing is paced.
package bwe

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/conclave-meet/conclave/internal/rtcpraw"
)

// Config bounds the estimate. All rates are in bits per second.
type Config struct {
	Initial, Min, Max int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// The sent packets are remembered in a ring indexed by the transport-wide
// sequence number, sized to the connection's packet rate: it starts at
// minRing entries and doubles whenever a packet would take the slot of one
// sent less than keepFor ago that no feedback has reported on yet, up to
// maxRing (2.7 s at 3,000 packets a second, a dozen videos and a screen to
// one subscriber). keepFor is many times the 50–250 ms a browser takes to
// send feedback; feedback older than the ring is useless to a delay-based
// estimate and is ignored (the sequence number no longer matches its
// slot). Each entry is 18 bytes: a subscriber receiving 500 packets a
// second keeps at most 512 of them (9 KiB), fewer while feedback is
// prompt, where a ring fixed at the largest size would cost 144 KiB per
// subscriber connection.
const (
	minRing = 1 << 8
	maxRing = 1 << 13
	keepFor = time.Second
)

// Rate-control constants (GCC §6 and libwebrtc's AIMD controller).
const (
	decreaseFactor = 0.85                   // of the measured receive rate, on overuse
	increasePerSec = 1.08                   // multiplicative increase per second
	decreaseEvery  = 200 * time.Millisecond // at most one decrease per round trip
	rateWindow     = 500 * time.Millisecond // receive rate measured over this span of arrivals
	lossHigh       = 0.10
	lossMinPackets = 20
)

type sentPacket struct {
	at       time.Duration // since the estimator started
	size     int32
	seq      uint16
	valid    bool
	reported bool
}

// Estimator is one subscriber connection's bandwidth estimate.
type Estimator struct {
	target atomic.Int64
	acked  atomic.Uint64 // packets feedback has reported on, received or lost

	mu      sync.Mutex
	cfg     Config
	start   time.Time
	nextSeq uint16
	sent    []sentPacket // the ring; its length is a power of two
	mask    int          // len(sent) - 1
	// ext holds each packet's header extension payload: Pion marshals the
	// header after the write returns to the caller's stack, so the bytes
	// must outlive the call, and one slot per sequence number means two
	// writers never share one. A ring that grows leaves the old one to
	// the writers still holding a slot of it.
	ext      [][2]byte
	scratch  []arrival
	delay    delayDetector
	rate     float64 // target, bit/s
	recv     float64 // measured receive rate, bit/s; 0 until known
	lastRate time.Duration
	lastDown time.Duration
	winStart time.Duration // arrival time the current rate window opened
	winBytes int64
	winOpen  bool
	lost     int
	total    int
}

// New returns an estimator starting at cfg.Initial.
func New(cfg Config) *Estimator {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	e := &Estimator{cfg: cfg, start: cfg.Now(), rate: float64(cfg.Initial), delay: newDelayDetector(), lastDown: -decreaseEvery,
		sent: make([]sentPacket, minRing), ext: make([][2]byte, minRing), mask: minRing - 1}
	e.target.Store(int64(cfg.Initial))
	return e
}

// TargetBitrate is the current estimate in bits per second.
func (e *Estimator) TargetBitrate() int { return int(e.target.Load()) }

// Reported is how many sent packets feedback has reported on so far,
// received or lost: that congestion control hears from the receiver.
func (e *Estimator) Reported() uint64 { return e.acked.Load() }

// stamp records a packet of size bytes about to be sent and returns its
// transport-wide sequence number, marshalled for the header extension.
func (e *Estimator) stamp(size int) []byte {
	at := e.cfg.Now().Sub(e.start)
	e.mu.Lock()
	seq := e.nextSeq
	e.nextSeq++
	i := int(seq) & e.mask
	if old := &e.sent[i]; old.valid && !old.reported && at-old.at < keepFor && len(e.sent) < maxRing {
		e.grow()
		i = int(seq) & e.mask
	}
	e.sent[i] = sentPacket{at: at, size: int32(size), seq: seq, valid: true}
	b := e.ext[i][:]
	b[0], b[1] = byte(seq>>8), byte(seq)
	e.mu.Unlock()
	return b
}

// grow doubles the ring, keeping every packet it remembers: the ring holds
// fewer consecutive sequence numbers than it has slots, so each lands in a
// slot of its own in the larger one.
func (e *Estimator) grow() {
	n := 2 * len(e.sent)
	sent, ext := make([]sentPacket, n), make([][2]byte, n)
	for i, s := range e.sent {
		if s.valid {
			j := int(s.seq) & (n - 1)
			sent[j], ext[j] = s, e.ext[i]
		}
	}
	e.sent, e.ext, e.mask = sent, ext, n-1
}

// RingSize is how many sent packets the estimator remembers now.
func (e *Estimator) RingSize() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.sent)
}

// ReadRTCP takes one incoming compound RTCP packet and acts on the
// transport-wide feedback in it.
func (e *Estimator) ReadRTCP(b []byte) {
	for len(b) > 0 {
		p, rest, err := rtcpraw.Next(b)
		if err != nil {
			return
		}
		b = rest
		e.Feedback(p)
	}
}

// Feedback acts on one RTCP packet already split from its compound, if it
// is transport-wide feedback.
func (e *Estimator) Feedback(p rtcpraw.Packet) {
	if p.Type == rtcpraw.TypeTransportFB && p.Format == rtcpraw.FormatTWCC {
		e.feedback(p.Bytes)
	}
}

func (e *Estimator) feedback(b []byte) {
	now := e.cfg.Now().Sub(e.start)
	e.mu.Lock()
	defer e.mu.Unlock()
	arrivals, err := parseFeedback(b, e.scratch[:0])
	e.scratch = arrivals[:0]
	if err != nil {
		return
	}
	for _, a := range arrivals {
		s := &e.sent[int(a.seq)&e.mask]
		if !s.valid || s.seq != a.seq || s.reported {
			continue // never sent, long forgotten, or reported before
		}
		s.reported = true
		e.acked.Add(1)
		e.total++
		if !a.received {
			e.lost++
			continue
		}
		e.delay.add(s.at, a.at)
		e.measure(a.at, int64(s.size))
	}
	e.update(now)
}

// measure adds a received packet to the receive-rate window.
func (e *Estimator) measure(at time.Duration, size int64) {
	if !e.winOpen {
		e.winStart, e.winBytes, e.winOpen = at, 0, true
	}
	e.winBytes += size
	if span := at - e.winStart; span >= rateWindow {
		e.recv = float64(e.winBytes*8) / span.Seconds()
		e.winStart, e.winBytes = at, 0
	}
}

// update moves the target after a feedback packet.
func (e *Estimator) update(now time.Duration) {
	rate := e.rate
	switch e.delay.signal {
	case overuse:
		if now-e.lastDown >= decreaseEvery {
			base := rate
			if e.recv > 0 {
				base = min(rate, e.recv)
			}
			rate = decreaseFactor * base
			e.lastDown = now
		}
	case normal:
		dt := min(now-e.lastRate, time.Second).Seconds()
		next := rate * math.Pow(increasePerSec, dt)
		// Without probing, the estimate may not run far ahead of what the
		// link has been seen to carry.
		if e.recv > 0 {
			if limit := 1.5*e.recv + 10_000; next > limit {
				next = max(rate, limit)
			}
		}
		rate = next
	case underuse:
		// Hold: the queues are draining at the current rate.
	}
	if e.total >= lossMinPackets {
		if loss := float64(e.lost) / float64(e.total); loss > lossHigh {
			rate = min(rate, e.rate*(1-0.5*loss))
		}
		e.lost, e.total = 0, 0
	}
	e.rate = min(max(rate, float64(e.cfg.Min)), float64(e.cfg.Max))
	e.lastRate = now
	e.target.Store(int64(e.rate))
}
