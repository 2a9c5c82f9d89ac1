package client

import (
	"fmt"

	"github.com/pion/rtcp"
)

// RequestKeyframe sends a picture loss indication for a track this client
// receives (ssrc as the track reports it), as a browser's decoder does
// after loss; the server answers with a keyframe from the publisher.
func (c *Client) RequestKeyframe(ssrc uint32) error {
	if err := c.sub.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
		return fmt.Errorf("client: keyframe request: %w", err)
	}
	return nil
}
