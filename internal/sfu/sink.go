package sfu

import (
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// A Sink is one downstream of a published track: a subscriber's connection
// (downTrack) today, a recorder, a transcriber or a relay to another node
// tomorrow. The track offers it every packet of every layer, from the
// publisher's reader goroutine; the sink takes the layer it wants.
//
// WriteRTP must not block: it runs on the path every other sink of the
// track waits on. A sink with slow work (disk, network, a decoder) hands
// packets to its own bounded queue and drops when that is full, asking for
// a keyframe (Track.RequestKeyframe) when it can take packets again.
type Sink interface {
	// WriteRTP offers one packet of layer l. pkt and its payload are the
	// track's and valid only during the call: a sink that keeps them
	// copies. It reports whether the sink took the packet (for the
	// latency sample; nothing else depends on it).
	WriteRTP(l Layer, pkt *rtp.Packet, keyframe bool) bool
	// Close tells the sink that the track ended or the sink was detached.
	// A fan-out that began just before may still call WriteRTP once after
	// Close: the sink ignores it.
	Close()
}

// Layer is one RTP stream of a published track: a simulcast layer, or the
// only stream of audio and screen share. The zero Layer is none.
type Layer struct{ l *upLayer }

// IsZero reports whether l is no layer.
func (l Layer) IsZero() bool { return l.l == nil }

// RID is the simulcast layer name ("l", "h"; "" without simulcast).
func (l Layer) RID() string { return l.l.rid }

// Height is the frame height of the layer's last VP8 keyframe (0: none yet).
func (l Layer) Height() int { return int(l.l.height.Load()) }

// Track is what a sink knows of the track it consumes, and its way to ask
// the publisher for something.
type Track struct{ up *upTrack }

// Owner is the publishing participant's ID.
func (t Track) Owner() string { return t.up.owner }

// Source is what the track carries.
func (t Track) Source() Source { return t.up.source }

// Kind is audio or video.
func (t Track) Kind() webrtc.RTPCodecType { return t.up.kind }

// Codec is the track's negotiated codec.
func (t Track) Codec() webrtc.RTPCodecCapability { return t.up.codec }

// Layers returns the track's layers, lowest quality first. Layers may
// still arrive after a track is published (simulcast streams start one by
// one); WriteRTP names the layer of every packet.
func (t Track) Layers() []Layer {
	ls := t.up.layerSnapshot()
	out := make([]Layer, len(ls))
	for i, l := range ls {
		out[i] = Layer{l}
	}
	return out
}

// RequestKeyframe asks the publisher for a keyframe on layer l, throttled
// as every keyframe request is (at most one per layer per 250 ms).
func (t Track) RequestKeyframe(l Layer) { t.up.keyframe(l.l) }

// A Tap is told of every track published in a room, now and later, and
// returns the sink to attach to it (nil: not this track). It is called
// outside the room's locks and may take its time to set up the sink.
type Tap func(Track) Sink
