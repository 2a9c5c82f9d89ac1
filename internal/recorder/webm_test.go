package recorder

import (
	"bytes"
	"testing"
	"time"
)

// memFlusher records how the muxer's output was cut by flushes.
type memFlusher struct {
	bytes.Buffer
	flushedAt []int
}

func (m *memFlusher) Flush() error {
	m.flushedAt = append(m.flushedAt, m.Len())
	return nil
}

func keyFrame(n byte) []byte {
	return append([]byte{0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}, n)
}

func interFrame(n byte) []byte { return []byte{0x11, 0x00, 0x00, n} }

func TestMuxerVideoClustersAtKeyframes(t *testing.T) {
	var out memFlusher
	m := newMuxer(&out, true)
	if err := m.frame(0, false, interFrame(0)); err != nil || out.Len() != 0 {
		t.Fatal("an inter frame before the first keyframe was written")
	}
	tc := int64(2000) // the file starts 2 s into the recording
	for i := range 90 {
		var err error
		if i%30 == 0 {
			err = m.frame(tc, true, keyFrame(byte(i)))
		} else {
			err = m.frame(tc, false, interFrame(byte(i)))
		}
		if err != nil {
			t.Fatal(err)
		}
		tc += 33
	}
	d := decodeWebM(t, out.Bytes(), true)
	if d.Entry.CodecID != "V_VP8" || d.Entry.Video == nil || d.Entry.Video.PixelWidth != 640 || d.Entry.Video.PixelHeight != 480 {
		t.Fatalf("track entry %+v", d.Entry)
	}
	if len(d.Frames) != 90 {
		t.Fatalf("%d frames, want 90", len(d.Frames))
	}
	for i, f := range d.Frames {
		if f.TC != 2000+int64(i)*33 || f.Key != (i%30 == 0) || f.Data[len(f.Data)-1] != byte(i) {
			t.Fatalf("frame %d: tc %d key %v", i, f.TC, f.Key)
		}
	}
	// A flush at every keyframe: each prefix the file was flushed at parses
	// (a crash there leaves a playable file).
	if len(out.flushedAt) < 3 {
		t.Fatalf("%d flushes for 3 keyframes", len(out.flushedAt))
	}
	for _, at := range out.flushedAt {
		if decodeWebM(t, out.Bytes()[:at], false).Cut {
			t.Fatalf("the prefix flushed at %d ends inside a block", at)
		}
	}
	if m.duration() != 89*33*time.Millisecond {
		t.Fatalf("duration %v", m.duration())
	}
}

func TestMuxerAudioFlushesEverySecondAndSplitsClusters(t *testing.T) {
	var out memFlusher
	m := newMuxer(&out, false)
	for i := range 600 { // 12 s of 20 ms frames
		if err := m.frame(int64(i)*20, false, []byte{byte(i), byte(i >> 8)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(out.flushedAt); n < 11 || n > 15 {
		t.Fatalf("%d flushes in 12 s, want about one a second", n)
	}
	d := decodeWebM(t, out.Bytes(), true)
	if d.Entry.CodecID != "A_OPUS" || len(d.Entry.CodecPrivate) != 19 || d.Entry.Audio.SamplingFrequency != 48000 {
		t.Fatalf("track entry %+v", d.Entry)
	}
	if len(d.Frames) != 600 {
		t.Fatalf("%d frames", len(d.Frames))
	}
	for i, f := range d.Frames {
		if f.TC != int64(i)*20 || !f.Key {
			t.Fatalf("frame %d: tc %d key %v", i, f.TC, f.Key)
		}
	}
	for _, at := range out.flushedAt {
		if decodeWebM(t, out.Bytes()[:at], false).Cut {
			t.Fatalf("the prefix flushed at %d ends inside a block", at)
		}
	}
}

func TestTimelineRebasesAnotherLayer(t *testing.T) {
	start := time.Unix(0, 0)
	tl := timeline{rate: 90000, offset: 500}
	tl.begin(1000, start, false)
	if got := tl.ms(1000); got != 500 {
		t.Fatalf("first frame at %d ms", got)
	}
	tl.observe(1000+90000, start.Add(time.Second))
	if got := tl.ms(1000 + 90000); got != 1500 {
		t.Fatalf("a second later: %d ms", got)
	}
	// Another layer, its own random base, 100 ms of capture time later.
	base := uint32(4_294_900_000)
	tl.begin(base, start.Add(1100*time.Millisecond), false)
	if got := tl.ms(base); got != 1600 {
		t.Fatalf("after the switch: %d ms, want 1600", got)
	}
	// Its timestamps wrap around 2^32 and the timeline goes on.
	ts := base + 90000*4 // wraps
	tl.observe(ts, start.Add(5100*time.Millisecond))
	if got := tl.ms(ts); got != 5600 {
		t.Fatalf("across the wrap: %d ms, want 5600", got)
	}
	// The same layer again (after a gap in the queue) keeps its timestamps.
	tl.begin(ts+9000, start.Add(9*time.Second), true)
	if got := tl.ms(ts + 9000); got != 5700 {
		t.Fatalf("same layer restart: %d ms, want 5700", got)
	}
}
