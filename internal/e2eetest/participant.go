package e2eetest

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/protocol"
)

// Participant is the key side of an E2EE participant over internal/client:
// it publishes its public key (e2ee_pubkey), learns the others'
// (e2ee_pubkey) and opens the sender keys they wrap for it (e2ee_key),
// exactly as a browser does (web/src/e2eesession.ts). It sends no media
// and wraps no key of its own. Hand OnMessage to client.Options.OnMessage
// before Dial, then call Start with the client.
type Participant struct {
	Identity *Identity
	// Keys are the sender keys received so far, per participant.
	Keys *Keyring

	mu          sync.Mutex
	self, mtg   string
	started     bool
	pubkeys     map[string][]byte
	pending     []protocol.E2EEKeyFrom
	unwrapFails int
}

// NewParticipant makes a participant with a fresh identity.
func NewParticipant() (*Participant, error) {
	id, err := NewIdentity()
	if err != nil {
		return nil, err
	}
	return &Participant{Identity: id, Keys: NewKeyring(), pubkeys: map[string][]byte{}}, nil
}

// OnMessage takes e2ee_pubkey and e2ee_key messages; others are ignored.
func (p *Participant) OnMessage(typ string, data json.RawMessage) {
	switch typ {
	case "e2ee_pubkey":
		var m protocol.E2EEPubKeyOf
		if json.Unmarshal(data, &m) != nil {
			return
		}
		spki, err := UnB64(m.SPKI)
		if err != nil {
			return
		}
		p.mu.Lock()
		p.pubkeys[m.Participant] = spki
		p.mu.Unlock()
		p.openPending()
	case "e2ee_key":
		var m protocol.E2EEKeyFrom
		if json.Unmarshal(data, &m) != nil {
			return
		}
		p.mu.Lock()
		p.pending = append(p.pending, m)
		p.mu.Unlock()
		p.openPending()
	}
}

// Start publishes the public key; c is the client OnMessage was given to.
func (p *Participant) Start(ctx context.Context, c *client.Client) error {
	p.mu.Lock()
	p.self, p.mtg, p.started = c.ID(), c.Welcome.Meeting.ID, true
	p.mu.Unlock()
	p.openPending()
	return c.Send(ctx, "e2ee_pubkey", protocol.E2EEPubKey{SPKI: B64(p.Identity.SPKI)})
}

// UnwrapFailures counts wrapped keys that did not open.
func (p *Participant) UnwrapFailures() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.unwrapFails
}

// openPending opens the wrapped keys whose sender's public key is known,
// once Start has said who this participant is.
func (p *Participant) openPending() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.started {
		return
	}
	keep := p.pending[:0]
	for _, m := range p.pending {
		fromSPKI, ok := p.pubkeys[m.From]
		if !ok {
			keep = append(keep, m)
			continue
		}
		wrapped, err := UnB64(m.Wrapped)
		if err != nil {
			p.unwrapFails++
			continue
		}
		k, err := Unwrap(p.Identity, wrapped, WrapParties{Context: p.mtg, From: m.From, To: p.self, FromSPKI: fromSPKI, ToSPKI: p.Identity.SPKI})
		if err != nil {
			p.unwrapFails++
			continue
		}
		p.Keys.Add(m.From, k)
	}
	p.pending = keep
}

// Frame is one encoded frame as the server forwarded it, reassembled from
// RTP: for VP8 the packets from a partition start to the marker bit.
type Frame struct {
	Data []byte
	SSRC uint32
	// Video: VP8; otherwise Opus.
	Video bool
}

// ReadFrames reassembles a track's frames and calls fn for each until the
// track ends. A video frame missing a packet (a gap in sequence numbers
// between its first packet and its marker) is left out, as a receiver's
// depacketiser would not hand it to the decoder either.
func ReadFrames(tr *webrtc.TrackRemote, fn func(Frame)) {
	video := tr.Kind() == webrtc.RTPCodecTypeVideo
	var cur []byte
	var vp8 codecs.VP8Packet
	var pkt rtp.Packet
	var last uint16
	whole := false // cur holds a frame from its start, without gaps
	buf := make([]byte, 1500)
	for {
		n, _, err := tr.Read(buf)
		if err != nil {
			return
		}
		if pkt.Unmarshal(buf[:n]) != nil || len(pkt.Payload) == 0 {
			continue // padding (bandwidth probes) carries no frame
		}
		if !video {
			fn(Frame{Data: append([]byte(nil), pkt.Payload...), SSRC: pkt.SSRC})
			continue
		}
		gap := pkt.SequenceNumber != last+1
		last = pkt.SequenceNumber
		payload, err := vp8.Unmarshal(pkt.Payload)
		if err != nil {
			whole = false
			continue
		}
		switch {
		case vp8.S == 1 && vp8.PID == 0:
			cur, whole = cur[:0], true
		case gap:
			whole = false
		}
		cur = append(cur, payload...)
		if pkt.Marker && whole {
			fn(Frame{Data: append([]byte(nil), cur...), SSRC: pkt.SSRC, Video: true})
			whole = false
		}
	}
}
