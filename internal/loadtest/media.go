package loadtest

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/pion/webrtc/v4/pkg/media/ivfreader"
	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// The shipped clips (media/README.md says how they were made): small enough
// to embed, so the binary needs no files at run time.
//
//go:embed media/video-l.ivf media/video-h.ivf media/audio.ogg
var mediaFS embed.FS

// Media is what every publisher sends, looped: the camera as one clip per
// simulcast layer (lowest first, all at the same frame rate) and the
// microphone as Opus.
type Media struct {
	Layers []*VideoClip
	Audio  *AudioClip
}

// DefaultMedia reads the embedded clips: a 640x360 top layer and a 320x180
// low layer of ffmpeg's test pattern, and a 440 Hz tone.
func DefaultMedia() (*Media, error) {
	var m Media
	for _, name := range []string{"media/video-l.ivf", "media/video-h.ivf"} {
		b, err := mediaFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("loadtest: %w", err)
		}
		clip, err := ReadIVF(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("loadtest: %s: %w", name, err)
		}
		m.Layers = append(m.Layers, clip)
	}
	b, err := mediaFS.ReadFile("media/audio.ogg")
	if err != nil {
		return nil, fmt.Errorf("loadtest: %w", err)
	}
	if m.Audio, err = ReadOgg(bytes.NewReader(b)); err != nil {
		return nil, fmt.Errorf("loadtest: media/audio.ogg: %w", err)
	}
	return &m, nil
}

// VideoFrame is one encoded VP8 frame.
type VideoFrame struct {
	Data     []byte
	Keyframe bool
	// Ticks is how long the frame shows in 90 kHz RTP clock ticks: the gap
	// to the next frame's timestamp (for the last frame, the one before
	// it). Duration is the same as a time.Duration, for pacing.
	Ticks    uint32
	Duration time.Duration
}

// VideoClip is a VP8 file held in memory.
type VideoClip struct {
	Width, Height int
	Frames        []VideoFrame
}

// ReadIVF reads a whole VP8 IVF file.
func ReadIVF(r io.Reader) (*VideoClip, error) {
	rd, hdr, err := ivfreader.NewWith(r)
	if err != nil {
		return nil, fmt.Errorf("ivf header: %w", err)
	}
	if hdr.FourCC != "VP80" {
		return nil, fmt.Errorf("ivf: codec %q, want VP80", hdr.FourCC)
	}
	clip := &VideoClip{Width: int(hdr.Width), Height: int(hdr.Height)}
	var pts []uint64
	for {
		data, fh, err := rd.ParseNextFrame()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("ivf frame %d: %w", len(clip.Frames), err)
		}
		if len(data) == 0 {
			continue
		}
		// VP8 frame tag: the lowest bit is 0 for a keyframe (RFC 6386 9.1).
		clip.Frames = append(clip.Frames, VideoFrame{Data: data, Keyframe: data[0]&0x01 == 0})
		pts = append(pts, ivfPTS(fh.Timestamp, hdr))
	}
	if len(clip.Frames) == 0 {
		return nil, errors.New("ivf: no frames")
	}
	if !clip.Frames[0].Keyframe {
		return nil, errors.New("ivf: first frame is not a keyframe")
	}
	setDurations(clip.Frames, pts, hdr)
	return clip, nil
}

// ivfPTS recovers a frame's pts (in units of the file's time base) from
// Pion's reader, which (v4.2) reports it multiplied by rate/scale, where
// the time base is scale/rate seconds (the header calls them numerator and
// denominator).
func ivfPTS(ts uint64, hdr *ivfreader.IVFFileHeader) uint64 {
	return ts * uint64(hdr.TimebaseNumerator) / uint64(hdr.TimebaseDenominator)
}

// setDurations fills each frame's duration from the pts gaps; a frame with
// no later pts (or a non-increasing one) reuses the previous frame's, and a
// clip of one frame shows it for 1/30 s.
func setDurations(frames []VideoFrame, pts []uint64, hdr *ivfreader.IVFFileHeader) {
	rate, scale := uint64(hdr.TimebaseDenominator), uint64(hdr.TimebaseNumerator)
	ticks := uint64(90000 / 30)
	for i := range frames {
		if i+1 < len(pts) && pts[i+1] > pts[i] {
			ticks = (pts[i+1] - pts[i]) * scale * 90000 / rate
		}
		frames[i].Ticks = uint32(ticks)
		frames[i].Duration = time.Duration(ticks) * time.Second / 90000
	}
}

// Length is the clip's play time.
func (c *VideoClip) Length() time.Duration {
	var d time.Duration
	for _, f := range c.Frames {
		d += f.Duration
	}
	return d
}

// Bitrate is the clip's average encoded rate in bit/s.
func (c *VideoClip) Bitrate() float64 {
	n := 0
	for _, f := range c.Frames {
		n += len(f.Data)
	}
	return float64(n*8) / c.Length().Seconds()
}

// KeyframeAtOrBefore returns the index of the last keyframe at or before i,
// where a source jumps to answer a keyframe request: the frames from there
// on decode without anything earlier.
func (c *VideoClip) KeyframeAtOrBefore(i int) int {
	for ; i > 0; i-- {
		if c.Frames[i].Keyframe {
			return i
		}
	}
	return 0
}

// AudioPacket is one Opus packet and the number of 48 kHz samples it holds.
type AudioPacket struct {
	Data    []byte
	Samples uint32
}

// AudioClip is an Opus file held in memory.
type AudioClip struct {
	Packets []AudioPacket
}

// ReadOgg reads a whole Ogg Opus file written with one packet per page
// (ffmpeg -page_duration 20000): Pion's reader returns pages, and a page
// with several packets would be sent as one oversized packet.
func ReadOgg(r io.Reader) (*AudioClip, error) {
	rd, _, err := oggreader.NewWith(r)
	if err != nil {
		return nil, fmt.Errorf("ogg header: %w", err)
	}
	clip := &AudioClip{}
	for {
		page, _, err := rd.ParseNextPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("ogg page %d: %w", len(clip.Packets), err)
		}
		if len(page) == 0 || bytes.HasPrefix(page, []byte("OpusTags")) {
			continue
		}
		n, err := opusSamples(page)
		if err != nil {
			return nil, fmt.Errorf("ogg page %d: %w", len(clip.Packets), err)
		}
		clip.Packets = append(clip.Packets, AudioPacket{Data: page, Samples: n})
	}
	if len(clip.Packets) == 0 {
		return nil, errors.New("ogg: no audio packets")
	}
	return clip, nil
}

// opusSamples is an Opus packet's duration in 48 kHz samples, from its TOC
// byte (RFC 6716 3.1). The Ogg granule positions cannot be used: the last
// page's is cut to the encoder's end trim.
func opusSamples(p []byte) (uint32, error) {
	if len(p) == 0 {
		return 0, errors.New("opus: empty packet")
	}
	config := p[0] >> 3
	var frame uint32
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		frame = [4]uint32{480, 960, 1920, 2880}[config%4]
	case config < 16: // hybrid: 10, 20 ms
		frame = [2]uint32{480, 960}[config%2]
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = [4]uint32{120, 240, 480, 960}[config%4]
	}
	frames := uint32(1)
	switch p[0] & 0x03 {
	case 1, 2:
		frames = 2
	case 3:
		if len(p) < 2 {
			return 0, errors.New("opus: code 3 packet without frame count")
		}
		frames = uint32(p[1] & 0x3f)
	}
	if n := frame * frames; n > 0 && n <= 5760 {
		return n, nil
	}
	return 0, fmt.Errorf("opus: packet of %d frames of %d samples", frames, frame)
}

// Length is the clip's play time.
func (c *AudioClip) Length() time.Duration {
	var n uint64
	for _, p := range c.Packets {
		n += uint64(p.Samples)
	}
	return time.Duration(n) * time.Second / 48000
}

// Bitrate is the clip's average encoded rate in bit/s.
func (c *AudioClip) Bitrate() float64 {
	n := 0
	for _, p := range c.Packets {
		n += len(p.Data)
	}
	return float64(n*8) / c.Length().Seconds()
}
