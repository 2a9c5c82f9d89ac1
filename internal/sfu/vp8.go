package sfu

// isVP8Keyframe reports whether an RTP payload carrying VP8 (RFC 7741) starts
// a keyframe. It looks only at the payload descriptor and the first byte of
// the VP8 payload header, so it also works on end-to-end encrypted frames that
// keep those bytes in the clear.
func isVP8Keyframe(payload []byte) bool {
	i := vp8HeaderOffset(payload)
	// VP8 payload header: P (inverse keyframe flag) is the lowest bit.
	return i >= 0 && payload[i]&0x01 == 0
}

// vp8HeaderOffset returns where the VP8 payload header starts when payload
// begins a frame (start of partition 0), or -1.
func vp8HeaderOffset(payload []byte) int {
	if len(payload) < 1 {
		return -1
	}
	b0 := payload[0]
	start := b0&0x10 != 0 // S: start of a VP8 partition
	pid := b0 & 0x07      // partition index
	if !start || pid != 0 {
		return -1
	}
	i := 1
	if b0&0x80 != 0 { // X: extended control bits present
		if len(payload) <= i {
			return -1
		}
		x := payload[i]
		i++
		if x&0x80 != 0 { // I: picture ID present
			if len(payload) <= i {
				return -1
			}
			if payload[i]&0x80 != 0 { // M: 15-bit picture ID
				i += 2
			} else {
				i++
			}
		}
		if x&0x40 != 0 { // L: TL0PICIDX present
			i++
		}
		if x&0x30 != 0 { // T or K: TID/KEYIDX byte present
			i++
		}
	}
	if len(payload) <= i {
		return -1
	}
	return i
}

// vp8KeyframeHeight returns the frame height coded in a VP8 keyframe that
// starts in payload, or 0 when payload does not hold the full frame header.
func vp8KeyframeHeight(payload []byte) int {
	i := vp8HeaderOffset(payload)
	// Frame tag (3 bytes), start code 9d 01 2a, width (2), height (2).
	if i < 0 || len(payload) < i+10 {
		return 0
	}
	p := payload[i:]
	if p[3] != 0x9d || p[4] != 0x01 || p[5] != 0x2a {
		return 0
	}
	return int(uint16(p[8])|uint16(p[9])<<8) & 0x3fff
}
