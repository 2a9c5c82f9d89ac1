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
	// PayloadSize is the video payload size in bytes (default 1000).
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
			if e := c.ext.Load(); e != nil && e.audioLevel != 0 {
				_ = h.SetExtension(e.audioLevel, []byte{0x80 | o.AudioLevel&0x7f})
			}
			_ = c.Audio.WriteRTP(&rtp.Packet{Header: h, Payload: audioPayload})
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
			if first && (frame%o.KeyframeEvery == 0 || c.keyframeWanted.Swap(false)) {
				videoPayload[1] = 0x00 // keyframe
			}
			for _, t := range c.Camera {
				h := rtp.Header{Version: 2, SequenceNumber: vSeq, Timestamp: vTS, Marker: last}
				if e := c.ext.Load(); e != nil && t.RID() != "" && e.mid != 0 && e.rid != 0 {
					_ = h.SetExtension(e.mid, []byte(c.cameraMid))
					_ = h.SetExtension(e.rid, []byte(t.RID()))
				}
				_ = t.WriteRTP(&rtp.Packet{Header: h, Payload: videoPayload})
			}
			vPkt++
		}
	}
}
