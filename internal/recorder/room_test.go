package recorder

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/sfu"
)

type nopSignaller struct{}

func (nopSignaller) SubscribeOffer(webrtc.SessionDescription, map[string]sfu.TrackInfo) {}

// pionPublisher is a Pion client publishing a VP8 camera and an Opus
// microphone; the camera sends a keyframe when asked (PLI), as encoders do.
type pionPublisher struct {
	cam, mic *webrtc.TrackLocalStaticRTP
	plis     atomic.Int64
	marker   string
}

func publishPion(t *testing.T, p *sfu.Participant, marker string) *pionPublisher {
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
	pub := &pionPublisher{marker: marker}
	pub.cam, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, "camera", marker)
	if err != nil {
		t.Fatal(err)
	}
	pub.mic, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2}, "mic", marker)
	if err != nil {
		t.Fatal(err)
	}
	sendonly := webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly}
	camTr, err := pc.AddTransceiverFromTrack(pub.cam, sendonly)
	if err != nil {
		t.Fatal(err)
	}
	micTr, err := pc.AddTransceiverFromTrack(pub.mic, sendonly)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			pkts, _, err := camTr.Sender().ReadRTCP()
			if err != nil {
				return
			}
			for _, pk := range pkts {
				if _, ok := pk.(*rtcp.PictureLossIndication); ok {
					pub.plis.Add(1)
				}
			}
		}
	}()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	done := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	<-done
	answer, err := p.Publish(*pc.LocalDescription(), map[string]sfu.Source{camTr.Mid(): sfu.SourceCamera, micTr.Mid(): sfu.SourceAudio})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.SetRemoteDescription(answer); err != nil {
		t.Fatal(err)
	}
	return pub
}

// run sends a video frame every 10 ms (a keyframe when a PLI came) and an
// audio frame every 20 ms until stop closes.
func (pub *pionPublisher) run(stop <-chan struct{}) {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var answered int64
	for n := 1; ; n++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		body := fmt.Appendf(nil, "%s#%06d", pub.marker, n)
		vp8 := []byte{0x10, 0x11, 0x00, 0x00} // descriptor, inter frame
		if p := pub.plis.Load(); p > answered {
			answered = p
			vp8 = []byte{0x10, 0x10, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00} // 320x180
		}
		_ = pub.cam.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(n), Timestamp: uint32(n) * 900, Marker: true},
			Payload: append(vp8, body...)})
		if n%2 == 0 {
			_ = pub.mic.WriteRTP(&rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(n / 2), Timestamp: uint32(n/2) * 960},
				Payload: body})
		}
	}
}

// TestRecordsARealRoom attaches a recording to an sfu.Room with two Pion
// publishers, one consenting: the consenting one's camera and microphone
// are recorded from a keyframe the recorder asked for, the other's media
// reaches neither the files nor the disk.
func TestRecordsARealRoom(t *testing.T) {
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

	cat := newMemCatalog(t)
	s, err := New(Options{RecordingID: "rec_1", MeetingID: "mtg_1", Catalog: cat, Logger: slog.New(slog.DiscardHandler)})
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
		go publishPion(t, p, "MARK-"+who).run(stop)
	}
	eventually.True(t, "ada's camera and microphone on disk", func() bool {
		tracks := cat.tracks()
		for _, tr := range tracks {
			if st, err := os.Stat(tr.File.Path); err != nil || st.Size() < 2000 {
				return false
			}
		}
		return len(tracks) == 2
	})
	if err := s.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, tr := range cat.tracks() {
		if tr.Meta.Owner != "p_ada" || !tr.End.Complete {
			t.Fatalf("track %+v", tr)
		}
		kinds[tr.Meta.Kind] = true
		d := decodeFile(t, tr.File)
		if len(d.Frames) < 10 || !d.Frames[0].Key {
			t.Fatalf("%s: %d frames", tr.Meta.Kind, len(d.Frames))
		}
		if bytes.Contains(d.Plain, []byte("MARK-p_bob")) || !bytes.Contains(d.Plain, []byte("MARK-p_ada")) {
			t.Fatalf("%s holds the wrong participant's media", tr.Meta.Kind)
		}
	}
	if !kinds["audio"] || !kinds["video"] {
		t.Fatalf("kinds recorded: %v", kinds)
	}
	if s.Stats().Gated == 0 {
		t.Fatal("bob's packets never reached the gate")
	}
	scanPlaintext(t, cat.dir, "MARK-p_ada", "MARK-p_bob")
}
