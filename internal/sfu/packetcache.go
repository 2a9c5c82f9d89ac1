package sfu

import (
	"sync"

	"github.com/pion/rtp"
)

// packetCache keeps the newest nackCache packets of one published video
// layer for retransmission. There is one per layer, shared by every
// subscriber: a NACK from any of them is answered from it with that
// subscriber's own sequence numbers (downTrack.resend). Pion's NACK
// responder would instead keep a copy of every packet per subscriber.
//
// The layer's reader goroutine writes; subscribers' RTCP goroutines read.
// A slot's buffer is allocated on its first use and reused after, so
// caching allocates nothing in steady state.
type packetCache struct {
	mu    sync.RWMutex
	slots [nackCache]cachedPacket
}

type cachedPacket struct {
	valid   bool
	seq     uint16
	ts      uint32
	marker  bool
	payload []byte
}

// put stores a copy of pkt, replacing the packet nackCache numbers older.
func (c *packetCache) put(pkt *rtp.Packet) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.slots[pkt.SequenceNumber%nackCache]
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
	s := &c.slots[seq%nackCache]
	if !s.valid || s.seq != seq {
		return dst, 0, false, false
	}
	return append(dst[:0], s.payload...), s.ts, s.marker, true
}
