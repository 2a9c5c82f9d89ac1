package rtphdr

import (
	"testing"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/interceptor/pkg/report"
	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// chain builds the receive side of a publisher connection as the SFU does
// (NACK generator, receiver reports, transport-wide feedback), with or
// without the header cache innermost, and returns the reader of one
// stream fed from packets.
func chain(t *testing.T, cache bool, packets func() []byte) (interceptor.RTPReader, func()) {
	t.Helper()
	reg := &interceptor.Registry{}
	if cache {
		reg.Add(Factory{})
	}
	gen, err := nack.NewGeneratorInterceptor()
	if err != nil {
		t.Fatal(err)
	}
	reg.Add(gen)
	rr, err := report.NewReceiverInterceptor()
	if err != nil {
		t.Fatal(err)
	}
	reg.Add(rr)
	tw, err := twcc.NewSenderInterceptor()
	if err != nil {
		t.Fatal(err)
	}
	reg.Add(tw)
	ic, err := reg.Build("")
	if err != nil {
		t.Fatal(err)
	}
	ic.BindRTCPWriter(interceptor.RTCPWriterFunc(func([]rtcp.Packet, interceptor.Attributes) (int, error) { return 0, nil }))
	info := &interceptor.StreamInfo{
		SSRC:                1234,
		ClockRate:           90000,
		MimeType:            "video/VP8",
		RTCPFeedback:        []interceptor.RTCPFeedback{{Type: "nack"}, {Type: "transport-cc"}},
		RTPHeaderExtensions: []interceptor.RTPHeaderExtension{{URI: sdp.TransportCCURI, ID: 3}},
	}
	reader := ic.BindRemoteStream(info, interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		return copy(b, packets()), a, nil
	}))
	return reader, func() { _ = ic.Close() }
}

// source makes a stream of VP8-like packets with the transport-wide
// sequence number extension, as a browser sends them.
func source(t *testing.T) func() []byte {
	var seq uint16
	buf := make([]byte, 1500)
	payload := make([]byte, 1000)
	hdr := rtp.Header{Version: 2, PayloadType: 96, SSRC: 1234}
	ext := make([]byte, 2)
	return func() []byte {
		seq++
		hdr.SequenceNumber, hdr.Timestamp = seq, uint32(seq)*3000
		ext[0], ext[1] = byte(seq>>8), byte(seq)
		hdr.Extensions = hdr.Extensions[:0]
		if err := hdr.SetExtension(3, ext); err != nil {
			t.Fatal(err)
		}
		n, err := hdr.MarshalTo(buf)
		if err != nil {
			t.Fatal(err)
		}
		return buf[:n+copy(buf[n:], payload)]
	}
}

// TestHeaderParsedForInterceptorsAbove: the interceptors above see each
// packet's own header, not the previous one's.
func TestHeaderParsedForInterceptorsAbove(t *testing.T) {
	var seen []uint16
	reg := &interceptor.Registry{}
	reg.Add(Factory{})
	ic, err := reg.Build("")
	if err != nil {
		t.Fatal(err)
	}
	src := source(t)
	r := ic.BindRemoteStream(&interceptor.StreamInfo{SSRC: 1234}, interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		return copy(b, src()), a, nil
	}))
	buf := make([]byte, 1500)
	for range 3 {
		n, a, err := r.Read(buf, nil)
		if err != nil {
			t.Fatal(err)
		}
		h, err := a.GetRTPHeader(buf[:n])
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, h.SequenceNumber)
	}
	if seen[0] != 1 || seen[1] != 2 || seen[2] != 3 {
		t.Fatalf("headers seen %v, want 1 2 3", seen)
	}
}

// TestReceivingAllocatesNothing: with the cache, a packet read through the
// NACK generator, receiver reports and transport-wide feedback allocates
// nothing; without it, Pion's chain allocates per packet (so the test
// measures what it claims to).
func TestReceivingAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector; ./test.sh runs this without it")
	}
	if headerKey == nil {
		t.Fatal("Pion's attributes no longer keep the parsed header: the cache is off")
	}
	for _, cache := range []bool{false, true} {
		r, closeChain := chain(t, cache, source(t))
		buf := make([]byte, 1500)
		for range 100 { // let the chain's own buffers grow
			if _, _, err := r.Read(buf, nil); err != nil {
				t.Fatal(err)
			}
		}
		allocs := testing.AllocsPerRun(1000, func() {
			if _, _, err := r.Read(buf, nil); err != nil {
				t.Fatal(err)
			}
		})
		closeChain()
		switch {
		case cache && allocs != 0:
			t.Errorf("with the cache: %.2f allocations per packet", allocs)
		case !cache && allocs == 0:
			t.Errorf("without the cache Pion's chain allocated nothing: the comparison measures nothing")
		}
		t.Logf("cache %v: %.2f allocations per packet", cache, allocs)
	}
}
