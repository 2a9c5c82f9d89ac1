package sfu

import (
	"github.com/pion/rtp"
)

// maxSegments is how many layer switches a downTrack remembers for
// retransmissions; a switch happens at most every few hundred packets, far
// apart compared with the two seconds a layer's cache reaches back
// (packetcache.go).
const maxSegments = 4

// segment is a run of a downTrack's output that came from one layer with
// one rewrite: output number = input number + seqOffset.
type segment struct {
	out       uint16 // first output sequence number of the run
	layer     *upLayer
	seqOffset uint16
	tsOffset  uint32
}

func (d *downTrack) addSegment(s segment) {
	if d.nseg == maxSegments {
		copy(d.segments[:], d.segments[1:])
		d.nseg--
	}
	d.segments[d.nseg] = s
	d.nseg++
}

// segmentFor returns the run output number seq belongs to (nil: before the
// oldest remembered one).
func (d *downTrack) segmentFor(seq uint16) *segment {
	for i := d.nseg - 1; i >= 0; i-- {
		if int16(seq-d.segments[i].out) >= 0 {
			return &d.segments[i]
		}
	}
	return nil
}

// resend answers a subscriber's NACK from the layers' shared caches,
// rewriting each packet exactly as it was first sent to this subscriber.
// Packets never sent, or no longer cached, are skipped: the subscriber
// will ask for a keyframe if it needs one.
func (d *downTrack) resend(seqs []uint16) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.bound || !d.started {
		return
	}
	for _, seq := range seqs {
		if int16(seq-d.lastSeq) > 0 {
			continue // not sent yet
		}
		seg := d.segmentFor(seq)
		if seg == nil || seg.layer.cache == nil {
			continue
		}
		payload, ts, marker, ok := seg.layer.cache.get(seq-seg.seqOffset, d.resendBuf)
		d.resendBuf = payload
		if !ok {
			continue
		}
		d.hdr = rtp.Header{
			Version:        2,
			Marker:         marker,
			PayloadType:    d.pt,
			SequenceNumber: seq,
			Timestamp:      ts + seg.tsOffset,
			SSRC:           d.ssrc,
			Extensions:     d.hdr.Extensions[:0],
		}
		_, _ = d.writer.WriteRTP(&d.hdr, payload)
		d.stats.resent.Add(1)
	}
}
