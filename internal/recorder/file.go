package recorder

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// How many packets the depacketizer waits for a missing one before it
// gives up on the frame.
const (
	videoMaxLate = 256
	audioMaxLate = 50
)

// trackFile is one track file being written: the catalog's entry, the open
// file, the sealer and muxer over it, and the depacketizer with the
// timeline that turns RTP timestamps into recording time. Only its sink's
// goroutine touches it.
type trackFile struct {
	tf    TrackFile
	meta  TrackMeta
	epoch uint64 // the consent epoch it records
	video bool
	rate  uint32

	f    *os.File
	seal *SealWriter
	mux  *muxer
	sb   *samplebuilder.SampleBuilder
	tl   timeline
	cur  layer // the layer of the current segment
}

// createTrackFile creates the file (it must not exist) and writes the
// seal header; nothing plain is ever written to it.
func createTrackFile(tf TrackFile, meta TrackMeta, rate uint32) (*trackFile, error) {
	f, err := os.OpenFile(tf.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("recorder: create track file: %w", err)
	}
	seal, err := NewSealWriter(f, tf.Key, tf.ID)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	video := meta.Kind == "video"
	return &trackFile{tf: tf, meta: meta, video: video, rate: rate, f: f, seal: seal,
		mux: newMuxer(seal, video), tl: timeline{rate: int64(rate), offset: meta.Offset.Milliseconds()}}, nil
}

// push adds one packet. A start packet begins a new segment: after a gap
// (a full queue) or at a layer switch, always at a keyframe for video.
func (t *trackFile) push(it item) error {
	if it.start || t.sb == nil {
		if err := t.restart(it); err != nil {
			return err
		}
	}
	t.tl.observe(it.pkt.Timestamp, it.at)
	t.sb.Push(it.pkt)
	return t.drain()
}

// restart writes what the old segment still holds, then starts a new
// depacketizer. The same layer goes on with its own RTP timestamps;
// another layer's have a random base of their own, so they are rebased
// where the old layer stopped plus the capture time in between.
func (t *trackFile) restart(it item) error {
	if t.sb != nil {
		t.sb.Flush()
		if err := t.drain(); err != nil {
			return err
		}
	}
	if t.video {
		t.sb = samplebuilder.New(videoMaxLate, &codecs.VP8Packet{}, t.rate)
	} else {
		t.sb = samplebuilder.New(audioMaxLate, &codecs.OpusPacket{}, t.rate)
	}
	t.tl.begin(it.pkt.Timestamp, it.at, t.cur != nil && t.cur == it.layer)
	t.cur = it.layer
	return nil
}

func (t *trackFile) drain() error {
	for s := t.sb.Pop(); s != nil; s = t.sb.Pop() {
		if err := t.sample(s); err != nil {
			return err
		}
	}
	return nil
}

func (t *trackFile) sample(s *media.Sample) error {
	key := !t.video || isVP8KeyFrame(s.Data)
	return t.mux.frame(t.tl.ms(s.PacketTimestamp), key, s.Data)
}

// finish seals the final chunk, syncs and closes the file. pending: the
// frames the depacketizer still holds are written first; not when consent
// was withdrawn, since nothing is written after that. After a write error
// it only closes: what was sealed before still plays.
func (t *trackFile) finish(complete, pending bool) (TrackEnd, error) {
	var err error
	if t.sb != nil && pending {
		t.sb.Flush()
		err = t.drain()
	}
	if err == nil {
		err = t.seal.Close()
	}
	if err == nil {
		err = t.f.Sync()
	}
	if cerr := t.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("recorder: close track file: %w", cerr)
	}
	end := TrackEnd{Frames: t.mux.frames, Bytes: t.seal.Written(), Duration: t.mux.duration(), Complete: complete && err == nil}
	return end, err
}

// timeline maps a segment's RTP timestamps to milliseconds from the
// recording's start: the file's Offset plus the media time since its first
// frame, continuous across segments.
type timeline struct {
	rate     int64
	offset   int64 // ms
	started  bool
	segBase  int64     // unwrapped RTP timestamp where the segment starts
	segStart int64     // ticks from the file's start where the segment starts
	lastTS   int64     // unwrapped timestamp of the newest packet
	lastAt   time.Time // its capture time
}

// begin starts a segment at a packet with RTP timestamp ts captured at at.
// same: the stream goes on (same layer), its timestamps stay valid.
func (t *timeline) begin(ts uint32, at time.Time, same bool) {
	if t.started && same {
		return
	}
	if t.started {
		end := t.segStart + t.lastTS - t.segBase
		gap := int64(at.Sub(t.lastAt)) * t.rate / int64(time.Second)
		t.segStart = end + max(gap, t.rate/1000) // at least 1 ms: never two frames at one time
	}
	t.started = true
	t.segBase, t.lastTS, t.lastAt = int64(ts), int64(ts), at
}

// observe notes a packet, to unwrap timestamps and to know where the
// segment ends in capture time.
func (t *timeline) observe(ts uint32, at time.Time) {
	if u := t.unwrap(ts); u > t.lastTS {
		t.lastTS, t.lastAt = u, at
	}
}

func (t *timeline) unwrap(ts uint32) int64 {
	return t.lastTS + int64(int32(ts-uint32(t.lastTS)))
}

func (t *timeline) ms(ts uint32) int64 {
	ticks := t.segStart + t.unwrap(ts) - t.segBase
	return t.offset + ticks*1000/t.rate
}

// copyPacket keeps what the depacketizer needs of a packet that is the
// track's only during WriteRTP.
func copyPacket(p *rtp.Packet) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, Marker: p.Marker, PayloadType: p.PayloadType,
		SequenceNumber: p.SequenceNumber, Timestamp: p.Timestamp, SSRC: p.SSRC},
		Payload: append([]byte(nil), p.Payload...)}
}
