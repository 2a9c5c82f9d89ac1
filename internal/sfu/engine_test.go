package sfu

import (
	"net"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4"
)

type nopSignaller struct{}

func (nopSignaller) SubscribeOffer(webrtc.SessionDescription, map[string]TrackInfo) {}

// offerer makes a plain Pion offer with one audio and one video transceiver.
func offerer(t *testing.T) (*webrtc.PeerConnection, webrtc.SessionDescription) {
	t.Helper()
	pc, err := webrtc.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	for _, k := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeAudio, webrtc.RTPCodecTypeVideo} {
		if _, err := pc.AddTransceiverFromKind(k, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}); err != nil {
			t.Fatal(err)
		}
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	return pc, offer
}

func candidates(sdp string) []string {
	var out []string
	for _, l := range strings.Split(sdp, "\n") {
		if strings.HasPrefix(l, "a=candidate:") {
			out = append(out, strings.TrimSpace(l))
		}
	}
	return out
}

func answerFrom(t *testing.T, cfg Config) string {
	t.Helper()
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	r := e.NewRoom("r", nil)
	t.Cleanup(r.Close)
	p, err := r.Join("p1", nopSignaller{})
	if err != nil {
		t.Fatal(err)
	}
	_, offer := offerer(t)
	answer, err := p.Publish(offer, map[string]Source{"0": SourceAudio, "1": SourceCamera})
	if err != nil {
		t.Fatal(err)
	}
	return answer.SDP
}

func TestCandidatesOnlyOnTheMediaAddress(t *testing.T) {
	cands := answerFrom(t, Config{IP: net.IPv4(127, 0, 0, 1)})
	if len(cands) == 0 {
		t.Fatal("answer has no candidates")
	}
	var udp, tcp bool
	for _, c := range candidates(cands) {
		if !strings.Contains(c, " 127.0.0.1 ") {
			t.Errorf("candidate off the media address: %s", c)
		}
		udp = udp || strings.Contains(c, " udp ")
		tcp = tcp || strings.Contains(c, " tcp ")
	}
	if !udp || !tcp {
		t.Errorf("want UDP and TCP candidates, got %v", candidates(cands))
	}
}

func TestPublicIPReplacesTheMediaAddressInCandidates(t *testing.T) {
	sdp := answerFrom(t, Config{IP: net.IPv4(127, 0, 0, 1), PublicIP: net.IPv4(203, 0, 113, 7)})
	cs := candidates(sdp)
	if len(cs) == 0 {
		t.Fatal("answer has no candidates")
	}
	for _, c := range cs {
		if !strings.Contains(c, " 203.0.113.7 ") {
			t.Errorf("candidate does not carry the public IP: %s", c)
		}
	}
}

func TestUnspecifiedMediaAddressRefused(t *testing.T) {
	if _, err := NewEngine(Config{IP: net.IPv4zero}); err == nil {
		t.Fatal("engine bound to 0.0.0.0")
	}
}

func TestPublishValidatesInput(t *testing.T) {
	e, err := NewEngine(Config{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	r := e.NewRoom("r", nil)
	defer r.Close()
	p, err := r.Join("p1", nopSignaller{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Join("p1", nopSignaller{}); err == nil {
		t.Fatal("joined twice with one ID")
	}
	_, offer := offerer(t)
	if _, err := p.Publish(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: offer.SDP}, nil); err == nil {
		t.Fatal("publish accepted an answer")
	}
	if _, err := p.Publish(offer, map[string]Source{"0": "toaster"}); err == nil {
		t.Fatal("publish accepted an unknown source")
	}
	if err := p.SubscribeAnswer(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: "v=0"}); err == nil {
		t.Fatal("subscribe answer accepted with no offer out")
	}
	if err := p.AddCandidate("sideways", webrtc.ICECandidateInit{}); err == nil {
		t.Fatal("candidate for an unknown connection accepted")
	}
	p.Close()
	if _, err := p.Publish(offer, nil); err == nil {
		t.Fatal("publish after close accepted")
	}
}
