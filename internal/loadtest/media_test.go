package loadtest

import (
	"bytes"
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
)

func TestDefaultMedia(t *testing.T) {
	m, err := DefaultMedia()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 2 {
		t.Fatalf("%d layers", len(m.Layers))
	}
	for i, want := range [][2]int{{320, 180}, {640, 360}} {
		l := m.Layers[i]
		if l.Width != want[0] || l.Height != want[1] {
			t.Errorf("layer %d is %dx%d, want %dx%d", i, l.Width, l.Height, want[0], want[1])
		}
		if d := l.Length() - 5*time.Second; len(l.Frames) != 150 || d < -time.Microsecond || d > time.Microsecond {
			t.Errorf("layer %d: %d frames, %v", i, len(l.Frames), l.Length())
		}
		for j, f := range l.Frames {
			if f.Ticks != 3000 || f.Duration != time.Second/30 {
				t.Fatalf("layer %d frame %d lasts %d ticks, %v; want 1/30 s", i, j, f.Ticks, f.Duration)
			}
			if f.Keyframe != (j%75 == 0) {
				t.Fatalf("layer %d frame %d keyframe=%v", i, j, f.Keyframe)
			}
		}
	}
	if r := m.Layers[1].Bitrate(); r < 200e3 || r > 350e3 {
		t.Errorf("top layer %.0f bit/s", r)
	}
	a := m.Audio
	// 250 packets and the encoder's flush, trimmed in the file but whole here.
	if len(a.Packets) != 251 || a.Length() != 5020*time.Millisecond {
		t.Errorf("audio: %d packets, %v", len(a.Packets), a.Length())
	}
	for i, p := range a.Packets {
		if p.Samples != 960 || len(p.Data) == 0 || len(p.Data) > 400 {
			t.Fatalf("audio packet %d: %d samples, %d bytes", i, p.Samples, len(p.Data))
		}
	}
	if r := a.Bitrate(); r < 24e3 || r > 40e3 {
		t.Errorf("audio %.0f bit/s", r)
	}
}

func TestMediaReadersRefuseGarbage(t *testing.T) {
	if _, err := ReadIVF(bytes.NewReader([]byte("not an ivf file at all, not at all"))); err == nil {
		t.Error("IVF: garbage accepted")
	}
	if _, err := ReadOgg(bytes.NewReader([]byte("OggS but not really"))); err == nil {
		t.Error("Ogg: garbage accepted")
	}
	b, _ := mediaFS.ReadFile("media/video-h.ivf")
	if _, err := ReadIVF(bytes.NewReader(b[:len(b)-10])); err == nil {
		t.Error("IVF: truncated frame accepted")
	}
}

func TestKeyframeAtOrBefore(t *testing.T) {
	c := &VideoClip{Frames: make([]VideoFrame, 10)}
	c.Frames[0].Keyframe, c.Frames[6].Keyframe = true, true
	for i, want := range []int{0, 0, 0, 0, 0, 0, 6, 6, 6, 6} {
		if got := c.KeyframeAtOrBefore(i); got != want {
			t.Errorf("KeyframeAtOrBefore(%d) = %d, want %d", i, got, want)
		}
	}
}

func TestOpusSamples(t *testing.T) {
	for _, tc := range []struct {
		packet []byte
		want   uint32
	}{
		{[]byte{0xfc, 1}, 960},        // CELT FB 20 ms, one frame
		{[]byte{0x78, 1}, 960},        // hybrid FB 20 ms (config 15)
		{[]byte{0x08, 1}, 960},        // SILK NB 20 ms
		{[]byte{0x18, 1}, 2880},       // SILK NB 60 ms
		{[]byte{0xfd, 1}, 1920},       // two 20 ms frames
		{[]byte{0xf3, 0x03, 1}, 1440}, // CELT 10 ms, code 3 with three frames
	} {
		if got, err := opusSamples(tc.packet); err != nil || got != tc.want {
			t.Errorf("opusSamples(%x) = %d, %v; want %d", tc.packet, got, err, tc.want)
		}
	}
	for _, bad := range [][]byte{nil, {0x03}, {0xfb, 0x3f}} {
		if _, err := opusSamples(bad); err == nil {
			t.Errorf("opusSamples(%x) accepted", bad)
		}
	}
}

// frameOf reassembles one frame's VP8 data from its packets.
func frameOf(t *testing.T, pkts []*rtp.Packet) []byte {
	t.Helper()
	var out []byte
	for i, p := range pkts {
		var d codecs.VP8Packet
		data, err := d.Unmarshal(p.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if (d.S == 1) != (i == 0) || p.Marker != (i == len(pkts)-1) {
			t.Fatalf("packet %d of %d: S=%d marker=%v", i, len(pkts), d.S, p.Marker)
		}
		out = append(out, data...)
	}
	return out
}

func TestLayerSourceLoopsAndPaces(t *testing.T) {
	m, err := DefaultMedia()
	if err != nil {
		t.Fatal(err)
	}
	clip := m.Layers[1]
	l := newLayerSource(clip, 0)
	var lastTS uint32
	var lastSeq uint16
	for i := range 2*len(clip.Frames) + 1 {
		pkts := l.next()
		want := clip.Frames[i%len(clip.Frames)].Data
		if got := frameOf(t, pkts); !bytes.Equal(got, want) {
			t.Fatalf("frame %d differs from the clip (%d vs %d bytes)", i, len(got), len(want))
		}
		for j, p := range pkts {
			if len(p.Payload) > packetMTU-12 {
				t.Fatalf("payload of %d bytes over the MTU", len(p.Payload))
			}
			if i > 0 && p.SequenceNumber != lastSeq+1 {
				t.Fatalf("sequence jumps from %d to %d", lastSeq, p.SequenceNumber)
			}
			lastSeq = p.SequenceNumber
			if i > 0 && j == 0 && p.Timestamp-lastTS != 3000 {
				t.Fatalf("frame %d: timestamp step %d, want 3000 (90 kHz at 30 fps)", i, p.Timestamp-lastTS)
			}
			lastTS = p.Timestamp
		}
	}
	// One frame past the second loop: a keyframe request goes back to the
	// last keyframe, which is the clip's first frame.
	l.next()
	l.restartAtKeyframe()
	if l.cursor != 0 {
		t.Fatalf("keyframe request resumed at frame %d", l.cursor)
	}
}

func TestLayerSourcePadsToTarget(t *testing.T) {
	m, err := DefaultMedia()
	if err != nil {
		t.Fatal(err)
	}
	clip := m.Layers[1]
	target := 2 * clip.Bitrate()
	l := newLayerSource(clip, target)
	bytesSent := 0
	for range clip.Frames {
		for _, p := range l.next() {
			bytesSent += len(p.Payload)
		}
	}
	got := float64(bytesSent*8) / clip.Length().Seconds()
	if math.Abs(got-target)/target > 0.05 {
		t.Fatalf("padded rate %.0f bit/s, want %.0f", got, target)
	}
	if newLayerSource(clip, clip.Bitrate()/2).pad != 0 {
		t.Fatal("a target below the clip's rate must not pad (or drop)")
	}
}

// recorder is a fake client that keeps what a publisher writes.
type recorder struct {
	mu     sync.Mutex
	video  map[int][]*rtp.Packet
	audio  []*rtp.Packet
	levels []uint8
}

func (r *recorder) writeVideo(layer int, p *rtp.Packet) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.video == nil {
		r.video = map[int][]*rtp.Packet{}
	}
	r.video[layer] = append(r.video[layer], p)
	return nil
}

func (r *recorder) writeAudio(p *rtp.Packet, level uint8) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.audio = append(r.audio, p)
	r.levels = append(r.levels, level)
	return nil
}

func TestPublisherPacesAndStamps(t *testing.T) {
	m, err := DefaultMedia()
	if err != nil {
		t.Fatal(err)
	}
	c := newClock()
	w := &window{}
	w.on.Store(true)
	var sent sentCounter
	var keyframes sync.Once
	pub := &publisher{clock: c, window: w, sent: &sent, keyframe: func() bool {
		asked := false
		keyframes.Do(func() { asked = true })
		return asked
	}}
	rec := &recorder{}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	layers := []*layerSource{newLayerSource(m.Layers[0], 0), newLayerSource(m.Layers[1], 0)}
	start := c.Now()
	var wg sync.WaitGroup
	wg.Go(func() { pub.sendVideo(ctx, layers, rec.writeVideo) })
	wg.Go(func() { pub.sendAudio(ctx, m.Audio, rec.writeAudio) })
	wg.Wait()
	end := c.Now()

	rec.mu.Lock()
	defer rec.mu.Unlock()
	// 0.5 s is 15 video frames and 25 audio packets. A starved machine sends
	// fewer (the pacer never bursts to catch up), never more.
	if n := len(rec.audio); n < 5 || n > 27 {
		t.Errorf("%d audio packets in 0.5 s, want about 25", n)
	}
	frames := 0
	for _, p := range rec.video[1] {
		if p.Marker {
			frames++
		}
	}
	if frames < 3 || frames > 17 {
		t.Errorf("%d top-layer frames in 0.5 s, want about 15", frames)
	}
	if len(rec.video[0]) == 0 {
		t.Error("low layer not sent")
	}
	for _, p := range append(append([]*rtp.Packet{}, rec.audio...), rec.video[1]...) {
		_, ts, ok := ReadTrailer(p.Payload)
		if !ok || ts < start || ts > end {
			t.Fatalf("trailer %d outside the run [%d, %d]", ts, start, end)
		}
	}
	if rec.levels[0] != speakingLevel {
		t.Errorf("audio level %d", rec.levels[0])
	}
	total := sent.traffic(true).Add(sent.traffic(false))
	if total.Packets != uint64(len(rec.audio)+len(rec.video[0])+len(rec.video[1])) || sent.first.Load() < start {
		t.Errorf("counted %+v", total)
	}
}
