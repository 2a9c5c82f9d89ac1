package sfu

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/sdp/v3"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/bwe"
)

// Peer connection names, as used on the wire.
const (
	PCPublish   = "publish"
	PCSubscribe = "subscribe"
)

// TrackInfo tells a subscriber whose media a transceiver carries.
type TrackInfo struct {
	ParticipantID string
	Source        Source
}

// Signaller carries what the SFU must tell one client. Implementations must
// not block (queue and return): they are called from Pion's goroutines.
type Signaller interface {
	SubscribeOffer(offer webrtc.SessionDescription, tracks map[string]TrackInfo)
}

// ErrNoPublishConnection is returned for publish-side messages that arrive
// before the client's first publish offer.
var ErrNoPublishConnection = errors.New("sfu: no publish connection yet")

// Participant is one client's media: a publish connection (client offers)
// and a subscribe connection (server offers).
type Participant struct {
	room *Room
	id   string
	sig  Signaller
	log  *slog.Logger

	bwe  atomic.Pointer[bwe.Estimator]
	rtcp *rtcpRoutes // sub's RTCP (rtcproute.go)

	mu          sync.Mutex
	pub         *webrtc.PeerConnection
	pubBuffers  *streamBuffers    // pub's received streams (pushbuf.go)
	pubSources  map[string]Source // mid → source, from the client
	sub         *webrtc.PeerConnection
	ups         map[Source]*upTrack
	downs       map[*upTrack]*downTrack
	sizes       map[string]int // owner:source → wanted height (-1 unknown)
	offerOut    bool           // a subscribe offer awaits its answer
	reoffer     bool           // tracks changed while an offer was out
	iceRestart  bool           // next subscribe offer restarts ICE
	pendingCand map[string][]webrtc.ICECandidateInit
	blocked     map[Source]bool // sources not to forward (SetBlocked)
	closed      bool
	retired     bool // counters moved to the engine's (stats.go)
}

func newParticipant(r *Room, id string, sig Signaller) (*Participant, error) {
	p := &Participant{
		room:        r,
		id:          id,
		sig:         sig,
		log:         r.log.With("participant", id),
		pubSources:  map[string]Source{},
		ups:         map[Source]*upTrack{},
		downs:       map[*upTrack]*downTrack{},
		sizes:       map[string]int{},
		pendingCand: map[string][]webrtc.ICECandidateInit{},
		blocked:     map[Source]bool{},
	}
	p.rtcp = newRTCPRoutes(&p.bwe)
	api, err := r.engine.newAPI(p.bwe.Store, p.rtcp.factory)
	if err != nil {
		return nil, err
	}
	sub, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, fmt.Errorf("sfu: subscribe connection: %w", err)
	}
	p.sub = sub
	sub.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			p.startVideo()
		}
	})
	return p, nil
}

// ID is the participant's ID.
func (p *Participant) ID() string { return p.id }

// gatherTimeout bounds candidate gathering. With the UDP/TCP muxes the
// server gathers only host candidates, which takes microseconds.
const gatherTimeout = 2 * time.Second

// setLocalAndGather sets the local description and waits until all of the
// server's candidates are in it. The server's SDP therefore carries its
// candidates and it never trickles: a trickled candidate could otherwise
// overtake the offer it belongs to on the way to the client.
func setLocalAndGather(pc *webrtc.PeerConnection, d webrtc.SessionDescription) error {
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(d); err != nil {
		return err
	}
	select {
	case <-done:
		return nil
	case <-time.After(gatherTimeout):
		return errors.New("sfu: ICE gathering timed out")
	}
}

// Publish applies the client's publish offer (first one or an ICE restart)
// and returns the answer. sources maps transceiver mids to what they carry.
func (p *Participant) Publish(offer webrtc.SessionDescription, sources map[string]Source) (webrtc.SessionDescription, error) {
	if offer.Type != webrtc.SDPTypeOffer {
		return webrtc.SessionDescription{}, errors.New("sfu: publish needs an offer")
	}
	for mid, s := range sources {
		if !s.Valid() {
			return webrtc.SessionDescription{}, fmt.Errorf("sfu: mid %q: unknown source %q", mid, s)
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return webrtc.SessionDescription{}, errors.New("sfu: participant closed")
	}
	if p.pub == nil {
		bufs := newStreamBuffers()
		api, err := p.room.engine.newAPI(nil, bufs.factory)
		if err != nil {
			return webrtc.SessionDescription{}, err
		}
		pc, err := api.NewPeerConnection(webrtc.Configuration{})
		if err != nil {
			return webrtc.SessionDescription{}, fmt.Errorf("sfu: publish connection: %w", err)
		}
		pc.OnTrack(p.onTrack)
		p.pub, p.pubBuffers = pc, bufs
	}
	for mid, s := range sources {
		p.pubSources[mid] = s
	}
	if err := p.pub.SetRemoteDescription(offer); err != nil {
		return webrtc.SessionDescription{}, fmt.Errorf("sfu: publish offer: %w", err)
	}
	p.flushCandidatesLocked(PCPublish, p.pub)
	answer, err := p.pub.CreateAnswer(nil)
	if err != nil {
		return webrtc.SessionDescription{}, fmt.Errorf("sfu: publish answer: %w", err)
	}
	if err := setLocalAndGather(p.pub, answer); err != nil {
		return webrtc.SessionDescription{}, fmt.Errorf("sfu: set publish answer: %w", err)
	}
	return *p.pub.LocalDescription(), nil
}

// onTrack is called by Pion for each arriving RTP stream (each simulcast
// layer separately).
func (p *Participant) onTrack(remote *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	p.mu.Lock()
	mid := ""
	for _, t := range p.pub.GetTransceivers() {
		if t.Receiver() == receiver {
			mid = t.Mid()
		}
	}
	source, ok := p.pubSources[mid]
	if !ok || p.closed {
		p.mu.Unlock()
		p.log.Warn("track for unannounced transceiver ignored", "mid", mid)
		return
	}
	if source == SourceAudio && remote.Kind() != webrtc.RTPCodecTypeAudio ||
		source != SourceAudio && remote.Kind() != webrtc.RTPCodecTypeVideo {
		p.mu.Unlock()
		p.log.Warn("track kind does not match its source", "mid", mid, "source", source)
		return
	}
	up, existed := p.ups[source]
	if !existed {
		pc := p.pub
		up = newUpTrack(p.id, source, remote.Kind(), remote.Codec().RTPCodecCapability, func(ssrc uint32) {
			_ = pc.WriteRTCP(pliPacket(ssrc))
		})
		up.observe = &p.room.engine.reg.observe
		up.fanout = p.room.engine.fanout
		up.audioLevelID = audioLevelID(receiver)
		up.blocked.Store(p.blocked[source])
		p.ups[source] = up
	}
	layer := up.addLayer(remote.RID(), uint32(remote.SSRC()), remote)
	bufs := p.pubBuffers
	p.mu.Unlock()

	p.log.Debug("publishing", "source", source, "rid", remote.RID())
	if b := bufs.get(uint32(remote.SSRC())); b != nil {
		b.attach(up.consumer(layer, b)) // forwarded in the SRTP session's goroutine
	} else {
		go up.readLoop(layer)
	}
	if b := bufs.getRTCP(uint32(remote.SSRC())); b != nil {
		b.attach(receiverRTCP(receiver, remote.RID(), b))
	}
	if !existed {
		p.room.publish(p, up)
	}
}

// SetBlocked stops (true) or resumes forwarding this participant's source to
// everyone, whether or not the track has arrived yet. It is how the meeting
// enforces a host's mute and the screen-share permission on the server,
// whatever the participant's client does.
func (p *Participant) SetBlocked(source Source, blocked bool) {
	p.mu.Lock()
	p.blocked[source] = blocked
	up := p.ups[source]
	p.mu.Unlock()
	if up != nil {
		up.setBlocked(blocked)
	}
}

func audioLevelID(r *webrtc.RTPReceiver) uint8 {
	for _, e := range r.GetParameters().HeaderExtensions {
		if e.URI == sdp.AudioLevelURI {
			return uint8(e.ID)
		}
	}
	return 0
}

// startVideo asks for a keyframe on every video this participant receives
// but has not started yet. Keyframes requested at Bind may arrive before the
// subscribe connection's DTLS handshake completes and be lost; this request,
// made once the connection is up, gives a late joiner video at once instead
// of at the next allocation round.
func (p *Participant) startVideo() {
	p.mu.Lock()
	downs := make([]*downTrack, 0, len(p.downs))
	for _, d := range p.downs {
		downs = append(downs, d)
	}
	p.mu.Unlock()
	for _, d := range downs {
		if cur, target, paused := d.state(); cur == nil && !paused {
			d.up.keyframeNow(target)
		}
	}
}

// publishedTracks returns this participant's upTracks.
func (p *Participant) publishedTracks() []*upTrack {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*upTrack, 0, len(p.ups))
	for _, up := range p.ups {
		out = append(out, up)
	}
	return out
}

func (p *Participant) published(s Source) *upTrack {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ups[s]
}

// subscribe starts sending up to this participant.
func (p *Participant) subscribe(up *upTrack) {
	p.mu.Lock()
	if p.closed || p.downs[up] != nil {
		p.mu.Unlock()
		return
	}
	d := newDownTrack(up)
	d.routes = p.rtcp
	if ls := up.layerSnapshot(); len(ls) > 0 {
		d.target = ls[len(ls)-1]
	}
	sender, err := p.sub.AddTrack(d)
	if err != nil {
		p.mu.Unlock()
		p.log.Error("add track to subscriber", "err", err)
		return
	}
	d.sender = sender
	p.downs[up] = d
	p.mu.Unlock()
	up.addSink(d)
	p.negotiate()
}

// unsubscribe stops sending the given tracks (their publisher left).
func (p *Participant) unsubscribe(ups []*upTrack) {
	reg := &p.room.engine.reg
	reg.moves.RLock() // before p.mu: the order Stats takes them in
	p.mu.Lock()
	changed := false
	for _, up := range ups {
		d := p.downs[up]
		if d == nil {
			continue
		}
		up.removeSink(d)
		delete(p.downs, up)
		if !p.retired { // else retire already counted it
			reg.retire(&d.stats)
		}
		delete(p.sizes, up.owner+":"+string(up.source))
		if !p.closed {
			if err := p.sub.RemoveTrack(d.sender); err != nil {
				p.log.Debug("remove track", "err", err)
			}
			changed = true
		}
	}
	p.mu.Unlock()
	reg.moves.RUnlock()
	if changed {
		p.negotiate()
	}
}

// negotiate sends a new subscribe offer, or marks that one is needed once
// the outstanding offer is answered.
func (p *Participant) negotiate() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if p.offerOut {
		p.reoffer = true
		return
	}
	opts := &webrtc.OfferOptions{ICERestart: p.iceRestart}
	offer, err := p.sub.CreateOffer(opts)
	if err != nil {
		p.logNegotiation("create subscribe offer", err)
		return
	}
	if err := setLocalAndGather(p.sub, offer); err != nil {
		p.logNegotiation("set subscribe offer", err)
		return
	}
	p.iceRestart = false
	p.offerOut = true
	p.reoffer = false
	p.sig.SubscribeOffer(*p.sub.LocalDescription(), p.trackMapLocked())
}

// logNegotiation logs a failed renegotiation: an error while the
// connection is up, debug noise when it is closing (everyone leaving at once
// races track removals against closes).
func (p *Participant) logNegotiation(msg string, err error) {
	if p.sub.ConnectionState() == webrtc.PeerConnectionStateClosed {
		p.log.Debug(msg, "err", err)
		return
	}
	p.log.Error(msg, "err", err)
}

func (p *Participant) trackMapLocked() map[string]TrackInfo {
	m := make(map[string]TrackInfo)
	for _, t := range p.sub.GetTransceivers() {
		if t.Sender() == nil || t.Mid() == "" {
			continue
		}
		if d, ok := t.Sender().Track().(*downTrack); ok {
			m[t.Mid()] = TrackInfo{ParticipantID: d.up.owner, Source: d.up.source}
		}
	}
	return m
}

// SubscribeAnswer applies the client's answer to the last subscribe offer.
func (p *Participant) SubscribeAnswer(answer webrtc.SessionDescription) error {
	if answer.Type != webrtc.SDPTypeAnswer {
		return errors.New("sfu: subscribe_answer needs an answer")
	}
	p.mu.Lock()
	if !p.offerOut {
		p.mu.Unlock()
		return errors.New("sfu: no subscribe offer is outstanding")
	}
	err := p.sub.SetRemoteDescription(answer)
	p.offerOut = false
	if err == nil {
		p.flushCandidatesLocked(PCSubscribe, p.sub)
	}
	again := p.reoffer
	p.mu.Unlock()
	if err != nil {
		return fmt.Errorf("sfu: subscribe answer: %w", err)
	}
	if again {
		p.negotiate()
	}
	return nil
}

// RestartICE renegotiates the subscribe connection with fresh ICE
// credentials (the client saw it fail).
func (p *Participant) RestartICE() {
	p.mu.Lock()
	p.iceRestart = true
	p.mu.Unlock()
	p.negotiate()
}

// AddCandidate adds a trickled remote ICE candidate. Candidates that arrive
// before their connection has a remote description are held until it does.
func (p *Participant) AddCandidate(pc string, c webrtc.ICECandidateInit) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var conn *webrtc.PeerConnection
	switch pc {
	case PCPublish:
		conn = p.pub
	case PCSubscribe:
		conn = p.sub
	default:
		return fmt.Errorf("sfu: unknown connection %q", pc)
	}
	if conn == nil || conn.RemoteDescription() == nil {
		if len(p.pendingCand[pc]) >= 64 {
			return errors.New("sfu: too many early candidates")
		}
		p.pendingCand[pc] = append(p.pendingCand[pc], c)
		return nil
	}
	if err := conn.AddICECandidate(c); err != nil {
		return fmt.Errorf("sfu: add candidate: %w", err)
	}
	return nil
}

func (p *Participant) flushCandidatesLocked(pc string, conn *webrtc.PeerConnection) {
	for _, c := range p.pendingCand[pc] {
		if err := conn.AddICECandidate(c); err != nil {
			p.log.Debug("add held candidate", "err", err)
		}
	}
	delete(p.pendingCand, pc)
}

// SetVideoSize records the tile height the client shows a video at
// (0 = hidden); the next allocation round applies it.
func (p *Participant) SetVideoSize(owner string, source Source, width, height int) {
	_ = width // layers are chosen by height: tiles are letterboxed to 16:9
	p.mu.Lock()
	p.sizes[owner+":"+string(source)] = height
	p.mu.Unlock()
}

// allocateLayers picks a simulcast layer for every video this participant
// receives from its tile sizes and bandwidth estimate.
func (p *Participant) allocateLayers() {
	p.mu.Lock()
	downs := make([]*downTrack, 0, len(p.downs))
	demands := make([]videoDemand, 0, len(p.downs))
	layers := make([][]*upLayer, 0, len(p.downs))
	for up, d := range p.downs {
		if up.kind != webrtc.RTPCodecTypeVideo {
			continue
		}
		want, ok := p.sizes[up.owner+":"+string(up.source)]
		if !ok {
			want = -1
		}
		ls := up.layerSnapshot()
		dem := videoDemand{rates: make([]int, len(ls)), heights: make([]int, len(ls)), wantHeight: want}
		for i, l := range ls {
			dem.rates[i] = int(l.rate.Load())
			dem.heights[i] = int(l.height.Load())
		}
		downs = append(downs, d)
		demands = append(demands, dem)
		layers = append(layers, ls)
	}
	p.mu.Unlock()
	budget := 0
	if b := p.bwe.Load(); b != nil {
		budget = b.TargetBitrate()
	}
	for i, c := range allocate(demands, budget) {
		if c == layerPaused || c >= len(layers[i]) {
			downs[i].setTarget(nil)
			continue
		}
		downs[i].setTarget(layers[i][c])
	}
}

// Close removes the participant from its room and closes its connections.
func (p *Participant) Close() {
	if p.room.remove(p) {
		p.closePeerConnections()
		p.room.engine.reg.retireParticipant(p)
	}
}

func (p *Participant) closePeerConnections() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	pub, sub := p.pub, p.sub
	ups := p.ups
	p.mu.Unlock()
	for _, up := range ups {
		up.closed.Store(true)
	}
	if pub != nil {
		_ = pub.Close()
	}
	if sub != nil {
		_ = sub.Close()
	}
}
