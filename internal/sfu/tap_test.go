package sfu

import (
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/eventually"
)

// recordingSink is a second kind of downstream, as a recorder would be: it
// takes one layer, starts at a keyframe it asked for, and keeps the
// sequence numbers it received.
type recordingSink struct {
	track Track

	mu     sync.Mutex
	asked  bool
	seqs   []uint16
	first  bool // the first packet taken was a keyframe
	closed atomic.Bool
}

func (s *recordingSink) WriteRTP(l Layer, pkt *rtp.Packet, keyframe bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return false // a fan-out that began before the sink was detached
	}
	if len(s.seqs) == 0 {
		if !keyframe {
			if !s.asked {
				s.asked = true
				s.track.RequestKeyframe(l)
			}
			return false
		}
		s.first = true
	}
	s.seqs = append(s.seqs, pkt.SequenceNumber)
	return true
}

func (s *recordingSink) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed.Store(true)
}

func (s *recordingSink) snapshot() (seqs []uint16, first, asked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]uint16(nil), s.seqs...), s.first, s.asked
}

// publisher is a Pion client publishing one VP8 camera to a room: it sends
// inter frames and a keyframe only when asked (PLI), as a real encoder does
// after its first frame.
type publisher struct {
	pc    *webrtc.PeerConnection
	track *webrtc.TrackLocalStaticRTP
	plis  atomic.Int64
	sent  atomic.Int64
	// rrLSR counts receiver reports about the camera that echo one of
	// its sender reports (LSR set): the server read that report.
	rrLSR atomic.Int64
}

func publish(t *testing.T, p *Participant) *publisher {
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
	track, err := webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "camera", "pub")
	if err != nil {
		t.Fatal(err)
	}
	tr, err := pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	pub := &publisher{pc: pc, track: track}
	go func() {
		for {
			pkts, _, err := tr.Sender().ReadRTCP()
			if err != nil {
				return
			}
			for _, pk := range pkts {
				switch pk := pk.(type) {
				case *rtcp.PictureLossIndication:
					pub.plis.Add(1)
				case *rtcp.ReceiverReport:
					for _, r := range pk.Reports {
						if r.SSRC == uint32(tr.Sender().GetParameters().Encodings[0].SSRC) && r.LastSenderReport != 0 {
							pub.rrLSR.Add(1)
						}
					}
				}
			}
		}
	}()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := setLocalAndGather(pc, offer); err != nil {
		t.Fatal(err)
	}
	answer, err := p.Publish(*pc.LocalDescription(), map[string]Source{tr.Mid(): SourceCamera})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(answer); err != nil {
		t.Fatal(err)
	}
	return pub
}

// run sends a frame every 5 ms until stop is closed: a keyframe when a PLI
// arrived since the last one, an inter frame otherwise.
func (pub *publisher) run(stop <-chan struct{}) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	var seq uint16
	var answered int64
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		payload := make([]byte, 200)
		payload[0] = 0x10
		payload[1] = 0x01 // inter frame
		if n := pub.plis.Load(); n > answered {
			answered = n
			payload[1] = 0x00 // keyframe
		}
		seq++
		_ = pub.track.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: seq, Timestamp: uint32(seq) * 450, Marker: true}, Payload: payload})
		pub.sent.Add(1)
	}
}

// loopbackRoom is a room on a media engine bound to 127.0.0.1.
func loopbackRoom(t *testing.T) *Room {
	t.Helper()
	e, err := NewEngine(Config{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	r := e.NewRoom("r", nil)
	t.Cleanup(r.Close)
	return r
}

func TestTapSinkReceivesALayerInOrderFromAKeyframe(t *testing.T) {
	r := loopbackRoom(t)

	var sinks sync.Map // owner → *recordingSink
	remove := r.AddTap(func(tr Track) Sink {
		if tr.Kind() != webrtc.RTPCodecTypeVideo {
			return nil
		}
		s := &recordingSink{track: tr}
		sinks.Store(tr.Owner(), s)
		return s
	})

	p, err := r.Join("p_pub", nopSignaller{})
	if err != nil {
		t.Fatal(err)
	}
	pub := publish(t, p)
	stop := make(chan struct{})
	defer close(stop)
	go pub.run(stop)

	var sink *recordingSink
	eventually.True(t, "the tap to be offered the camera", func() bool {
		v, ok := sinks.Load("p_pub")
		if ok {
			sink = v.(*recordingSink)
		}
		return ok
	})
	eventually.True(t, "200 packets through the tap", func() bool {
		seqs, _, _ := sink.snapshot()
		return len(seqs) >= 200
	})
	seqs, first, asked := sink.snapshot()
	if !asked || pub.plis.Load() == 0 {
		t.Fatalf("the sink's keyframe request never reached the publisher (asked %v, PLIs %d)", asked, pub.plis.Load())
	}
	if !first {
		t.Fatal("the sink's first packet was not a keyframe")
	}
	for i := 1; i < len(seqs); i++ {
		if seqs[i] != seqs[i-1]+1 {
			t.Fatalf("packet %d: sequence %d after %d: a gap or reordering", i, seqs[i], seqs[i-1])
		}
	}

	// Removing the tap closes its sink and stops its packets.
	remove()
	if !sink.closed.Load() {
		t.Fatal("sink not closed when its tap was removed")
	}
	before, _, _ := sink.snapshot()
	sentAt := pub.sent.Load()
	eventually.True(t, "more packets published", func() bool { return pub.sent.Load() > sentAt+50 })
	if after, _, _ := sink.snapshot(); len(after) != len(before) {
		t.Fatalf("a removed tap still got %d packets", len(after)-len(before))
	}
}

func TestTapSinkClosedWhenPublisherLeaves(t *testing.T) {
	r := loopbackRoom(t)
	p, err := r.Join("p_pub", nopSignaller{})
	if err != nil {
		t.Fatal(err)
	}
	pub := publish(t, p)
	stop := make(chan struct{})
	defer close(stop)
	go pub.run(stop)
	eventually.True(t, "the camera to be published", func() bool { return len(p.publishedTracks()) == 1 })

	// A tap added after publishing is offered the existing track.
	got := make(chan *recordingSink, 1)
	r.AddTap(func(tr Track) Sink {
		s := &recordingSink{track: tr}
		got <- s
		return s
	})
	sink := <-got
	p.Close()
	if !sink.closed.Load() {
		t.Fatal("sink not closed when its track's publisher left")
	}
}
