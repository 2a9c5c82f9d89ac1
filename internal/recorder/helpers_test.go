package recorder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/webmtest"
)

// memCatalog is a Catalog over a temporary directory.
type memCatalog struct {
	dir string

	mu    sync.Mutex
	n     int
	ids   []string // in AddTrack order
	metas map[string]TrackMeta
	files map[string]TrackFile
	ends  map[string]TrackEnd
	gate  chan struct{} // non-nil: AddTrack waits for it to close
}

func newMemCatalog(t *testing.T) *memCatalog {
	return &memCatalog{dir: t.TempDir(), metas: map[string]TrackMeta{}, files: map[string]TrackFile{}, ends: map[string]TrackEnd{}}
}

func (c *memCatalog) AddTrack(ctx context.Context, m TrackMeta) (TrackFile, error) {
	c.mu.Lock()
	gate := c.gate
	c.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return TrackFile{}, ctx.Err()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	id := fmt.Sprintf("trk_%d", c.n)
	key := bytes.Repeat([]byte{byte(c.n)}, 32)
	tf := TrackFile{ID: id, Path: filepath.Join(c.dir, id+".sealed"), Key: key}
	c.ids = append(c.ids, id)
	c.metas[id], c.files[id] = m, tf
	return tf, nil
}

func (c *memCatalog) FinishTrack(_ context.Context, id string, end TrackEnd) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.files[id]; !ok {
		return errors.New("unknown track")
	}
	if _, dup := c.ends[id]; dup {
		return errors.New("finished twice")
	}
	c.ends[id] = end
	return nil
}

// track is everything known of one file.
type catTrack struct {
	ID   string
	Meta TrackMeta
	File TrackFile
	End  TrackEnd
	Done bool
}

func (c *memCatalog) tracks() []catTrack {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []catTrack
	for _, id := range c.ids {
		e, done := c.ends[id]
		out = append(out, catTrack{ID: id, Meta: c.metas[id], File: c.files[id], End: e, Done: done})
	}
	return out
}

func (c *memCatalog) finished() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.ends)
}

// fakeLayer and fakeSource stand in for sfu.Layer and sfu.Track.
type fakeLayer struct{ rid string }

func (l *fakeLayer) RID() string { return l.rid }
func (l *fakeLayer) Height() int { return 0 }

type fakeSource struct {
	owner  string
	source sfu.Source
	ls     []layer

	mu   sync.Mutex
	asks map[layer]int
}

func newVideoSource(owner string, rids ...string) *fakeSource {
	s := &fakeSource{owner: owner, source: sfu.SourceCamera, asks: map[layer]int{}}
	for _, r := range rids {
		s.ls = append(s.ls, &fakeLayer{rid: r})
	}
	return s
}

func newAudioSource(owner string) *fakeSource {
	return &fakeSource{owner: owner, source: sfu.SourceAudio, ls: []layer{&fakeLayer{}}, asks: map[layer]int{}}
}

func (s *fakeSource) Owner() string      { return s.owner }
func (s *fakeSource) Source() sfu.Source { return s.source }
func (s *fakeSource) Kind() webrtc.RTPCodecType {
	if s.source == sfu.SourceAudio {
		return webrtc.RTPCodecTypeAudio
	}
	return webrtc.RTPCodecTypeVideo
}
func (s *fakeSource) Codec() webrtc.RTPCodecCapability {
	if s.source == sfu.SourceAudio {
		return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
	}
	return webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
}
func (s *fakeSource) layers() []layer { return s.ls }
func (s *fakeSource) requestKeyframe(l layer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asks[l]++
}
func (s *fakeSource) asked(l layer) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.asks[l]
}

// stream generates the packets of one RTP stream: VP8 frames of two
// packets, or Opus frames of one, each payload carrying a marker the test
// can look for in decrypted output and on disk.
type stream struct {
	ssrc   uint32
	seq    uint16
	ts     uint32
	step   uint32 // RTP ticks per frame
	marker string
	video  bool
}

func newVideoStream(ssrc uint32, marker string) *stream {
	return &stream{ssrc: ssrc, seq: uint16(ssrc), ts: ssrc * 7919, step: 3000, marker: marker, video: true}
}

func newAudioStream(ssrc uint32, marker string) *stream {
	return &stream{ssrc: ssrc, seq: uint16(ssrc), ts: ssrc * 104729, step: 960, marker: marker}
}

// frame returns the packets of the next frame; n numbers it in the payload.
func (s *stream) frame(key bool, n int) []*rtp.Packet {
	body := fmt.Appendf(nil, "%s#%06d", s.marker, n)
	defer func() { s.ts += s.step }()
	if !s.video {
		s.seq++
		return []*rtp.Packet{{Header: rtp.Header{Version: 2, SSRC: s.ssrc, SequenceNumber: s.seq, Timestamp: s.ts, PayloadType: 111}, Payload: body}}
	}
	vp8 := []byte{0x11, 0x00, 0x00} // inter frame: P bit set
	if key {
		vp8 = []byte{0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01} // 640x480
	}
	frame := append(vp8, body...)
	half := len(frame) / 2
	s.seq++
	p1 := &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: s.ssrc, SequenceNumber: s.seq, Timestamp: s.ts, PayloadType: 96},
		Payload: append([]byte{0x10}, frame[:half]...)}
	s.seq++
	p2 := &rtp.Packet{Header: rtp.Header{Version: 2, SSRC: s.ssrc, SequenceNumber: s.seq, Timestamp: s.ts, PayloadType: 96, Marker: true},
		Payload: append([]byte{0x00}, frame[half:]...)}
	return []*rtp.Packet{p1, p2}
}

// decodedTrack is a track file read back.
type decodedTrack struct {
	webmtest.Track
	Complete bool
	Plain    []byte
}

// decodeFile opens a sealed track file, decrypts it and parses the WebM.
func decodeFile(t *testing.T, tf TrackFile) decodedTrack {
	t.Helper()
	f, err := os.Open(tf.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r, err := Open(f, st.Size(), tf.Key, tf.ID)
	if err != nil {
		t.Fatalf("open %s: %v", tf.ID, err)
	}
	plain, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	if err != nil {
		t.Fatalf("read %s: %v", tf.ID, err)
	}
	return decodeWebM(t, plain, r.Complete())
}

func decodeWebM(t *testing.T, plain []byte, complete bool) decodedTrack {
	t.Helper()
	return decodedTrack{Track: webmtest.Decode(t, plain), Complete: complete, Plain: plain}
}

// markers returns, per frame, the marker text it carries.
func (d decodedTrack) markers() []string {
	var out []string
	for _, f := range d.Frames {
		i := bytes.IndexByte(f.Data, '#')
		j := bytes.LastIndexAny(f.Data[:max(i, 0)], "\x00\x01\x02\x2a\x9d\xe0\x80")
		if i < 0 {
			out = append(out, "")
			continue
		}
		out = append(out, string(f.Data[j+1:i]))
	}
	return out
}

// scanPlaintext fails when any file under dir holds the EBML magic or one
// of the given byte patterns: nothing plain may reach the disk.
func scanPlaintext(t *testing.T, dir string, patterns ...string) {
	t.Helper()
	if webmtest.ScanPlain(t, dir, patterns...) == 0 {
		t.Fatal("no file to scan")
	}
}

// feeder drives one sink with a stream and the test clock.
type feeder struct {
	k   *sink
	l   layer
	s   *stream
	n   int
	adv func(time.Duration)
}

// frames sends count frames (keyframe every keyEvery, 0: only the first
// when first is true), advancing the clock by the frame time each.
func (f *feeder) frames(count int, firstKey bool, keyEvery int) {
	for i := range count {
		key := (i == 0 && firstKey) || (keyEvery > 0 && i%keyEvery == 0)
		f.one(key)
	}
}

func (f *feeder) one(key bool) int {
	f.n++
	for _, p := range f.s.frame(key, f.n) {
		f.k.offer(f.l, p, key && f.s.video && p.Payload[0]&0x10 != 0)
	}
	if f.s.video {
		f.adv(time.Second / 30)
	} else {
		f.adv(20 * time.Millisecond)
	}
	return f.n
}
