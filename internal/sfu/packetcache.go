package sfu

import (
	"math/bits"
	"sync"

	"github.com/pion/rtp"
)

// packetCache keeps the newest packets of one published video layer for
// retransmission. There is one per layer, shared by every subscriber: a
// NACK from any of them is answered from it with that subscriber's own
// sequence numbers (downTrack.resend). Pion's NACK responder would instead
// keep a copy of every packet per subscriber.
//
// It holds about cacheSpan of the layer's packets: fit resizes it from the
// layer's packet rate once a second (the control loop's rate sample), so a
// 125 kbit/s layer keeps 32 packets rather than the 256 a fixed size fit
// for a screen share needs. A NACK for anything older comes too late to
// help; the subscriber asks for a keyframe instead.
//
// The layer's reader goroutine writes; subscribers' RTCP goroutines read.
// A slot's buffer is allocated on its first use and reused after, so
// caching allocates nothing in steady state; only a resize allocates.
type packetCache struct {
	mu    sync.RWMutex
	slots []cachedPacket // a power of two long
}

type cachedPacket struct {
	valid   bool
	seq     uint16
	ts      uint32
	marker  bool
	payload []byte
}

// Cache sizes: slots for cacheSpan of packets, a power of two between
// minCacheSlots and maxCacheSlots; initialCacheSlots until the first rate
// sample.
const (
	cacheSpan         = 2 // seconds: a few round trips of NACK and resend
	minCacheSlots     = 32
	initialCacheSlots = 128
	maxCacheSlots     = 1024
)

func newPacketCache() *packetCache {
	return &packetCache{slots: make([]cachedPacket, initialCacheSlots)}
}

// put stores a copy of pkt, replacing the packet len(slots) numbers older.
func (c *packetCache) put(pkt *rtp.Packet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.slots[int(pkt.SequenceNumber)&(len(c.slots)-1)]
	s.valid = true
	s.seq = pkt.SequenceNumber
	s.ts = pkt.Timestamp
	s.marker = pkt.Marker
	s.payload = append(s.payload[:0], pkt.Payload...)
}

// get copies packet seq's payload into dst (reusing its storage) and
// returns it with the packet's timestamp and marker; ok is false when the
// packet is no longer (or was never) cached.
func (c *packetCache) get(seq uint16, dst []byte) (payload []byte, ts uint32, marker, ok bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s := &c.slots[int(seq)&(len(c.slots)-1)]
	if !s.valid || s.seq != seq {
		return dst, 0, false, false
	}
	return append(dst[:0], s.payload...), s.ts, s.marker, true
}

// fit sizes the cache for a layer arriving at pps packets a second. It
// grows as soon as the rate needs more slots and shrinks only when a
// quarter of them would do, so a rate near a boundary does not resize it
// every second. The cached packets move to the new slots.
func (c *packetCache) fit(pps float64) {
	want := cacheSlots(pps)
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(c.slots)
	if want == n || (want < n && want*4 > n) {
		return
	}
	slots := make([]cachedPacket, want)
	for _, s := range c.slots {
		if !s.valid {
			continue
		}
		d := &slots[int(s.seq)&(want-1)]
		// When shrinking, two packets may want one slot: keep the newer.
		if !d.valid || int16(s.seq-d.seq) > 0 {
			*d = s
		}
	}
	c.slots = slots
}

// cacheSlots is the power of two of slots that holds cacheSpan of packets.
func cacheSlots(pps float64) int {
	n := int(pps*cacheSpan + 0.5)
	if n <= minCacheSlots {
		return minCacheSlots
	}
	p := 1 << bits.Len(uint(n-1))
	return min(p, maxCacheSlots)
}
