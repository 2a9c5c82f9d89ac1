package loadtest

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

// packetMTU bounds a video RTP packet before the trailer and header
// extensions (mid, rid, and transport-wide sequence number added by Pion)
// are added, keeping packets under the 1200 bytes WebRTC stacks use.
const packetMTU = 1200 - TrailerSize - 24

// speakingLevel is the RFC 6464 level publishers send (-dBov): a talking
// voice, so the server's active-speaker detection has work to do.
const speakingLevel = 30

// videoWriter and audioWriter are the client's publishing methods.
type (
	videoWriter func(layer int, pkt *rtp.Packet) error
	audioWriter func(pkt *rtp.Packet, level uint8) error
)

// sentCounter counts what a publisher sent inside the window.
type sentCounter struct {
	video, audio struct{ packets, bytes atomic.Uint64 }
	first        atomic.Int64 // clock nanoseconds of the first media write
}

func (s *sentCounter) add(video bool, size int) {
	c := &s.audio
	if video {
		c = &s.video
	}
	c.packets.Add(1)
	c.bytes.Add(uint64(size))
}

func (s *sentCounter) traffic(video bool) Traffic {
	c := &s.audio
	if video {
		c = &s.video
	}
	return Traffic{Packets: c.packets.Load(), Bytes: c.bytes.Load()}
}

// layerSource loops one clip through a VP8 packetizer.
type layerSource struct {
	clip   *VideoClip
	pad    float64 // filler bytes per media byte to reach the target rate
	owed   float64 // fractional filler carried to the next frame
	cursor int
	pack   rtp.Packetizer
}

func newLayerSource(clip *VideoClip, targetBitrate float64) *layerSource {
	l := &layerSource{
		clip: clip,
		pack: rtp.NewPacketizer(packetMTU, 0, 0, &codecs.VP8Payloader{EnablePictureID: true}, rtp.NewRandomSequencer(), 90000),
	}
	if natural := clip.Bitrate(); targetBitrate > natural {
		l.pad = targetBitrate/natural - 1
	}
	return l
}

// next returns the packets of the next frame; the clip loops. A frame
// padded towards the target rate carries zero bytes after its VP8 data:
// the server only reads the payload descriptor and frame header, and the
// trailer already makes load-test video undecodable.
func (l *layerSource) next() []*rtp.Packet {
	f := l.clip.Frames[l.cursor]
	l.cursor = (l.cursor + 1) % len(l.clip.Frames)
	data := f.Data
	if l.pad > 0 {
		l.owed += float64(len(data)) * l.pad
		extra := int(l.owed)
		l.owed -= float64(extra)
		data = append(append(make([]byte, 0, len(data)+extra), data...), make([]byte, extra)...)
	}
	return l.pack.Packetize(data, f.Ticks)
}

// restartAtKeyframe answers a keyframe request: the next frame sent is the
// clip's last keyframe at or before the current position.
func (l *layerSource) restartAtKeyframe() {
	l.cursor = l.clip.KeyframeAtOrBefore(l.cursor)
}

// publisher sends a participant's media until its context ends.
type publisher struct {
	clock    clock
	window   *window
	sent     *sentCounter
	keyframe func() bool // the server asked for a keyframe
}

// sendVideo sends every layer's next frame at the clip's frame rate.
func (p *publisher) sendVideo(ctx context.Context, layers []*layerSource, write videoWriter) {
	pace := newPacer()
	defer pace.stop()
	for {
		if p.keyframe() {
			for _, l := range layers {
				l.restartAtKeyframe()
			}
		}
		// The top layer's frame durations set the pace; layers share the rate.
		d := layers[len(layers)-1].clip.Frames[layers[len(layers)-1].cursor].Duration
		for i, l := range layers {
			for _, pkt := range l.next() {
				p.write(true, pkt, func(pkt *rtp.Packet) error { return write(i, pkt) })
			}
		}
		if !pace.wait(ctx, d) {
			return
		}
	}
}

// sendAudio sends the audio clip's packets at their own pace.
func (p *publisher) sendAudio(ctx context.Context, clip *AudioClip, write audioWriter) {
	pace := newPacer()
	defer pace.stop()
	seq := uint16(time.Now().UnixNano())
	var ts uint32
	for i := 0; ; i = (i + 1) % len(clip.Packets) {
		a := clip.Packets[i]
		pkt := &rtp.Packet{
			Header:  rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: ts, Marker: i == 0},
			Payload: append(make([]byte, 0, len(a.Data)+TrailerSize), a.Data...),
		}
		p.write(false, pkt, func(pkt *rtp.Packet) error { return write(pkt, speakingLevel) })
		seq++
		ts += a.Samples
		if !pace.wait(ctx, time.Duration(a.Samples)*time.Second/48000) {
			return
		}
	}
}

// write stamps the trailer as late as possible, sends, and counts.
func (p *publisher) write(video bool, pkt *rtp.Packet, send func(*rtp.Packet) error) {
	now := p.clock.Now()
	p.sent.first.CompareAndSwap(0, now)
	pkt.Payload = AppendTrailer(pkt.Payload, now)
	// A failed write means the connection is closing at the end of the run.
	if send(pkt) != nil || !p.window.active() {
		return
	}
	p.sent.add(video, pkt.MarshalSize())
}

// pacer sleeps from one send to the next by media durations, so that the
// rate follows the clip's timestamps rather than how long sending took.
type pacer struct {
	next  time.Time
	timer *time.Timer
}

func newPacer() *pacer {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &pacer{next: time.Now(), timer: t}
}

func (p *pacer) stop() { p.timer.Stop() }

// wait sleeps until d after the previous deadline; it reports false when
// ctx ends first. A sender that fell far behind (a starved CPU) resumes
// from now instead of bursting to catch up.
func (p *pacer) wait(ctx context.Context, d time.Duration) bool {
	p.next = p.next.Add(d)
	if late := time.Since(p.next); late > 500*time.Millisecond {
		p.next = time.Now()
	}
	p.timer.Reset(time.Until(p.next))
	select {
	case <-ctx.Done():
		return false
	case <-p.timer.C:
		return true
	}
}
