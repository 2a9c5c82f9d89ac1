package sfu

import (
	"strings"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/rtcpraw"
)

// downTrack sends one upTrack to one subscriber. It implements
// webrtc.TrackLocal so Pion binds it to the subscriber's connection, and it
// rewrites SSRC, payload type, sequence numbers and timestamps so that a
// switch between simulcast layers looks like one continuous stream.
type downTrack struct {
	up     *upTrack
	id     string
	stream string

	mu      sync.Mutex
	bound   bool
	ssrc    uint32
	pt      uint8
	writer  webrtc.TrackLocalWriter
	sender  *webrtc.RTPSender
	routes  *rtcpRoutes // the subscriber connection's RTCP, routed by SSRC
	paused  bool
	current *upLayer // layer being forwarded
	target  *upLayer // layer wanted; forwarding switches at its next keyframe

	started   bool
	seqOffset uint16
	tsOffset  uint32
	switchSeq uint16 // first input sequence number of current layer
	lastSeq   uint16 // highest output sequence number sent
	lastTS    uint32
	lastWrite time.Time
	hdr       rtp.Header // scratch, reused for every packet
	// segments maps output sequence numbers back to the layer and input
	// numbers they came from, newest last, for retransmissions: one per
	// layer switch, the last few kept (older ones are out of the cache).
	segments  [maxSegments]segment
	nseg      int
	resendBuf []byte // scratch for a retransmitted payload

	stats totals // forwarded packets and bytes, NACKs, reported loss
}

func newDownTrack(up *upTrack) *downTrack {
	id := up.owner + ":" + string(up.source)
	stream := up.owner
	if up.source == SourceScreen {
		stream = up.owner + ":screen"
	}
	return &downTrack{up: up, id: id, stream: stream}
}

// ID, RID, StreamID and Kind implement webrtc.TrackLocal.
func (d *downTrack) ID() string                { return d.id }
func (d *downTrack) RID() string               { return "" }
func (d *downTrack) StreamID() string          { return d.stream }
func (d *downTrack) Kind() webrtc.RTPCodecType { return d.up.kind }

// Bind implements webrtc.TrackLocal: the subscriber's connection negotiated
// this track, so media may flow. A fresh subscriber needs a keyframe at once.
func (d *downTrack) Bind(ctx webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	var codec webrtc.RTPCodecParameters
	found := false
	for _, c := range ctx.CodecParameters() {
		if strings.EqualFold(c.MimeType, d.up.codec.MimeType) {
			codec, found = c, true
			break
		}
	}
	if !found {
		return webrtc.RTPCodecParameters{}, webrtc.ErrUnsupportedCodec
	}
	d.mu.Lock()
	d.bound = true
	d.ssrc = uint32(ctx.SSRC())
	if d.routes != nil {
		d.routes.add(d.ssrc, d)
	}
	d.pt = uint8(codec.PayloadType)
	d.writer = ctx.WriteStream()
	target := d.target
	d.mu.Unlock()
	d.up.keyframe(target)
	return codec, nil
}

// Unbind implements webrtc.TrackLocal.
func (d *downTrack) Unbind(webrtc.TrackLocalContext) error {
	d.mu.Lock()
	d.bound = false
	d.writer = nil
	if d.routes != nil {
		d.routes.remove(d.ssrc, d)
	}
	d.mu.Unlock()
	return nil
}

// setTarget chooses the layer to forward (nil pauses) and asks for a
// keyframe on it when a switch is needed.
func (d *downTrack) setTarget(l *upLayer) {
	d.mu.Lock()
	d.paused = l == nil
	changed := l != nil && l != d.current
	if l != nil {
		d.target = l
	}
	d.mu.Unlock()
	if changed {
		d.up.keyframe(l)
	}
}

// targetLayer returns the layer the subscriber should get; for a single
// layer (audio, screen) that is always the only one.
func (d *downTrack) state() (current, target *upLayer, paused bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.current, d.target, d.paused
}

// WriteRTP and Close make a downTrack the subscriber's Sink. The
// subscriber's connection owns its lifetime (Participant.unsubscribe), so
// Close has nothing to do.
func (d *downTrack) WriteRTP(l Layer, pkt *rtp.Packet, keyframe bool) bool {
	return d.forward(l.l, pkt, keyframe)
}

func (d *downTrack) Close() {}

// forward sends pkt from layer l if l is the layer this subscriber gets,
// and reports whether it did.
func (d *downTrack) forward(l *upLayer, pkt *rtp.Packet, keyframe bool) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.bound || d.paused {
		return false
	}
	if l != d.current {
		if d.target != nil && l != d.target {
			return false
		}
		// Video may only start or switch layers on a keyframe; audio has no
		// layers and starts at once.
		if d.up.kind == webrtc.RTPCodecTypeVideo && !keyframe {
			return false
		}
		d.switchTo(l, pkt)
	} else if int16(pkt.SequenceNumber-d.switchSeq) < 0 {
		return false // late packet from before the switch: its number is taken
	}
	d.write(pkt)
	return true
}

// switchTo makes l the current layer, continuing the output numbering.
func (d *downTrack) switchTo(l *upLayer, pkt *rtp.Packet) {
	if d.started {
		d.seqOffset = d.lastSeq + 1 - pkt.SequenceNumber
		ticks := uint32(time.Since(d.lastWrite).Seconds() * float64(d.up.codec.ClockRate))
		if ticks == 0 {
			ticks = 1
		}
		d.tsOffset = d.lastTS + ticks - pkt.Timestamp
	}
	d.current = l
	d.target = l
	d.switchSeq = pkt.SequenceNumber
	d.addSegment(segment{out: pkt.SequenceNumber + d.seqOffset, layer: l, seqOffset: d.seqOffset, tsOffset: d.tsOffset})
}

func (d *downTrack) write(pkt *rtp.Packet) {
	seq := pkt.SequenceNumber + d.seqOffset
	ts := pkt.Timestamp + d.tsOffset
	if !d.started || int16(seq-d.lastSeq) > 0 {
		d.lastSeq, d.lastTS = seq, ts
		d.lastWrite = time.Now()
	}
	d.started = true
	d.hdr = rtp.Header{
		Version:        2,
		Marker:         pkt.Marker,
		PayloadType:    d.pt,
		SequenceNumber: seq,
		Timestamp:      ts,
		SSRC:           d.ssrc,
		Extensions:     d.hdr.Extensions[:0],
	}
	// Errors mean the subscriber's connection is closing; the room removes
	// this track soon, so they are not worth a log line per packet.
	_, _ = d.writer.WriteRTP(&d.hdr, pkt.Payload)
	d.stats.fwdPackets.Add(1)
	d.stats.fwdBytes.Add(uint64(len(pkt.Payload)))
}

// rtcpBufSize holds any RTCP compound a browser sends in one datagram.
const rtcpBufSize = 1500

// handleRTCP acts on one RTCP packet about the track's SSRC (rtcproute.go
// routes it here): NACKs, reception reports and keyframe requests. It
// reads the wire bytes in place (internal/rtcpraw): Pion's ReadRTCP would
// build a value per packet. seqs is scratch space for NACKed sequence
// numbers, returned for reuse.
func (d *downTrack) handleRTCP(p rtcpraw.Packet, ssrc uint32, seqs []uint16) []uint16 {
	switch p.Type {
	case rtcpraw.TypeReceiverReport, rtcpraw.TypeSenderReport:
		// A report may also cover the connection's other tracks.
		p.Reports(func(r rtcpraw.ReportBlock) {
			if r.SSRC == ssrc {
				d.recordLoss(uint64(r.TotalLost))
			}
		})
	case rtcpraw.TypeTransportFB, rtcpraw.TypePayloadFB:
		if m, ok := p.MediaSSRC(); ok && m == ssrc {
			seqs = d.feedback(p, seqs)
		}
	}
	return seqs
}

// feedback acts on a NACK or a keyframe request about this track.
func (d *downTrack) feedback(p rtcpraw.Packet, seqs []uint16) []uint16 {
	switch {
	case p.Type == rtcpraw.TypeTransportFB && p.Format == rtcpraw.FormatNACK:
		n := p.NACKs(func(s uint16) { seqs = append(seqs, s) })
		d.stats.nacked.Add(uint64(n))
		d.resend(seqs)
	case p.Type == rtcpraw.TypePayloadFB && (p.Format == rtcpraw.FormatPLI || p.Format == rtcpraw.FormatFIR):
		cur, target, _ := d.state()
		if cur == nil {
			cur = target
		}
		d.up.keyframe(cur)
	}
	return seqs
}

// recordLoss keeps the subscriber's cumulative loss for this track from its
// receiver reports.
func (d *downTrack) recordLoss(total uint64) {
	for {
		old := d.stats.lost.Load()
		if total <= old || d.stats.lost.CompareAndSwap(old, total) {
			return
		}
	}
}
