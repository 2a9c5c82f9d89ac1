// Package rtcpraw reads the RTCP packets an SFU acts on straight from the
// wire bytes, without allocating. Pion's rtcp.Unmarshal builds a Go value
// for every packet of a compound (a pointer per reported packet in
// transport-wide feedback), which at a feedback every 50 ms per subscriber
// was about one allocation per forwarded packet. Here a compound is walked
// in place and only the fields the forwarder needs are read.
package rtcpraw

import (
	"encoding/binary"
	"errors"
)

// RTCP packet types and feedback formats (RFC 3550, RFC 4585, RFC 5104,
// draft-holmer-rmcat-transport-wide-cc-extensions-01).
const (
	TypeSenderReport   = 200
	TypeReceiverReport = 201
	TypeTransportFB    = 205 // RTPFB
	TypePayloadFB      = 206 // PSFB

	FormatNACK = 1  // RTPFB: generic NACK
	FormatTWCC = 15 // RTPFB: transport-wide congestion control feedback
	FormatPLI  = 1  // PSFB: picture loss indication
	FormatFIR  = 4  // PSFB: full intra request
)

// ErrMalformed reports a compound packet whose lengths do not add up.
var ErrMalformed = errors.New("rtcpraw: malformed RTCP packet")

// Packet is one RTCP packet of a compound: its type, its format or count
// field (the five bits after version and padding), and its bytes, header
// included.
type Packet struct {
	Type   uint8
	Format uint8
	Bytes  []byte
}

// Next splits the first packet off a compound. It returns the packet and
// the rest; an error means the rest cannot be trusted and must be dropped.
func Next(b []byte) (Packet, []byte, error) {
	if len(b) < 4 || b[0]>>6 != 2 {
		return Packet{}, nil, ErrMalformed
	}
	n := (int(binary.BigEndian.Uint16(b[2:4])) + 1) * 4
	if n > len(b) {
		return Packet{}, nil, ErrMalformed
	}
	return Packet{Type: b[1], Format: b[0] & 0x1f, Bytes: b[:n]}, b[n:], nil
}

// MediaSSRC is the SSRC a feedback packet (RTPFB, PSFB) is about.
func (p Packet) MediaSSRC() (uint32, bool) {
	if len(p.Bytes) < 12 {
		return 0, false
	}
	return binary.BigEndian.Uint32(p.Bytes[8:12]), true
}

// NACKs calls fn with every sequence number a generic NACK asks for, and
// reports how many there were. fn must not keep p.
func (p Packet) NACKs(fn func(seq uint16)) int {
	n := 0
	for fci := p.Bytes[min(12, len(p.Bytes)):]; len(fci) >= 4; fci = fci[4:] {
		pid := binary.BigEndian.Uint16(fci[0:2])
		blp := binary.BigEndian.Uint16(fci[2:4])
		fn(pid)
		n++
		for i := range uint16(16) {
			if blp&(1<<i) != 0 {
				fn(pid + i + 1)
				n++
			}
		}
	}
	return n
}

// ReportBlock is the part of an RTCP reception report the SFU keeps.
type ReportBlock struct {
	SSRC      uint32
	TotalLost uint32
}

// Reports calls fn for each reception report block of a sender or receiver
// report.
func (p Packet) Reports(fn func(ReportBlock)) {
	var off int
	switch p.Type {
	case TypeReceiverReport:
		off = 8
	case TypeSenderReport:
		off = 28
	default:
		return
	}
	count := int(p.Format)
	for i := 0; i < count; i++ {
		b := p.Bytes[min(off+i*24, len(p.Bytes)):]
		if len(b) < 24 {
			return
		}
		fn(ReportBlock{
			SSRC:      binary.BigEndian.Uint32(b[0:4]),
			TotalLost: binary.BigEndian.Uint32(b[4:8]) & 0xffffff,
		})
	}
}
