package audio

// Timeline follows one stream's RTP timestamps (48 kHz for Opus) so that
// audio reaches an engine without gaps in its clock: a packet after lost
// packets, or after the sender stopped sending during silence (DTX), is
// preceded by as much silence as is missing.
//
// The zero value is ready; it is not safe for concurrent use.
type Timeline struct {
	next    uint32 // the timestamp the next packet should carry
	started bool
}

// Verdict is what to do with one packet.
type Verdict struct {
	// Take is false for a packet that is late (reordered or repeated):
	// its time has already been filled.
	Take bool
	// Gap is how many 48 kHz samples of silence go before the packet.
	Gap int
	// Jump is true when the gap exceeded the limit: the stream's clock
	// restarts at this packet and no silence is inserted.
	Jump bool
}

// Place returns what to do with a packet of samples 48 kHz samples at
// RTP timestamp ts. Gaps longer than maxGap samples are jumps.
func (t *Timeline) Place(ts uint32, samples, maxGap int) Verdict {
	if !t.started {
		t.started = true
		t.next = ts + uint32(samples)
		return Verdict{Take: true}
	}
	// Serial-number arithmetic: the difference as a signed 32-bit value.
	diff := int32(ts - t.next)
	switch {
	case diff < 0 && -int64(diff) <= int64(maxGap):
		return Verdict{} // late
	case diff >= 0 && int64(diff) <= int64(maxGap):
		t.next = ts + uint32(samples)
		return Verdict{Take: true, Gap: int(diff)}
	default:
		t.next = ts + uint32(samples)
		return Verdict{Take: true, Jump: true}
	}
}
