package sfu

import (
	"bytes"
	"testing"

	"github.com/pion/rtp"
)

// recordingWriter keeps every packet a downTrack writes.
type recordingWriter struct{ pkts []rtp.Packet }

func (w *recordingWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.pkts = append(w.pkts, rtp.Packet{Header: *h, Payload: append([]byte(nil), payload...)})
	return len(payload), nil
}

func (w *recordingWriter) Write(b []byte) (int, error) { return len(b), nil }

func recordedDown(up *upTrack, ssrc uint32) (*downTrack, *recordingWriter) {
	w := &recordingWriter{}
	d := newDownTrack(up)
	d.bound, d.ssrc, d.pt, d.writer = true, ssrc, ptVP8, w
	up.addSink(d)
	return d, w
}

// tagged is a VP8 packet whose payload says where it came from.
func tagged(seq uint16, ts uint32, keyframe bool, tag byte) *rtp.Packet {
	p := vp8Packet(seq, ts, keyframe)
	p.Payload[2] = tag
	return p
}

// A NACK is answered from the layer's shared cache with the packet exactly
// as this subscriber first got it, across a layer switch, and by two
// subscribers with different numbering from the one cached copy.
func TestResendRewritesFromTheSharedCache(t *testing.T) {
	up := newVideoUp()
	low := up.addLayer("l", 1, nil)
	high := up.addLayer("h", 2, nil)
	d, w := recordedDown(up, 9)
	d.target = low
	up.forward(low, tagged(500, 1000, true, 'a'), 1000)
	up.forward(low, tagged(501, 1000, false, 'b'), 1000)
	d.setTarget(high)
	up.forward(high, tagged(9000, 783000, true, 'c'), 1000) // switch
	up.forward(high, tagged(9001, 786000, false, 'd'), 1000)
	if len(w.pkts) != 4 {
		t.Fatalf("forwarded %d packets, want 4", len(w.pkts))
	}
	// A later subscriber numbers the same high-layer packets its own way.
	d2, w2 := recordedDown(up, 10)
	d2.target = high
	up.forward(high, tagged(9002, 789000, true, 'e'), 1000)
	if len(w2.pkts) != 1 {
		t.Fatalf("second subscriber got %d packets", len(w2.pkts))
	}

	sent := append([]rtp.Packet(nil), w.pkts...)
	d.resend([]uint16{sent[1].SequenceNumber, sent[3].SequenceNumber, sent[4].SequenceNumber + 1})
	if len(w.pkts) != len(sent)+2 {
		t.Fatalf("resent %d packets, want 2 (the unsent number is skipped)", len(w.pkts)-len(sent))
	}
	for i, orig := range []rtp.Packet{sent[1], sent[3]} {
		got := w.pkts[len(sent)+i]
		if got.SequenceNumber != orig.SequenceNumber || got.Timestamp != orig.Timestamp ||
			got.SSRC != orig.SSRC || got.PayloadType != orig.PayloadType || !bytes.Equal(got.Payload, orig.Payload) {
			t.Fatalf("resent %d: %+v, first sent as %+v", i, got.Header, orig.Header)
		}
	}
	d2.resend([]uint16{w2.pkts[0].SequenceNumber})
	if len(w2.pkts) != 2 || w2.pkts[1].SSRC != 10 || w2.pkts[1].Payload[2] != 'e' {
		t.Fatalf("second subscriber's resend: %+v", w2.pkts)
	}
	if d.stats.resent.Load() != 2 || d2.stats.resent.Load() != 1 {
		t.Fatalf("resent counters %d, %d", d.stats.resent.Load(), d2.stats.resent.Load())
	}
}

// Packets older than the cache are not resent (the subscriber falls back to
// a keyframe request).
func TestResendSkipsEvictedPackets(t *testing.T) {
	up := newVideoUp()
	l := up.addLayer("", 1, nil)
	d, w := recordedDown(up, 9)
	d.target = l
	up.forward(l, vp8Packet(1, 0, true), 1000)
	first := w.pkts[0].SequenceNumber
	for i := uint16(2); i < 2+initialCacheSlots; i++ {
		up.forward(l, vp8Packet(i, uint32(i)*3000, false), 1000)
	}
	n := len(w.pkts)
	d.resend([]uint16{first})
	if len(w.pkts) != n {
		t.Fatal("resent a packet that left the cache")
	}
}

func BenchmarkPacketCachePut(b *testing.B) {
	c := newPacketCache()
	p := vp8Packet(0, 0, false)
	b.ReportAllocs()
	for i := range b.N {
		p.SequenceNumber = uint16(i)
		c.put(p)
	}
}

// TestCacheFitsTheLayerRate: the cache holds about two seconds of the
// layer's packets, within its bounds, keeps what it held when it is
// resized, and does not shrink for a small change in rate.
func TestCacheFitsTheLayerRate(t *testing.T) {
	for pps, want := range map[float64]int{0: 32, 14: 32, 57: 128, 250: 512, 260: 1024, 5000: 1024} {
		if got := cacheSlots(pps); got != want {
			t.Errorf("%v packets a second: %d slots, want %d", pps, got, want)
		}
	}
	c := newPacketCache()
	for i := range uint16(100) {
		c.put(vp8Packet(60000+i, uint32(i), false))
	}
	c.fit(250) // grow to 512
	if len(c.slots) != 512 {
		t.Fatalf("%d slots after growing", len(c.slots))
	}
	for i := range uint16(100) {
		if _, _, _, ok := c.get(60000+i, nil); !ok {
			t.Fatalf("packet %d lost when the cache grew", 60000+i)
		}
	}
	c.fit(100) // wants 256: not a quarter of 512, so no shrink
	if len(c.slots) != 512 {
		t.Fatalf("shrank to %d slots for a small drop in rate", len(c.slots))
	}
	c.fit(14) // wants 32: shrink, keeping the newest 32
	if len(c.slots) != 32 {
		t.Fatalf("%d slots after shrinking", len(c.slots))
	}
	for i := range uint16(100) {
		_, _, _, ok := c.get(60000+i, nil)
		if newest := i >= 100-32; ok != newest {
			t.Fatalf("packet %d cached=%v after shrinking, want %v", 60000+i, ok, newest)
		}
	}
}
