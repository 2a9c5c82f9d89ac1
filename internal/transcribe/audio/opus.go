// Package audio turns a participant's Opus packets into the 16 kHz mono
// PCM a speech engine takes: Opus decoding in pure Go (github.com/pion/opus,
// all three modes: SILK, hybrid and CELT), then a low-pass filter and 3:1
// decimation. No cgo: the default build needs no C library.
package audio

import (
	"errors"
	"fmt"

	"github.com/pion/opus"
)

// Opus's own numbers (RFC 6716).
const (
	// Rate is the rate RTP timestamps of Opus count in, and the rate
	// this package decodes at before decimating.
	Rate = 48000
	// MaxPacketSamples is the longest packet: 120 ms at 48 kHz.
	MaxPacketSamples = 5760
)

// ErrMalformed is returned for a packet that is not Opus.
var ErrMalformed = errors.New("audio: malformed Opus packet")

// PacketSamples is how many 48 kHz samples an Opus packet holds, read
// from its TOC byte and, for code 3, its frame count (RFC 6716 3.1-3.2).
func PacketSamples(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, fmt.Errorf("%w: empty", ErrMalformed)
	}
	config := int(p[0] >> 3)
	var frame int
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		frame = [4]int{480, 960, 1920, 2880}[config%4]
	case config < 16: // hybrid: 10, 20 ms
		frame = [2]int{480, 960}[config%2]
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = [4]int{120, 240, 480, 960}[config%4]
	}
	frames := 1
	switch p[0] & 0x03 {
	case 1, 2:
		frames = 2
	case 3:
		if len(p) < 2 {
			return 0, fmt.Errorf("%w: code 3 without a frame count", ErrMalformed)
		}
		frames = int(p[1] & 0x3f)
	}
	n := frame * frames
	if n == 0 || n > MaxPacketSamples {
		return 0, fmt.Errorf("%w: %d frames of %d samples", ErrMalformed, frames, frame)
	}
	return n, nil
}

// Decoder decodes one Opus stream (one participant's microphone) into
// 16 kHz mono samples. It is not safe for concurrent use.
type Decoder struct {
	dec  opus.Decoder
	pcm  []float32 // one packet at 48 kHz
	down Decimator
}

// NewDecoder returns a decoder for a new stream.
func NewDecoder() (*Decoder, error) {
	dec, err := opus.NewDecoderWithOutput(Rate, 1) // stereo is mixed down
	if err != nil {
		return nil, fmt.Errorf("audio: opus decoder: %w", err)
	}
	return &Decoder{dec: dec, pcm: make([]float32, MaxPacketSamples)}, nil
}

// Decode decodes one packet and appends its 16 kHz samples to dst. On an
// error nothing is appended and the decoder stays usable; the caller may
// count the packet as lost (Silence of PacketSamples).
//
// Packets come from participants, so a malformed one must not take the
// server down: a panic inside the decoder is turned into an error, and
// the decoder is reset.
func (d *Decoder) Decode(dst []int16, packet []byte) (out []int16, err error) {
	if _, err := PacketSamples(packet); err != nil {
		return dst, err
	}
	n, err := d.decode(packet)
	if err != nil {
		return dst, err
	}
	return d.down.Process(dst, d.pcm[:n]), nil
}

func (d *Decoder) decode(packet []byte) (n int, err error) {
	defer func() {
		if r := recover(); r != nil {
			n, err = 0, fmt.Errorf("%w: decoder panicked: %v", ErrMalformed, r)
			_ = d.dec.Init(Rate, 1)
		}
	}()
	n, err = d.dec.DecodeToFloat32(packet, d.pcm)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if n > MaxPacketSamples {
		return 0, fmt.Errorf("%w: %d samples", ErrMalformed, n)
	}
	return n, nil
}

// Silence appends the 16 kHz rendering of samples48 samples (48 kHz) of
// silence: for lost packets and gaps, so that what follows keeps its
// time.
func (d *Decoder) Silence(dst []int16, samples48 int) []int16 {
	if samples48 <= 0 {
		return dst
	}
	return d.down.Zeros(dst, samples48)
}
