package transcriber

import (
	"context"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/sfu"
)

type nopSignaller struct{}

func (nopSignaller) SubscribeOffer(webrtc.SessionDescription, map[string]sfu.TrackInfo) {}

// publishMic connects a Pion client to p that publishes an Opus
// microphone, and sends a silent 20 ms packet every 20 ms until stop.
func publishMic(t *testing.T, p *sfu.Participant, stop <-chan struct{}) {
	t.Helper()
	var se webrtc.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	pc, err := webrtc.NewAPI(webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	mic, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", "s")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := pc.AddTransceiverFromTrack(mic, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-done
	answer, err := p.Publish(*pc.LocalDescription(), map[string]sfu.Source{tr.Mid(): sfu.SourceAudio})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(answer); err != nil {
		t.Fatal(err)
	}
	go func() {
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := uint16(1); ; n++ {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			_ = mic.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: n, Timestamp: uint32(n) * 960},
				Payload: silence})
		}
	}()
}

// TestTranscribesARealRoom taps an sfu.Room with two Pion publishers, one
// consenting: only her microphone reaches the engine, under her name.
func TestTranscribesARealRoom(t *testing.T) {
	if testing.Short() {
		t.Skip("starts peer connections")
	}
	e, err := sfu.NewEngine(sfu.Config{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	room := e.NewRoom("mtg_1", nil)
	t.Cleanup(room.Close)

	eng := newFakeEngine()
	caps := &captions{}
	s, err := New(Options{Engine: eng, OnCaption: caps.add, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s.Allow("p_ada", "acct_ada")
	remove := room.AddTap(s.Tap)
	defer remove()

	stop := make(chan struct{})
	defer close(stop)
	for _, who := range []string{"p_ada", "p_bob"} {
		p, err := room.Join(who, nopSignaller{})
		if err != nil {
			t.Fatal(err)
		}
		publishMic(t, p, stop)
	}
	eventually.True(t, "a second of Ada's audio at the engine, and Bob's refused", func() bool {
		ss := eng.snapshot()
		if len(ss) == 0 {
			return false
		}
		n, _, _ := ss[0].state()
		return n >= 16000 && s.Stats().Gated > 0
	})
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, st := range eng.snapshot() {
		if st.speaker != "p_ada" {
			t.Fatalf("an engine stream for %s", st.speaker)
		}
	}
	cs := caps.all()
	if len(cs) != 1 || cs[0].Participant != "p_ada" || cs[0].Subject != "acct_ada" {
		t.Fatalf("captions %+v", cs)
	}
}
