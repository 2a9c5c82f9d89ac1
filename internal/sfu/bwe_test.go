package sfu

import (
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
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
	onReport func(sr *rtcp.SenderReport, ssrc uint32) // set before joining
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
	pc.OnTrack(func(tr *webrtc.TrackRemote, recv *webrtc.RTPReceiver) {
		go func() {
			for {
				pkts, _, err := recv.ReadRTCP()
				if err != nil {
					return
				}
				for _, pk := range pkts {
					if sr, ok := pk.(*rtcp.SenderReport); ok && c.onReport != nil {
						c.onReport(sr, uint32(tr.SSRC()))
					}
				}
			}
		}()
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

// publishTo starts a room where a publisher sends a camera that sub
// receives, and returns sub's participant once 100 packets have arrived.
// The publisher stops at the end of the test.
func publishTo(t *testing.T, sub *answeringClient) (*Room, *Participant) {
	t.Helper()
	r := loopbackRoom(t)
	pp, err := r.Join("p_pub", nopSignaller{})
	if err != nil {
		t.Fatal(err)
	}
	sp, err := r.Join("p_sub", sub)
	if err != nil {
		t.Fatal(err)
	}
	sub.p.Store(sp)
	pub := publish(t, pp)
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go pub.run(stop)
	eventually.True(t, "the subscriber to receive 100 packets", func() bool { return sub.received.Load() >= 100 })
	return r, sp
}

// TestSubscriberFeedbackReachesTheEstimator: packets forwarded to a
// subscriber carry the transport-wide sequence number, the subscriber's
// feedback about them reaches its connection's estimator (internal/bwe),
// and the estimate stays within its bounds.
func TestSubscriberFeedbackReachesTheEstimator(t *testing.T) {
	_, sp := publishTo(t, newAnsweringClient(t))
	est := sp.bwe.Load()
	if est == nil {
		t.Fatal("the subscribe connection has no estimator")
	}
	eventually.True(t, "feedback on 100 packets to reach the estimator", func() bool { return est.Reported() >= 100 })
	if got := est.TargetBitrate(); got < 100_000 || got > 20_000_000 {
		t.Fatalf("estimate %d bit/s outside its bounds", got)
	}
}

// TestSubscriberGetsSenderReports: the control loop's sender reports
// reach the subscriber, for the track it receives, with the packets
// forwarded so far counted.
func TestSubscriberGetsSenderReports(t *testing.T) {
	sub := newAnsweringClient(t)
	var reports atomic.Int64
	sub.onReport = func(sr *rtcp.SenderReport, ssrc uint32) {
		if sr.SSRC == ssrc && sr.PacketCount > 0 && sr.NTPTime != 0 {
			reports.Add(1)
		}
	}
	r, _ := publishTo(t, sub)
	r.engine.Step(StepReports)
	eventually.True(t, "a sender report for the received track", func() bool { return reports.Load() > 0 })
}

// TestNTPTime: the NTP timestamp counts from 1900 with a binary fraction.
func TestNTPTime(t *testing.T) {
	got := ntpTime(time.Unix(0, 500_000_000))
	if secs, frac := got>>32, got&0xffffffff; secs != ntpEpochOffset || frac != 1<<31 {
		t.Fatalf("Unix epoch + 0.5 s is NTP %d + %d/2^32", secs, frac)
	}
}
