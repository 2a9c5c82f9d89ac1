package sfu

import (
	"time"

	"github.com/pion/rtcp"
)

// Sender reports come from the forwarder's own counters. Pion's report
// interceptor took a lock and read the clock for every forwarded packet to
// keep the same figures; the downTrack already counts packets and bytes
// and knows the RTP time and wall-clock time of its newest packet, so the
// control loop builds the reports once a second (StepReports) instead.

// sendReports writes one RTCP compound with a sender report for each
// track this participant receives that has sent media.
func (p *Participant) sendReports(now time.Time) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	downs := make([]*downTrack, 0, len(p.downs))
	for _, d := range p.downs {
		downs = append(downs, d)
	}
	p.mu.Unlock()
	pkts := make([]rtcp.Packet, 0, len(downs))
	for _, d := range downs {
		if sr, ok := d.senderReport(now); ok {
			pkts = append(pkts, sr)
		}
	}
	if len(pkts) == 0 {
		return
	}
	// An error means the connection is closing; the next report is a
	// second away and the participant will be gone by then.
	_ = p.sub.WriteRTCP(pkts)
}

// senderReport describes what this track has sent so far (RFC 3550
// §6.4.1): the RTP time that corresponds to now, extrapolated from the
// newest packet, and the packet and octet counts. Retransmissions are not
// counted; they repeat packets already counted.
func (d *downTrack) senderReport(now time.Time) (*rtcp.SenderReport, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.bound || !d.started {
		return nil, false
	}
	ticks := int64(now.Sub(d.lastWrite).Seconds() * float64(d.up.codec.ClockRate))
	return &rtcp.SenderReport{
		SSRC:        d.ssrc,
		NTPTime:     ntpTime(now),
		RTPTime:     d.lastTS + uint32(ticks), //nolint:gosec // RTP time wraps by design
		PacketCount: uint32(d.stats.fwdPackets.Load()),
		OctetCount:  uint32(d.stats.fwdBytes.Load()),
	}, true
}

// ntpEpochOffset is the seconds from 1900 (NTP) to 1970 (Unix).
const ntpEpochOffset = 2_208_988_800

// ntpTime is t in the 64-bit NTP format: seconds since 1900 and a binary
// fraction.
func ntpTime(t time.Time) uint64 {
	secs := uint64(t.Unix()) + ntpEpochOffset  //nolint:gosec // after 1970
	frac := uint64(t.Nanosecond()) << 32 / 1e9 //nolint:gosec // under 1e9
	return secs<<32 | frac
}
