package sfu

import (
	"errors"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// Source names what a published track carries.
type Source string

const (
	SourceAudio  Source = "audio"
	SourceCamera Source = "camera"
	SourceScreen Source = "screen"
)

// Valid reports whether s is a known source.
func (s Source) Valid() bool { return s == SourceAudio || s == SourceCamera || s == SourceScreen }

// keyframeInterval is the least time between two keyframe requests for one
// layer: enough to let a publisher answer, short enough for a quick start.
const keyframeInterval = 250 * time.Millisecond

// upTrack is one published source of one participant. Video may arrive as
// several simulcast layers, each its own RTP stream. The upTrack fans every
// packet out to its sinks (subscribers' downTracks, taps); it is written by
// one reader goroutine per layer.
type upTrack struct {
	owner  string
	source Source
	kind   webrtc.RTPCodecType
	codec  webrtc.RTPCodecCapability
	// requestKeyframe sends a PLI for one layer to the publisher.
	requestKeyframe func(ssrc uint32)

	mu     sync.Mutex
	layers []*upLayer // lowest quality first

	sinks        atomic.Pointer[[]Sink] // copy-on-write snapshot read per packet
	level        levelMeter             // audio only
	audioLevelID uint8                  // negotiated RFC 6464 extension ID, 0 if none
	closed       atomic.Bool
	// blocked stops forwarding (a host muted it, or the owner may not
	// share the screen). Packets are still read and counted, so the
	// publisher's connection stays healthy.
	blocked atomic.Bool
	stats   totals // keyframe requests sent
	// observe receives sampled in-server latencies (nil: not measured).
	observe *atomic.Pointer[func(time.Duration)]
	// fanout, when set, holds the batch sender for the length of one
	// packet's fan-out, so that its datagrams leave together.
	fanout fanout
}

// fanout is the batch sender's side of a fan-out (udpbatch.Conn).
type fanout interface {
	Hold()
	Release()
}

// upLayer is one RTP stream (one simulcast layer, or the only one).
type upLayer struct {
	rid     string
	ssrc    uint32
	remote  *webrtc.TrackRemote
	bytes   atomic.Uint64 // since the last rate sample
	rate    atomic.Int64  // bit/s over the last sample window
	height  atomic.Int32  // frame height from the last VP8 keyframe
	lastPLI atomic.Int64  // unix nanos of the last keyframe request
	stats   totals        // received packets and bytes
	n       uint32        // packets seen, for latency sampling (reader goroutine only)
	cache   *packetCache  // video only: for every subscriber's retransmissions
	// sampledPackets is stats.recvPackets at the last rate sample (the
	// control loop's, which sizes the cache from the difference).
	sampledPackets uint64
}

func newUpTrack(owner string, source Source, kind webrtc.RTPCodecType, codec webrtc.RTPCodecCapability, pli func(uint32)) *upTrack {
	u := &upTrack{owner: owner, source: source, kind: kind, codec: codec, requestKeyframe: pli}
	empty := []Sink{}
	u.sinks.Store(&empty)
	return u
}

// ridRank orders simulcast layers: the client protocol uses l (half) and h
// (full); q/m/f are the names other clients use.
func ridRank(rid string) int {
	switch rid {
	case "q", "l":
		return 0
	case "m":
		return 1
	case "", "h", "f":
		return 2
	}
	return 1
}

// addLayer registers a newly arrived RTP stream and returns it.
func (u *upTrack) addLayer(rid string, ssrc uint32, remote *webrtc.TrackRemote) *upLayer {
	l := &upLayer{rid: rid, ssrc: ssrc, remote: remote}
	if u.kind == webrtc.RTPCodecTypeVideo {
		l.cache = newPacketCache()
	}
	u.mu.Lock()
	u.layers = append(u.layers, l)
	slices.SortStableFunc(u.layers, func(a, b *upLayer) int { return ridRank(a.rid) - ridRank(b.rid) })
	u.mu.Unlock()
	return l
}

// layerSnapshot returns the current layers, lowest first.
func (u *upTrack) layerSnapshot() []*upLayer {
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.layers)
}

func (u *upTrack) addSink(s Sink) {
	u.mu.Lock()
	defer u.mu.Unlock()
	next := append(slices.Clone(*u.sinks.Load()), s)
	u.sinks.Store(&next)
}

func (u *upTrack) removeSink(s Sink) {
	u.mu.Lock()
	defer u.mu.Unlock()
	next := slices.DeleteFunc(slices.Clone(*u.sinks.Load()), func(x Sink) bool { return x == s })
	u.sinks.Store(&next)
}

// keyframe asks the publisher for a keyframe on layer l, at most once per
// keyframeInterval.
func (u *upTrack) keyframe(l *upLayer) {
	if l == nil || u.kind != webrtc.RTPCodecTypeVideo || u.closed.Load() {
		return
	}
	now := time.Now().UnixNano()
	last := l.lastPLI.Load()
	if now-last < int64(keyframeInterval) || !l.lastPLI.CompareAndSwap(last, now) {
		return
	}
	u.stats.keyframes.Add(1)
	u.requestKeyframe(l.ssrc)
}

// keyframeNow asks for a keyframe on layer l regardless of the throttle: for
// events that are rare by nature, like a subscriber's connection coming up.
func (u *upTrack) keyframeNow(l *upLayer) {
	if l == nil || u.kind != webrtc.RTPCodecTypeVideo || u.closed.Load() {
		return
	}
	l.lastPLI.Store(time.Now().UnixNano())
	u.stats.keyframes.Add(1)
	u.requestKeyframe(l.ssrc)
}

// sampleRates converts byte counters into bit rates; called once per window.
func (u *upTrack) sampleRates(window time.Duration) {
	for _, l := range u.layerSnapshot() {
		b := l.bytes.Swap(0)
		l.rate.Store(int64(float64(b*8) / window.Seconds()))
		if l.cache != nil {
			n := l.stats.recvPackets.Load()
			l.cache.fit(float64(n-l.sampledPackets) / window.Seconds())
			l.sampledPackets = n
		}
	}
}

// readLoop forwards one layer until its track ends, in a goroutine of its
// own: the fallback for a stream whose buffer is not Conclave's (a
// connection built without streamBuffers); the publisher path uses
// consumer. Nothing is allocated per packet.
func (u *upTrack) readLoop(l *upLayer) {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	for {
		n, _, err := l.remote.Read(buf)
		if err != nil {
			return
		}
		if err := pkt.Unmarshal(buf[:n]); err != nil {
			continue
		}
		u.forward(l, &pkt, n)
	}
}

// consumer returns what the layer's stream buffer calls with each received
// packet (pushbuf.go): it reads the track, so that Pion's interceptors see
// the packet, and forwards it, in the SRTP session's goroutine. It
// returns false once the track has ended.
func (u *upTrack) consumer(l *upLayer, b *pushBuffer) func() bool {
	buf := make([]byte, 1500)
	var pkt rtp.Packet
	return func() bool {
		for b.pending() {
			n, _, err := l.remote.Read(buf)
			if errors.Is(err, io.ErrShortBuffer) {
				continue // dropped as oversized; the slot is empty now
			}
			if err != nil {
				return false
			}
			if err := pkt.Unmarshal(buf[:n]); err != nil {
				continue
			}
			u.forward(l, &pkt, n)
		}
		return true
	}
}

// forward is the per-packet hot path, separate from consumer so benchmarks
// can drive it without a network.
func (u *upTrack) forward(l *upLayer, pkt *rtp.Packet, size int) {
	var start time.Time
	l.n++
	if l.n%latencySampleEvery == 0 && u.observe != nil {
		start = time.Now()
	}
	l.bytes.Add(uint64(size))
	l.stats.recvPackets.Add(1)
	l.stats.recvBytes.Add(uint64(size))
	if u.blocked.Load() {
		return // nor does a muted microphone count as speaking
	}
	keyframe := false
	if u.kind == webrtc.RTPCodecTypeVideo {
		l.cache.put(pkt)
		keyframe = isVP8Keyframe(pkt.Payload)
		if keyframe {
			if h := vp8KeyframeHeight(pkt.Payload); h > 0 {
				l.height.Store(int32(h))
			}
		}
	} else if u.audioLevelID != 0 {
		if ext := pkt.GetExtension(u.audioLevelID); len(ext) > 0 {
			u.level.observe(ext[0] & 0x7f)
		}
	}
	if u.fanout != nil {
		u.fanout.Hold()
		defer u.fanout.Release()
	}
	for _, s := range *u.sinks.Load() {
		if s.WriteRTP(Layer{l}, pkt, keyframe) && !start.IsZero() {
			if f := u.observe.Load(); f != nil {
				(*f)(time.Since(start))
			}
		}
	}
}

// setBlocked stops or resumes forwarding. On resume of a video track every
// layer is asked for a keyframe so that subscribers can decode at once.
func (u *upTrack) setBlocked(b bool) {
	if u.blocked.Swap(b) == b || b || u.kind != webrtc.RTPCodecTypeVideo {
		return
	}
	for _, l := range u.layerSnapshot() {
		u.keyframeNow(l)
	}
}

// pliPacket builds the RTCP for a keyframe request.
func pliPacket(ssrc uint32) []rtcp.Packet {
	return []rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}
}
