package bwe

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
)

// link simulates a sender using the estimate, a bottleneck with a FIFO
// queue, and a receiver sending Pion-built transport-wide feedback every
// 50 ms. Time is simulated: the estimator's clock is the simulation's.
type link struct {
	t        *testing.T
	now      time.Time
	est      *Estimator
	capacity float64 // bit/s
	appRate  float64 // most the sender has to send, bit/s
	loss     float64 // random loss probability
	rng      *rand.Rand
	rec      *twcc.Recorder
	free     time.Time // when the bottleneck is next idle
	nextSend time.Time
	nextFB   time.Time
	inFlight []flight
	maxQueue time.Duration // largest queueing delay seen
}

type flight struct {
	seq uint16
	at  time.Time
}

const (
	packetSize = 1200
	propDelay  = 20 * time.Millisecond
	fbInterval = 50 * time.Millisecond
	queueLimit = 400 * time.Millisecond // tail drop beyond this
)

func newLink(t *testing.T, capacity, appRate float64) *link {
	l := &link{t: t, now: time.Unix(1_000_000, 0), capacity: capacity, appRate: appRate,
		rng: rand.New(rand.NewPCG(7, 9)), rec: twcc.NewRecorder(1)}
	l.est = New(Config{Initial: 1_000_000, Min: 100_000, Max: 20_000_000, Now: func() time.Time { return l.now }})
	l.free, l.nextSend, l.nextFB = l.now, l.now, l.now.Add(fbInterval)
	return l
}

// run advances the simulation by d in 1 ms steps.
func (l *link) run(d time.Duration) {
	end := l.now.Add(d)
	for l.now.Before(end) {
		for !l.nextSend.After(l.now) {
			l.send()
		}
		for len(l.inFlight) > 0 && !l.inFlight[0].at.After(l.now) {
			f := l.inFlight[0]
			l.inFlight = l.inFlight[1:]
			l.rec.Record(2, f.seq, f.at.UnixMicro())
		}
		if !l.nextFB.After(l.now) {
			for _, p := range l.rec.BuildFeedbackPacket() {
				b, err := p.Marshal()
				if err != nil {
					l.t.Fatal(err)
				}
				l.est.ReadRTCP(b)
			}
			l.nextFB = l.nextFB.Add(fbInterval)
		}
		l.now = l.now.Add(time.Millisecond)
	}
}

// send puts one packet on the wire at the lower of the estimate and what
// the application has.
func (l *link) send() {
	ext := l.est.stamp(packetSize)
	seq := uint16(ext[0])<<8 | uint16(ext[1])
	rate := min(float64(l.est.TargetBitrate()), l.appRate)
	l.nextSend = l.nextSend.Add(time.Duration(packetSize * 8 / rate * float64(time.Second)))
	start := l.free
	if start.Before(l.now) {
		start = l.now
	}
	queued := start.Sub(l.now)
	l.maxQueue = max(l.maxQueue, queued)
	if queued > queueLimit || l.rng.Float64() < l.loss {
		return
	}
	l.free = start.Add(time.Duration(packetSize * 8 / l.capacity * float64(time.Second)))
	l.inFlight = append(l.inFlight, flight{seq: seq, at: l.free.Add(propDelay)})
}

func (l *link) target() float64 { return float64(l.est.TargetBitrate()) }

// TestEstimateRisesToCapacity: on an empty 3 Mbit/s link the estimate
// climbs from its 1 Mbit/s start to the capacity and stays near it.
func TestEstimateRisesToCapacity(t *testing.T) {
	l := newLink(t, 3e6, 20e6)
	l.run(60 * time.Second)
	if got := l.target(); got < 0.6*3e6 || got > 1.3*3e6 {
		t.Fatalf("after 60 s on a 3 Mbit/s link the estimate is %.0f bit/s", got)
	}
}

// TestEstimateFollowsCapacityDown: when the bottleneck shrinks, the
// growing queue is detected and the estimate drops to the new capacity.
func TestEstimateFollowsCapacityDown(t *testing.T) {
	l := newLink(t, 3e6, 20e6)
	l.run(60 * time.Second)
	l.capacity = 1e6
	l.run(5 * time.Second)
	if got := l.target(); got > 1.2e6 {
		t.Fatalf("5 s after the link fell to 1 Mbit/s the estimate is still %.0f bit/s", got)
	}
	l.maxQueue = 0
	l.run(20 * time.Second)
	if l.maxQueue > 200*time.Millisecond {
		t.Errorf("queueing delay reached %v at the new capacity", l.maxQueue)
	}
	if got := l.target(); got < 0.5e6 {
		t.Errorf("the estimate collapsed to %.0f bit/s on a 1 Mbit/s link", got)
	}
}

// TestEstimateBacksOffUnderLoss: random loss of 20 % without any queue
// pulls the estimate down.
func TestEstimateBacksOffUnderLoss(t *testing.T) {
	l := newLink(t, 50e6, 20e6)
	l.loss = 0.2
	l.run(10 * time.Second)
	if got := l.target(); got >= 1e6 {
		t.Fatalf("with 20 %% loss the estimate is %.0f bit/s, not below its 1 Mbit/s start", got)
	}
}

// TestEstimateHoldsWhenApplicationLimited: a sender with less to send than
// the estimate neither drags it down nor lets it run away.
func TestEstimateHoldsWhenApplicationLimited(t *testing.T) {
	l := newLink(t, 50e6, 300e3)
	l.run(30 * time.Second)
	if got := l.target(); got < 0.9e6 || got > 1.1e6 {
		t.Fatalf("sending 300 kbit/s on a wide link moved the estimate to %.0f bit/s", got)
	}
}

// TestStaleAndRepeatedFeedbackIgnored: feedback about packets never sent,
// or reported twice, changes nothing.
func TestStaleAndRepeatedFeedbackIgnored(t *testing.T) {
	l := newLink(t, 3e6, 20e6)
	b := feedbackFor(t, map[uint16]time.Duration{40000: 0, 40001: time.Millisecond}, 40000, 40002)
	l.est.ReadRTCP(b)
	l.est.ReadRTCP(b)
	if l.est.total != 0 {
		t.Fatalf("%d unknown packets counted", l.est.total)
	}
}

// TestFeedbackOlderThanTheRingIgnored: once a full ring of later packets
// has been sent, feedback about a packet finds its slot taken and counts
// for nothing; feedback about the packet in the slot counts.
func TestFeedbackOlderThanTheRingIgnored(t *testing.T) {
	l := newLink(t, 3e6, 20e6)
	for range maxRing + 1 { // all at one instant: the ring grows to its largest
		l.est.stamp(1200)
	}
	l.est.ReadRTCP(feedbackFor(t, map[uint16]time.Duration{0: 0}, 0, 1))
	if l.est.total != 0 {
		t.Fatalf("feedback about a packet %d sends ago counted", maxRing)
	}
	l.est.ReadRTCP(feedbackFor(t, map[uint16]time.Duration{maxRing: 0}, maxRing, maxRing+1))
	if l.est.total != 1 {
		t.Fatalf("feedback about the newest packet: %d counted, want 1", l.est.total)
	}
}

// TestRingFitsThePacketRate: the ring stays small while feedback comes
// promptly, and without feedback it grows to hold keepFor of packets at
// the rate sent, no more.
func TestRingFitsThePacketRate(t *testing.T) {
	l := newLink(t, 30e6, 15e6)
	l.est = New(Config{Initial: 15_000_000, Min: 1e5, Max: 2e7, Now: func() time.Time { return l.now }})
	l.run(3 * time.Second) // 1,560 packets a second, feedback every 50 ms
	if l.est.Reported() < 4000 {
		t.Fatalf("only %d packets reported on", l.est.Reported())
	}
	if got := l.est.RingSize(); got != minRing {
		t.Errorf("with prompt feedback the ring has %d slots, want %d", got, minRing)
	}
	for _, c := range []struct {
		every time.Duration
		want  int
	}{
		{10 * time.Millisecond, minRing},  // 100 a second: 1 s fits the smallest ring
		{500 * time.Microsecond, 2048},    // 2,000 a second: 1.02 s
		{100 * time.Microsecond, maxRing}, // 10,000 a second: capped
	} {
		now := time.Unix(1_000_000, 0)
		e := New(Config{Initial: 1e6, Min: 1e5, Max: 2e7, Now: func() time.Time { return now }})
		for range 3 * time.Second / c.every {
			e.stamp(1200)
			now = now.Add(c.every)
		}
		if got := e.RingSize(); got != c.want {
			t.Errorf("a packet every %v without feedback: %d slots, want %d", c.every, got, c.want)
		}
	}
}

// TestGrowingKeepsPacketsInFlight: packets sent before the ring grew are
// still known when their feedback arrives.
func TestGrowingKeepsPacketsInFlight(t *testing.T) {
	l := newLink(t, 3e6, 20e6)
	const n = 3 * minRing
	for range n {
		l.est.stamp(1200)
	}
	if got := l.est.RingSize(); got < n {
		t.Fatalf("%d packets in flight in a ring of %d", n, got)
	}
	arrivals := map[uint16]time.Duration{}
	for i := range uint16(n) {
		arrivals[i] = time.Duration(i) * 100 * time.Microsecond
	}
	l.est.ReadRTCP(feedbackFor(t, arrivals, 0, n))
	if got := l.est.Reported(); got != n {
		t.Fatalf("feedback reported %d of the %d packets", got, n)
	}
}

// TestSendingAndFeedbackAllocateNothing: stamping a packet and reading a
// feedback packet about it allocate nothing once the parser's scratch
// space and the ring have grown.
func TestSendingAndFeedbackAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector; ./test.sh runs this without it")
	}
	e := New(Config{Initial: 1e6, Min: 1e5, Max: 2e7})
	arrivals := map[uint16]time.Duration{}
	for i := range uint16(64) {
		if i%7 != 0 {
			arrivals[i] = time.Duration(i) * 3 * time.Millisecond
		}
	}
	fb := feedbackFor(t, arrivals, 0, 64)
	e.ReadRTCP(fb) // grows the scratch space
	for range maxRing {
		e.stamp(1200) // and the ring: nothing reports on these
	}
	allocs := testing.AllocsPerRun(100, func() {
		for range 64 {
			e.stamp(1200)
		}
		e.ReadRTCP(fb)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per 64 packets and a feedback", allocs)
	}
}
