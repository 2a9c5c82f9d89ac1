package sfu

import (
	"errors"
	"io"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
	"github.com/pion/transport/v5/packetio"

	"github.com/conclave-meet/conclave/internal/bwe"
	"github.com/conclave-meet/conclave/internal/eventually"
)

func marshal(t *testing.T, pkts ...rtcp.Packet) []byte {
	t.Helper()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rtcpStreamOf is the buffer the subscriber connection's SRTCP session
// would write RTCP about ssrc to.
func rtcpStreamOf(t *testing.T, r *rtcpRoutes, ssrc uint32) io.ReadWriteCloser {
	t.Helper()
	s := r.factory(packetio.RTCPBufferPacket, ssrc)
	if _, ok := s.(*rtcpStream); !ok {
		t.Fatalf("an RTCP stream's buffer is a %T", s)
	}
	return s
}

// TestRTCPReachesTheTrackItIsAbout: reports and NACKs written to a
// stream's buffer act on the down-track of that SSRC only, at once, and
// nothing is left to read; after Unbind they are ignored.
func TestRTCPReachesTheTrackItIsAbout(t *testing.T) {
	var est atomic.Pointer[bwe.Estimator]
	routes := newRTCPRoutes(&est)
	up := newVideoUp()
	d9, d10 := newDownTrack(up), newDownTrack(up)
	routes.add(9, d9)
	routes.add(10, d10)
	s9, s10 := rtcpStreamOf(t, routes, 9), rtcpStreamOf(t, routes, 10)

	// Pion writes a report about two tracks to both tracks' streams.
	rr := marshal(t, &rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 9, TotalLost: 5}, {SSRC: 10, TotalLost: 7}}})
	write(t, s9, rr)
	write(t, s10, rr)
	if a, b := d9.stats.lost.Load(), d10.stats.lost.Load(); a != 5 || b != 7 {
		t.Fatalf("losses recorded %d and %d, want 5 and 7", a, b)
	}
	// A NACK about 10 counts there only, even if written to 9's stream.
	nack := marshal(t, &rtcp.TransportLayerNack{SenderSSRC: 1, MediaSSRC: 10, Nacks: []rtcp.NackPair{{PacketID: 100, LostPackets: 1}}})
	write(t, s9, nack)
	write(t, s10, nack)
	if a, b := d9.stats.nacked.Load(), d10.stats.nacked.Load(); a != 0 || b != 2 {
		t.Fatalf("NACKed packets counted %d and %d, want 0 and 2", a, b)
	}
	routes.remove(10, d10)
	write(t, s10, nack)
	if got := d10.stats.nacked.Load(); got != 2 {
		t.Fatalf("a NACK after Unbind counted: %d", got)
	}

	read := make(chan error, 1)
	go func() {
		_, err := s9.Read(make([]byte, 1500))
		read <- err
	}()
	select {
	case err := <-read:
		t.Fatalf("read %v from a stream whose packets were all handled", err)
	default:
	}
	if err := s9.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-read; !errors.Is(err, io.EOF) {
		t.Fatalf("a reader got %v when the stream closed, want io.EOF", err)
	}
}

// TestTransportFeedbackReachesTheEstimatorOnce: feedback is handed to the
// connection's estimator from the stream of its media SSRC only, so a
// feedback packet Pion also wrote elsewhere is not read twice.
func TestTransportFeedbackReachesTheEstimatorOnce(t *testing.T) {
	var est atomic.Pointer[bwe.Estimator]
	f := bwe.NewFactory(bwe.Config{Initial: 1_000_000, Min: 100_000, Max: 20_000_000}, est.Store)
	i, err := f.NewInterceptor("")
	if err != nil {
		t.Fatal(err)
	}
	info := &interceptor.StreamInfo{RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: 5}}}
	rec := twcc.NewRecorder(1)
	send := i.BindLocalStream(info, interceptor.RTPWriterFunc(func(h *rtp.Header, _ []byte, _ interceptor.Attributes) (int, error) {
		ext := h.GetExtension(5)
		rec.Record(9, uint16(ext[0])<<8|uint16(ext[1]), time.Now().UnixMicro())
		return 0, nil
	}))
	for range 10 {
		if _, err := send.Write(&rtp.Header{Version: 2, SSRC: 9}, make([]byte, 100), nil); err != nil {
			t.Fatal(err)
		}
	}
	fb := marshal(t, rec.BuildFeedbackPacket()...)

	routes := newRTCPRoutes(&est)
	write(t, rtcpStreamOf(t, routes, 10), fb) // not its media SSRC
	if got := est.Load().Reported(); got != 0 {
		t.Fatalf("feedback about SSRC 9 read from SSRC 10's stream: %d packets reported", got)
	}
	write(t, rtcpStreamOf(t, routes, 9), fb)
	if got := est.Load().Reported(); got != 10 {
		t.Fatalf("estimator heard of %d packets, want 10", got)
	}
}

// TestSubscriberRTCPHandledWithoutAReader: end to end, the subscriber's
// feedback reaches the estimator (TestSubscriberFeedbackReachesTheEstimator)
// while no goroutine waits on a subscriber's RTCP.
func TestSubscriberRTCPHandledWithoutAReader(t *testing.T) {
	_, sp := publishTo(t, newAnsweringClient(t))
	eventually.True(t, "feedback to reach the estimator", func() bool { return sp.bwe.Load().Reported() >= 100 })
	stacks := make([]byte, 1<<20)
	stacks = stacks[:runtime.Stack(stacks, true)]
	for _, g := range strings.Split(string(stacks), "\n\n") {
		server := strings.Contains(g, "(*downTrack)") || strings.Contains(g, "(*Participant)")
		if strings.Contains(g, "(*rtcpStream).Read") || server && strings.Contains(g, "(*RTPSender).Read") {
			t.Fatalf("a goroutine waits on a subscriber's RTCP:\n%s", g)
		}
	}
}
