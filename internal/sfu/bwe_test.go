package sfu

import (
	"net"
	"sync/atomic"
	"testing"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/eventually"
)

// answeringClient is a subscriber's Pion peer connection with Pion's
// default interceptors, so it sends transport-wide feedback as a browser
// does; it answers the server's subscribe offers.
type answeringClient struct {
	t        *testing.T
	pc       *webrtc.PeerConnection
	p        atomic.Pointer[Participant]
	received atomic.Int64
}

func newAnsweringClient(t *testing.T) *answeringClient {
	t.Helper()
	m := &webrtc.MediaEngine{}
	if err := m.RegisterDefaultCodecs(); err != nil {
		t.Fatal(err)
	}
	reg := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(m, reg); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	pc, err := webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)).NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	c := &answeringClient{t: t, pc: pc}
	pc.OnTrack(func(tr *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		buf := make([]byte, 1500)
		for {
			if _, _, err := tr.Read(buf); err != nil {
				return
			}
			c.received.Add(1)
		}
	})
	return c
}

// SubscribeOffer implements Signaller; it answers off the caller's
// goroutine, as a client across the network would.
func (c *answeringClient) SubscribeOffer(offer webrtc.SessionDescription, _ map[string]TrackInfo) {
	go func() {
		if err := c.pc.SetRemoteDescription(offer); err != nil {
			c.t.Error(err)
			return
		}
		answer, err := c.pc.CreateAnswer(nil)
		if err != nil {
			c.t.Error(err)
			return
		}
		if err := setLocalAndGather(c.pc, answer); err != nil {
			c.t.Error(err)
			return
		}
		if err := c.p.Load().SubscribeAnswer(*c.pc.LocalDescription()); err != nil {
			c.t.Error(err)
		}
	}()
}

// TestSubscriberFeedbackReachesTheEstimator: packets forwarded to a
// subscriber carry the transport-wide sequence number, the subscriber's
// feedback about them reaches its connection's estimator (internal/bwe),
// and the estimate stays within its bounds.
func TestSubscriberFeedbackReachesTheEstimator(t *testing.T) {
	r := loopbackRoom(t)
	pp, err := r.Join("p_pub", nopSignaller{})
	if err != nil {
		t.Fatal(err)
	}
	sub := newAnsweringClient(t)
	sp, err := r.Join("p_sub", sub)
	if err != nil {
		t.Fatal(err)
	}
	sub.p.Store(sp)
	pub := publish(t, pp)
	stop := make(chan struct{})
	defer close(stop)
	go pub.run(stop)

	eventually.True(t, "the subscriber to receive 100 packets", func() bool { return sub.received.Load() >= 100 })
	est := sp.bwe.Load()
	if est == nil {
		t.Fatal("the subscribe connection has no estimator")
	}
	eventually.True(t, "feedback on 100 packets to reach the estimator", func() bool { return est.Reported() >= 100 })
	if got := est.TargetBitrate(); got < 100_000 || got > 20_000_000 {
		t.Fatalf("estimate %d bit/s outside its bounds", got)
	}
}
