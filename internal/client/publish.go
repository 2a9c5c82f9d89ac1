package client

import (
	"fmt"
	"time"

	"github.com/pion/rtp"
)

// Publishing primitives for media sources other than Pump (the load tester
// sends real VP8 and Opus from files). Pion's TrackLocalStaticRTP sends a
// packet's header as given apart from SSRC and payload type: the caller owns
// sequence numbers and timestamps, and these methods add the header
// extensions that Pion leaves to the application (see learnExtensions).

// WriteAudio publishes one Opus packet on the microphone track with the RFC
// 6464 audio level (in -dBov: 0 loudest, 127 silence), which the server's
// active-speaker detection reads. Before the publish answer has arrived the
// extension is not negotiated yet and the packet goes without it.
func (c *Client) WriteAudio(pkt *rtp.Packet, level uint8) error {
	if e := c.ext.Load(); e != nil && e.audioLevel != 0 {
		if err := pkt.SetExtension(e.audioLevel, []byte{0x80 | level&0x7f}); err != nil {
			return fmt.Errorf("client: audio level extension: %w", err)
		}
	}
	if err := c.Audio.WriteRTP(pkt); err != nil {
		return fmt.Errorf("client: write audio: %w", err)
	}
	return nil
}

// WriteVideo publishes one VP8 packet on camera layer (0 = lowest; with
// simulcast off the only layer is 0). Simulcast layers carry the mid and rid
// extensions, without which the server cannot tell the layers apart.
func (c *Client) WriteVideo(layer int, pkt *rtp.Packet) error {
	if layer < 0 || layer >= len(c.Camera) {
		return fmt.Errorf("client: no camera layer %d (have %d)", layer, len(c.Camera))
	}
	t := c.Camera[layer]
	if e := c.ext.Load(); e != nil && t.RID() != "" && e.mid != 0 && e.rid != 0 {
		if err := pkt.SetExtension(e.mid, []byte(c.cameraMid)); err != nil {
			return fmt.Errorf("client: mid extension: %w", err)
		}
		if err := pkt.SetExtension(e.rid, []byte(t.RID())); err != nil {
			return fmt.Errorf("client: rid extension: %w", err)
		}
	}
	if err := t.WriteRTP(pkt); err != nil {
		return fmt.Errorf("client: write video layer %d: %w", layer, err)
	}
	return nil
}

// TakeKeyframeRequest reports whether the server asked for a keyframe (PLI
// or FIR, on any layer) since the last call, and clears the request. A
// source should answer with a keyframe on every layer.
func (c *Client) TakeKeyframeRequest() bool { return c.keyframeWanted.Swap(false) }

// HelloSent is when Dial sent hello: the start of joining, for measuring
// how long a participant waits for media.
func (c *Client) HelloSent() time.Time { return c.helloSent }
