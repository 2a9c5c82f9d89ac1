package rtcpraw

import (
	"slices"
	"testing"

	"github.com/pion/rtcp"
)

func marshal(t testing.TB, pkts ...rtcp.Packet) []byte {
	t.Helper()
	b, err := rtcp.Marshal(pkts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCompoundWalk: a compound of a receiver report, a NACK, a PLI and a
// FIR is split into its packets with the right types, and the fields the
// SFU uses read the same as Pion's parser reads them.
func TestCompoundWalk(t *testing.T) {
	nack := &rtcp.TransportLayerNack{SenderSSRC: 1, MediaSSRC: 77, Nacks: []rtcp.NackPair{
		{PacketID: 65530, LostPackets: 0b1000_0000_0000_0101}, {PacketID: 10},
	}}
	rr := &rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 77, TotalLost: 1234}, {SSRC: 78, TotalLost: 0xfffff}}}
	b := marshal(t, rr, nack, &rtcp.PictureLossIndication{SenderSSRC: 1, MediaSSRC: 77}, &rtcp.FullIntraRequest{SenderSSRC: 1, MediaSSRC: 77})
	var kinds [][2]uint8
	var seqs []uint16
	var reports []ReportBlock
	for len(b) > 0 {
		p, rest, err := Next(b)
		if err != nil {
			t.Fatal(err)
		}
		b = rest
		kinds = append(kinds, [2]uint8{p.Type, p.Format})
		switch {
		case p.Type == TypeTransportFB && p.Format == FormatNACK:
			if ssrc, _ := p.MediaSSRC(); ssrc != 77 {
				t.Errorf("NACK media SSRC %d", ssrc)
			}
			if n := p.NACKs(func(s uint16) { seqs = append(seqs, s) }); n != len(seqs) {
				t.Errorf("NACKs counted %d, called %d times", n, len(seqs))
			}
		case p.Type == TypeReceiverReport:
			p.Reports(func(r ReportBlock) { reports = append(reports, r) })
		}
	}
	want := [][2]uint8{{TypeReceiverReport, 2}, {TypeTransportFB, FormatNACK}, {TypePayloadFB, FormatPLI}, {TypePayloadFB, FormatFIR}}
	if !slices.Equal(kinds, want) {
		t.Errorf("packets %v, want %v", kinds, want)
	}
	var pion []uint16
	for _, p := range nack.Nacks {
		pion = append(pion, p.PacketList()...)
	}
	if !slices.Equal(seqs, pion) {
		t.Errorf("NACKed %v, Pion reads %v", seqs, pion)
	}
	if !slices.Equal(reports, []ReportBlock{{77, 1234}, {78, 0xfffff}}) {
		t.Errorf("reports %v", reports)
	}
}

// TestSenderReportBlocks: report blocks inside a sender report are found
// after its sender information.
func TestSenderReportBlocks(t *testing.T) {
	b := marshal(t, &rtcp.SenderReport{SSRC: 1, NTPTime: 99, PacketCount: 5, Reports: []rtcp.ReceptionReport{{SSRC: 9, TotalLost: 3}}})
	p, _, err := Next(b)
	if err != nil {
		t.Fatal(err)
	}
	var got []ReportBlock
	p.Reports(func(r ReportBlock) { got = append(got, r) })
	if !slices.Equal(got, []ReportBlock{{9, 3}}) {
		t.Fatalf("reports %v", got)
	}
}

// TestMalformed: a length past the end, a wrong version or a short header
// is an error, not a panic or a short read.
func TestMalformed(t *testing.T) {
	good := marshal(t, &rtcp.PictureLossIndication{SenderSSRC: 1, MediaSSRC: 2})
	for name, b := range map[string][]byte{
		"empty":     nil,
		"short":     good[:3],
		"truncated": good[:len(good)-1],
		"version":   append([]byte{0x01}, good[1:]...),
	} {
		if _, _, err := Next(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// FuzzWalk: any bytes walk without panics, every packet handed out lies
// inside the input, and its readers stay inside the packet.
func FuzzWalk(f *testing.F) {
	f.Add(marshal(f, &rtcp.ReceiverReport{SSRC: 1, Reports: []rtcp.ReceptionReport{{SSRC: 2}}},
		&rtcp.TransportLayerNack{MediaSSRC: 2, Nacks: []rtcp.NackPair{{PacketID: 1, LostPackets: 3}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		total := 0
		for len(b) > 0 {
			p, rest, err := Next(b)
			if err != nil {
				return
			}
			total += len(p.Bytes)
			if len(p.Bytes)+len(rest) != len(b) || len(p.Bytes) == 0 {
				t.Fatalf("packet of %d bytes and rest of %d from %d", len(p.Bytes), len(rest), len(b))
			}
			p.MediaSSRC()
			p.NACKs(func(uint16) {})
			p.Reports(func(ReportBlock) {})
			b = rest
		}
	})
}
