package client

import (
	"context"
	"time"

	"github.com/pion/rtp"
)

// Synthetic media for tests and load runs: RTP packets whose payloads look
// like VP8 and Opus to the server (which parses only the VP8 descriptor and
// the audio-level extension) at realistic packet rates.

// PumpOptions sets the synthetic media rates.
type PumpOptions struct {
	// VideoPacketsPerSecond per camera layer (default 100: ~30 fps at 3
	// packets per frame).
	VideoPacketsPerSecond int
	// KeyframeEvery is the number of video frames between keyframes
	// (default 60).
	KeyframeEvery int
	// PayloadSize is the video payload size in bytes of the top layer
	// (default 1000); lower simulcast layers scale it down by their pixels.
	PayloadSize int
	// AudioLevel is the RFC 6464 level sent with audio, in -dBov (0 loudest,
	// 127 silence). Zero means silence.
	AudioLevel uint8
}

func (o *PumpOptions) defaults() {
	if o.VideoPacketsPerSecond == 0 {
		o.VideoPacketsPerSecond = 100
	}
	if o.KeyframeEvery == 0 {
		o.KeyframeEvery = 60
	}
	if o.PayloadSize == 0 {
		o.PayloadSize = 1000
	}
	if o.AudioLevel == 0 {
		o.AudioLevel = 127
	}
}

// Pump publishes synthetic audio (50 packets/s, 20 ms Opus frames) and camera
// video on every layer until ctx ends.
func (c *Client) Pump(ctx context.Context, o PumpOptions) {
	o.defaults()
	audioTick := time.NewTicker(20 * time.Millisecond)
	videoTick := time.NewTicker(time.Second / time.Duration(o.VideoPacketsPerSecond))
	defer audioTick.Stop()
	defer videoTick.Stop()
	var aSeq, vSeq uint16
	var aTS, vTS uint32
	vPkt := 0
	audioPayload := make([]byte, 80)
	videoPayload := make([]byte, o.PayloadSize)
	const packetsPerFrame = 3
	for {
		select {
		case <-ctx.Done():
			return
		case <-audioTick.C:
			aSeq++
			aTS += 960
			h := rtp.Header{Version: 2, SequenceNumber: aSeq, Timestamp: aTS}
			_ = c.WriteAudio(&rtp.Packet{Header: h, Payload: audioPayload}, o.AudioLevel)
		case <-videoTick.C:
			frame := vPkt / packetsPerFrame
			first := vPkt%packetsPerFrame == 0
			last := vPkt%packetsPerFrame == packetsPerFrame-1
			vSeq++
			if first {
				vTS += 3000
			}
			videoPayload[0] = 0x00
			if first {
				videoPayload[0] = 0x10 // S bit: start of partition 0
			}
			videoPayload[1] = 0x01 // delta frame
			if first && (frame%o.KeyframeEvery == 0 || c.TakeKeyframeRequest()) {
				videoPayload[1] = 0x00 // keyframe
			}
			for i := range c.Camera {
				layerHeader(videoPayload, i, len(c.Camera))
				h := rtp.Header{Version: 2, SequenceNumber: vSeq, Timestamp: vTS, Marker: last}
				_ = c.WriteVideo(i, &rtp.Packet{Header: h, Payload: videoPayload[:layerSize(o.PayloadSize, i, len(c.Camera))]})
			}
			vPkt++
		}
	}
}

// layerSize scales the payload like an encoder's bit rate: a layer with a
// quarter of the pixels gets a quarter of the bytes.
func layerSize(full, layer, layers int) int {
	scale := 1 << (layers - 1 - layer)
	return max(full/(scale*scale), LayerMarker+1)
}

// LayerMarker is the payload byte that tells which camera layer a packet of
// Pump's synthetic video came from (0 = lowest), so tests can see which
// simulcast layer the server forwards.
const LayerMarker = 11

// layerHeader writes a VP8 keyframe header (start code and frame size) after
// the one-byte payload descriptor, as a real encoder does, so the server
// learns each layer's height: layer i of n is 640x360 scaled by 2^(n-1-i).
func layerHeader(p []byte, layer, layers int) {
	scale := 1 << (layers - 1 - layer)
	w, h := 640/scale, 360/scale
	p[2], p[3] = 0, 0
	p[4], p[5], p[6] = 0x9d, 0x01, 0x2a
	p[7], p[8] = byte(w), byte(w>>8)
	p[9], p[10] = byte(h), byte(h>>8)
	p[LayerMarker] = byte(layer)
}
