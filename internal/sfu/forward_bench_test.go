package sfu

import (
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// countingWriter stands in for a subscriber connection's write stream.
type countingWriter struct {
	packets int
	lastSeq uint16
	lastTS  uint32
	ssrc    uint32
}

func (w *countingWriter) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	w.packets++
	w.lastSeq, w.lastTS, w.ssrc = h.SequenceNumber, h.Timestamp, h.SSRC
	return len(payload), nil
}

func (w *countingWriter) Write(b []byte) (int, error) { return len(b), nil }

// boundDown makes a downTrack bound to a counting writer, as Pion's Bind
// would.
func boundDown(up *upTrack, ssrc uint32) (*downTrack, *countingWriter) {
	w := &countingWriter{}
	d := newDownTrack(up)
	d.bound, d.ssrc, d.pt, d.writer = true, ssrc, ptVP8, w
	up.addSink(d)
	return d, w
}

func vp8Packet(seq uint16, ts uint32, keyframe bool) *rtp.Packet {
	payload := make([]byte, 1000)
	payload[0] = 0x10
	if !keyframe {
		payload[1] = 0x01
	}
	return &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, SSRC: 1234}, Payload: payload}
}

func newVideoUp() *upTrack {
	return newUpTrack("p_pub", SourceCamera, webrtc.RTPCodecTypeVideo,
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, func(uint32) {})
}

// BenchmarkForward measures the per-packet forwarding path (parse results
// in, rewritten packets out) for one publisher and N subscribers. ns/op and
// allocs/op are per incoming packet; divide by N for per forwarded packet.
func BenchmarkForward(b *testing.B) {
	for _, n := range []int{1, 10, 100} {
		b.Run(benchName(n), func(b *testing.B) {
			up := newVideoUp()
			l := up.addLayer("", 1234, nil)
			for i := 0; i < n; i++ {
				boundDown(up, uint32(5000+i))
			}
			key := vp8Packet(0, 0, true)
			up.forward(l, key, 1012)
			pkt := vp8Packet(1, 3000, false)
			b.ReportAllocs()
			b.SetBytes(int64(len(pkt.Payload) * n))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				pkt.SequenceNumber++
				up.forward(l, pkt, 1012)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/forwarded-pkt")
		})
	}
}

func benchName(n int) string {
	switch n {
	case 1:
		return "subscribers=1"
	case 10:
		return "subscribers=10"
	}
	return "subscribers=100"
}
