package recorder

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
)

// The muxer writes one track as a live WebM stream: the EBML header, a
// Segment of unknown size holding Info and Tracks, then Clusters of
// unknown size holding SimpleBlocks. Unknown sizes are what make a file
// cut anywhere between two blocks a valid WebM that plays up to the cut,
// and they need nothing rewritten at the end (a sealed file is written
// once, front to back).
//
// It marshals with ebml-go's webm element types directly rather than
// through webm.NewSimpleBlockWriter: that writer muxes on a goroutine of
// its own (and buffers blocks in its sorter), so a Flush right after a
// Write could not know that the block had reached the sealer, and its
// default fatal handler panics. One track per file needs no sorting.

const (
	// maxClusterSpan bounds a cluster: block timecodes are int16
	// milliseconds relative to their cluster, and audio has no keyframes
	// to start clusters at.
	maxClusterSpan = 5000
	// flushEvery is the most media time (in ms) the muxer keeps written
	// blocks unsealed. Media time is capture time (see timeline), so this is
	// about a second of wall time, yet the same however late the sink's
	// goroutine runs.
	flushEvery  = 1000
	trackNumber = 1
)

// flushWriter is the sealer as the muxer sees it.
type flushWriter interface {
	io.Writer
	Flush() error
}

type muxer struct {
	w     flushWriter
	video bool

	headerDone bool
	inCluster  bool
	cluster    int64 // the current cluster's timecode (ms)
	last       int64 // the last block's timecode (ms)
	lastFlush  int64 // the timecode of the last flush (ms)
	frames     int64
	first      int64 // the first block's timecode (ms)
}

func newMuxer(w flushWriter, video bool) *muxer {
	return &muxer{w: w, video: video}
}

// frame writes one frame at tc milliseconds from the recording's start.
// A video file starts at a keyframe: frames before the first are dropped.
// It flushes at every video keyframe and when flushEvery passed.
func (m *muxer) frame(tc int64, key bool, data []byte) error {
	if !m.video {
		key = true // every Opus frame decodes on its own
	}
	if !m.headerDone {
		if !key {
			return nil
		}
		if err := m.header(data); err != nil {
			return err
		}
		m.first, m.lastFlush = tc, tc
	}
	tc = max(tc, m.last) // blocks never go back in time
	if err := m.maybeCluster(tc, key); err != nil {
		return err
	}
	blk := struct {
		Block ebml.Block `ebml:"SimpleBlock"`
	}{ebml.Block{TrackNumber: trackNumber, Timecode: int16(tc - m.cluster), Keyframe: key, Data: [][]byte{data}}}
	if err := ebml.Marshal(&blk, m.w); err != nil {
		return fmt.Errorf("recorder: write block: %w", err)
	}
	m.frames++
	m.last = tc
	if (m.video && key) || tc-m.lastFlush >= flushEvery {
		return m.flush()
	}
	return nil
}

// maybeCluster starts a new cluster at a video keyframe or when the
// current one would span too long. What came before is flushed first, so
// that sealed chunks end where clusters do.
func (m *muxer) maybeCluster(tc int64, key bool) error {
	if m.inCluster && !(m.video && key) && tc-m.cluster < maxClusterSpan {
		return nil
	}
	if m.inCluster {
		if err := m.flush(); err != nil {
			return err
		}
	}
	c := struct {
		Cluster struct {
			Timecode uint64 `ebml:"Timecode"`
		} `ebml:"Cluster,size=unknown"`
	}{}
	c.Cluster.Timecode = uint64(tc)
	if err := ebml.Marshal(&c, m.w); err != nil {
		return fmt.Errorf("recorder: write cluster: %w", err)
	}
	m.inCluster, m.cluster = true, tc
	return nil
}

func (m *muxer) flush() error {
	m.lastFlush = m.last
	return m.w.Flush()
}

// duration is the time between the first and the last block.
func (m *muxer) duration() time.Duration {
	if m.frames == 0 {
		return 0
	}
	return time.Duration(m.last-m.first) * time.Millisecond
}

// header writes the EBML header and the start of the Segment. A video
// track's size comes from its first keyframe.
func (m *muxer) header(first []byte) error {
	entry := webm.TrackEntry{TrackNumber: trackNumber, TrackUID: randomUID()}
	if m.video {
		w, h := vp8Size(first)
		entry.Name, entry.CodecID, entry.TrackType = "video", "V_VP8", 1
		entry.Video = &webm.Video{PixelWidth: uint64(w), PixelHeight: uint64(h)}
	} else {
		entry.Name, entry.CodecID, entry.TrackType = "audio", "A_OPUS", 2
		entry.CodecPrivate = opusHead()
		entry.Audio = &webm.Audio{SamplingFrequency: 48000, Channels: 2}
	}
	hdr := struct {
		Header  webm.EBMLHeader `ebml:"EBML"`
		Segment struct {
			Info   webm.Info   `ebml:"Info"`
			Tracks webm.Tracks `ebml:"Tracks"`
		} `ebml:"Segment,size=unknown"`
	}{Header: *webm.DefaultEBMLHeader}
	hdr.Segment.Info = webm.Info{TimecodeScale: 1000000, MuxingApp: "conclave", WritingApp: "conclave"}
	hdr.Segment.Tracks.TrackEntry = []webm.TrackEntry{entry}
	if err := ebml.Marshal(&hdr, m.w); err != nil {
		return fmt.Errorf("recorder: write WebM header: %w", err)
	}
	m.headerDone = true
	return nil
}

// vp8Size reads the frame size from a VP8 keyframe (RFC 6386 9.1): a
// 3-byte frame tag, the start code 9d 01 2a, then 14-bit width and height.
func vp8Size(frame []byte) (w, h int) {
	if len(frame) < 10 || frame[0]&0x01 != 0 || frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0
	}
	return int(binary.LittleEndian.Uint16(frame[6:8]) & 0x3fff), int(binary.LittleEndian.Uint16(frame[8:10]) & 0x3fff)
}

// isVP8KeyFrame reports whether a depacketized VP8 frame is a keyframe
// (the frame tag's P bit is clear).
func isVP8KeyFrame(frame []byte) bool { return len(frame) > 0 && frame[0]&0x01 == 0 }

// opusHead is the CodecPrivate of an Opus track (RFC 7845 5.1): WebRTC's
// Opus is 48 kHz stereo-capable, no pre-skip, mapping family 0.
func opusHead() []byte {
	h := make([]byte, 19)
	copy(h, "OpusHead")
	h[8] = 1 // version
	h[9] = 2 // channels
	binary.LittleEndian.PutUint32(h[12:], 48000)
	return h
}

func randomUID() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return binary.BigEndian.Uint64(b[:])>>1 | 1
}
