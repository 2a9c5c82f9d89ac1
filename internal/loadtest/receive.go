package loadtest

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// maxLatency bounds what a trailer may claim: a payload that ends in
// something else (a publisher that is not this load tester, e.g. a browser
// in the same meeting) gives nonsense that must not enter the figures.
const maxLatency = 30 * time.Second

// stream is what one participant receives of one publisher's source.
type stream struct {
	owner  string
	source string // audio or camera

	mu      sync.Mutex
	loss    LossCounter
	traffic Traffic
	latency Histogram
	foreign uint64 // packets without a plausible trailer
}

// observe accounts one packet that arrived at now (clock nanoseconds).
func (s *stream) observe(now int64, pkt *rtp.Packet, size int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.traffic.Packets++
	s.traffic.Bytes += uint64(size)
	if !s.loss.Add(pkt.SequenceNumber) {
		return // a retransmission's latency is not the path's
	}
	_, sent, ok := ReadTrailer(pkt.Payload)
	lat := time.Duration(now - sent)
	if !ok || lat < 0 || lat > maxLatency {
		s.foreign++
		return
	}
	s.latency.Record(lat)
}

// streamStats is a copy of a stream's counters.
type streamStats struct {
	owner, source string
	traffic       Traffic
	loss          Loss
	latency       Histogram
	foreign       uint64
}

func (s *stream) snapshot() streamStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return streamStats{owner: s.owner, source: s.source, traffic: s.traffic, loss: s.loss.Loss(), latency: s.latency, foreign: s.foreign}
}

// receiver is a participant's receiving side.
type receiver struct {
	clock  clock
	window *window

	mu      sync.Mutex
	streams []*stream

	// First arrivals (clock nanoseconds, 0: none yet), counted from the
	// start, not only inside the measured window.
	firstVideo atomic.Int64
	firstAudio atomic.Int64
}

// read consumes one forwarded track until it ends. It runs on the Pion
// goroutine that delivered the track.
func (r *receiver) read(owner, source string, t *webrtc.TrackRemote) {
	s := &stream{owner: owner, source: source}
	r.mu.Lock()
	r.streams = append(r.streams, s)
	r.mu.Unlock()
	first := &r.firstAudio
	if source != "audio" {
		first = &r.firstVideo
	}
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		now := r.clock.Now()
		if pkt.Unmarshal(buf[:n]) != nil {
			continue
		}
		// A video frame has arrived when its last packet (marker bit) has;
		// the server starts video on a keyframe, so this is a showable frame.
		if first.Load() == 0 && (source == "audio" || pkt.Marker) {
			first.CompareAndSwap(0, now)
		}
		if r.window.active() {
			s.observe(now, &pkt, n)
		}
	}
}

// snapshot copies every stream's counters.
func (r *receiver) snapshot() []streamStats {
	r.mu.Lock()
	streams := append([]*stream(nil), r.streams...)
	r.mu.Unlock()
	out := make([]streamStats, 0, len(streams))
	for _, s := range streams {
		out = append(out, s.snapshot())
	}
	return out
}

// window is the measured interval; packets outside it are not counted.
type window struct{ on atomic.Bool }

func (w *window) active() bool { return w != nil && w.on.Load() }
