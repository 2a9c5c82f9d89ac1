package client

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"
)

var (
	vp8  = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}
	opus = webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}
)

// rtcConfig uses the server's TURN relay only when asked to: by default a
// test client connects directly, as a browser on the same network would.
func (c *Client) rtcConfig() webrtc.Configuration {
	if !c.opts.RelayOnly {
		return webrtc.Configuration{}
	}
	var servers []webrtc.ICEServer
	for _, s := range c.Welcome.ICEServers {
		servers = append(servers, webrtc.ICEServer{URLs: s.URLs, Username: s.Username, Credential: s.Credential})
	}
	return webrtc.Configuration{ICEServers: servers, ICETransportPolicy: webrtc.ICETransportPolicyRelay}
}

// setup creates both peer connections and sends the publish offer with its
// three transceivers (audio, camera, screen), as the browser client does.
func (c *Client) setup(ctx context.Context) error {
	a, err := c.api()
	if err != nil {
		return err
	}
	cfg := c.rtcConfig()
	if c.pub, err = a.NewPeerConnection(cfg); err != nil {
		return fmt.Errorf("client: publish connection: %w", err)
	}
	if c.sub, err = a.NewPeerConnection(cfg); err != nil {
		return fmt.Errorf("client: subscribe connection: %w", err)
	}
	c.pub.OnICECandidate(c.sendCandidate("publish"))
	c.sub.OnICECandidate(c.sendCandidate("subscribe"))
	c.sub.OnTrack(c.onTrack)

	if c.Audio, err = webrtc.NewTrackLocalStaticRTP(opus, "audio", "conclave"); err != nil {
		return fmt.Errorf("client: audio track: %w", err)
	}
	audio, err := c.pub.AddTransceiverFromTrack(c.Audio, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return fmt.Errorf("client: audio transceiver: %w", err)
	}
	camera, err := c.addCamera()
	if err != nil {
		return err
	}
	if c.Screen, err = webrtc.NewTrackLocalStaticRTP(vp8, "screen", "conclave-screen"); err != nil {
		return fmt.Errorf("client: screen track: %w", err)
	}
	screen, err := c.pub.AddTransceiverFromTrack(c.Screen, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return fmt.Errorf("client: screen transceiver: %w", err)
	}
	for _, t := range []*webrtc.RTPTransceiver{audio, screen} {
		go c.drainRTCP(t.Sender().ReadRTCP)
	}
	if c.opts.Simulcast {
		for _, t := range c.Camera {
			rid, s := t.RID(), camera.Sender()
			go c.drainRTCP(func() ([]rtcp.Packet, interceptor.Attributes, error) { return s.ReadSimulcastRTCP(rid) })
		}
	} else {
		go c.drainRTCP(camera.Sender().ReadRTCP)
	}
	offer, err := c.pub.CreateOffer(nil)
	if err != nil {
		return fmt.Errorf("client: publish offer: %w", err)
	}
	if err := c.pub.SetLocalDescription(offer); err != nil {
		return fmt.Errorf("client: set publish offer: %w", err)
	}
	c.audioSender, c.cameraSender, c.cameraMid = audio.Sender(), camera.Sender(), camera.Mid()
	tracks := map[string]string{audio.Mid(): "audio", camera.Mid(): "camera", screen.Mid(): "screen"}
	return c.Send(ctx, "publish", map[string]any{"sdp": c.pub.LocalDescription(), "tracks": tracks})
}

func (c *Client) addCamera() (*webrtc.RTPTransceiver, error) {
	rids := []string{""}
	if c.opts.Simulcast {
		rids = []string{"l", "h"}
	}
	for _, rid := range rids {
		var opts []func(*webrtc.TrackLocalStaticRTP)
		if rid != "" {
			opts = append(opts, webrtc.WithRTPStreamID(rid))
		}
		t, err := webrtc.NewTrackLocalStaticRTP(vp8, "camera", "conclave", opts...)
		if err != nil {
			return nil, fmt.Errorf("client: camera track: %w", err)
		}
		c.Camera = append(c.Camera, t)
	}
	tr, err := c.pub.AddTransceiverFromTrack(c.Camera[0], webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, fmt.Errorf("client: camera transceiver: %w", err)
	}
	for _, t := range c.Camera[1:] {
		if err := tr.Sender().AddEncoding(t); err != nil {
			return nil, fmt.Errorf("client: simulcast layer: %w", err)
		}
	}
	return tr, nil
}

// drainRTCP reads a sender's RTCP (each simulcast layer has its own) so
// interceptors (NACK, reports) run, and notes keyframe requests for Pump.
func (c *Client) drainRTCP(read func() ([]rtcp.Packet, interceptor.Attributes, error)) {
	for {
		pkts, _, err := read()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				c.KeyframeRequests.Add(1)
				c.keyframeWanted.Store(true)
			}
		}
	}
}

func (c *Client) sendCandidate(pc string) func(*webrtc.ICECandidate) {
	return func(cand *webrtc.ICECandidate) {
		if cand == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = c.Send(ctx, "ice", map[string]any{"pc": pc, "candidate": cand.ToJSON()})
	}
}

func (c *Client) onTrack(t *webrtc.TrackRemote, r *webrtc.RTPReceiver) {
	mid := ""
	for _, tr := range c.sub.GetTransceivers() {
		if tr.Receiver() == r {
			mid = tr.Mid()
		}
	}
	c.mu.Lock()
	info := c.subTracks[mid]
	c.mu.Unlock()
	go func() {
		for {
			if _, _, err := r.ReadRTCP(); err != nil {
				return
			}
		}
	}()
	if c.opts.OnTrack != nil {
		c.opts.OnTrack(info.ParticipantID, info.Source, t)
		return
	}
	buf := make([]byte, 1500)
	for {
		if _, _, err := t.Read(buf); err != nil {
			return
		}
	}
}

// readLoop handles server messages until the connection ends.
func (c *Client) readLoop() {
	defer close(c.done)
	ctx := context.Background()
	for {
		typ, data, err := c.read(ctx)
		if err != nil && c.opts.Resume && c.resumeAfter(ctx, err) {
			continue
		}
		if err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
			return
		}
		if err := c.handle(ctx, typ, data); err != nil {
			c.mu.Lock()
			c.err = err
			c.mu.Unlock()
		}
		if c.opts.OnMessage != nil {
			c.opts.OnMessage(typ, data)
		}
	}
}

type sdpMsg struct {
	SDP    webrtc.SessionDescription `json:"sdp"`
	Tracks map[string]trackInfo      `json:"tracks"`
}

// decodeSDP reads an SDP message, applying Options.ServerSDP.
func (c *Client) decodeSDP(data json.RawMessage) (sdpMsg, error) {
	var m sdpMsg
	if err := json.Unmarshal(data, &m); err != nil {
		return m, err
	}
	if c.opts.ServerSDP != nil {
		m.SDP.SDP = c.opts.ServerSDP(m.SDP.SDP)
	}
	return m, nil
}

func (c *Client) handle(ctx context.Context, typ string, data json.RawMessage) error {
	switch typ {
	case "publish_answer":
		m, err := c.decodeSDP(data)
		if err != nil {
			return fmt.Errorf("client: publish_answer: %w", err)
		}
		if err := c.pub.SetRemoteDescription(m.SDP); err != nil {
			return fmt.Errorf("client: publish answer: %w", err)
		}
		c.learnExtensions()
		return nil
	case "subscribe_offer":
		m, err := c.decodeSDP(data)
		if err != nil {
			return fmt.Errorf("client: subscribe_offer: %w", err)
		}
		c.mu.Lock()
		for mid, info := range m.Tracks {
			c.subTracks[mid] = info
		}
		c.mu.Unlock()
		if err := c.sub.SetRemoteDescription(m.SDP); err != nil {
			return fmt.Errorf("client: subscribe offer: %w", err)
		}
		answer, err := c.sub.CreateAnswer(nil)
		if err != nil {
			return fmt.Errorf("client: subscribe answer: %w", err)
		}
		if err := c.sub.SetLocalDescription(answer); err != nil {
			return fmt.Errorf("client: set subscribe answer: %w", err)
		}
		return c.Send(ctx, "subscribe_answer", map[string]any{"sdp": c.sub.LocalDescription()})
	case "ice":
		var m struct {
			PC        string                  `json:"pc"`
			Candidate webrtc.ICECandidateInit `json:"candidate"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			return fmt.Errorf("client: ice: %w", err)
		}
		pc := c.pub
		if m.PC == "subscribe" {
			pc = c.sub
		}
		return pc.AddICECandidate(m.Candidate)
	case "bye":
		return errClosed
	}
	return nil
}

// learnExtensions records the negotiated header extension IDs that Pump
// must set itself: Pion leaves mid/rid (simulcast) and audio level to the
// application.
func (c *Client) learnExtensions() {
	var e extIDs
	for _, h := range c.cameraSender.GetParameters().HeaderExtensions {
		switch h.URI {
		case sdp.SDESMidURI:
			e.mid = uint8(h.ID)
		case sdp.SDESRTPStreamIDURI:
			e.rid = uint8(h.ID)
		}
	}
	for _, h := range c.audioSender.GetParameters().HeaderExtensions {
		if h.URI == sdp.AudioLevelURI {
			e.audioLevel = uint8(h.ID)
		}
	}
	c.ext.Store(&e)
}

// SRTPCiphers returns the SRTP protection profile each peer connection
// negotiated ("" until its DTLS handshake is done).
func (c *Client) SRTPCiphers() (publish, subscribe string) {
	return srtpCipher(c.pub), srtpCipher(c.sub)
}

func srtpCipher(pc *webrtc.PeerConnection) string {
	if pc == nil {
		return ""
	}
	for _, s := range pc.GetStats() {
		if t, ok := s.(webrtc.TransportStats); ok && t.SRTPCipher != "" {
			return t.SRTPCipher
		}
	}
	return ""
}
