package recorder

import (
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/sfu"
)

const (
	// askEvery spaces a sink's keyframe requests (the SFU throttles them
	// per layer too; this keeps the sink from calling per packet).
	askEvery = 500 * time.Millisecond
	// staleAfter is how long a layer may be silent before the sink stops
	// following it: a publisher short of bandwidth drops its top layer, and
	// the recording goes on with the best one still sent.
	staleAfter = time.Second
)

// layer is an sfu.Layer as a sink sees it; tests feed layers of their own.
type layer interface {
	RID() string
	Height() int
}

// source is an sfu.Track as a sink sees it.
type source interface {
	Owner() string
	Source() sfu.Source
	Kind() webrtc.RTPCodecType
	Codec() webrtc.RTPCodecCapability
	layers() []layer
	requestKeyframe(layer)
}

// sfuTrack adapts an sfu.Track to source.
type sfuTrack struct{ sfu.Track }

func (t sfuTrack) layers() []layer {
	ls := t.Layers()
	out := make([]layer, len(ls))
	for i, l := range ls {
		out[i] = l
	}
	return out
}

func (t sfuTrack) requestKeyframe(l layer) {
	if sl, ok := l.(sfu.Layer); ok {
		t.RequestKeyframe(sl)
	}
}

// selector decides, packet by packet, which layer a sink records: the best
// layer being sent (the last in Track.Layers, which lists them lowest
// first), switching only at a keyframe of the target and asking for one.
// Its caller holds the sink's lock: every method is quick.
type selector struct {
	video   bool
	epoch   uint64 // the consent epoch cur was chosen in
	cur     layer  // the layer being taken; nil: waiting to start
	seen    []seenLayer
	lastAsk time.Time
}

type seenLayer struct {
	l    layer
	rank int // index in Track.Layers: higher is better
	last time.Time
}

// verdict is what to do with one packet.
type verdict struct {
	take  bool
	start bool  // the first packet of a run: a new file or segment starts here
	ask   layer // ask the publisher for a keyframe on this layer
}

func (s *selector) known(l layer) bool {
	for _, x := range s.seen {
		if x.l == l {
			return true
		}
	}
	return false
}

// learn adds l and ranks every layer seen by its place in all, the
// track's layers lowest first.
func (s *selector) learn(l layer, all []layer) {
	if !s.known(l) {
		s.seen = append(s.seen, seenLayer{l: l})
	}
	for i := range s.seen {
		for r, x := range all {
			if x == s.seen[i].l {
				s.seen[i].rank = r
			}
		}
	}
}

// reset makes the next packets wait for a new start (a keyframe for video):
// after a drop, or when consent changed.
func (s *selector) reset() { s.cur = nil }

func (s *selector) offer(l layer, key bool, epoch uint64, now time.Time) verdict {
	s.touch(l, now)
	if epoch != s.epoch {
		s.epoch, s.cur = epoch, nil
	}
	if !s.video {
		if s.cur == nil {
			s.cur = l
			return verdict{take: true, start: true}
		}
		return verdict{take: l == s.cur}
	}
	best := s.best(now)
	var v verdict
	switch {
	case l == best && key && l != s.cur:
		s.cur = l
		v.take, v.start = true, true
	case l == s.cur:
		v.take = true
	}
	if best != s.cur && now.Sub(s.lastAsk) >= askEvery {
		s.lastAsk = now
		v.ask = best
	}
	return v
}

func (s *selector) touch(l layer, now time.Time) {
	for i := range s.seen {
		if s.seen[i].l == l {
			s.seen[i].last = now
			return
		}
	}
	s.seen = append(s.seen, seenLayer{l: l, last: now})
}

// best is the highest-ranked layer heard from lately.
func (s *selector) best(now time.Time) layer {
	var b *seenLayer
	for i := range s.seen {
		x := &s.seen[i]
		if now.Sub(x.last) > staleAfter {
			continue
		}
		if b == nil || x.rank > b.rank {
			b = x
		}
	}
	if b == nil {
		return nil
	}
	return b.l
}
