package bwe

import (
	"encoding/binary"
	"errors"
	"time"
)

// errFeedback reports a transport-wide feedback packet that does not parse.
var errFeedback = errors.New("bwe: malformed transport-wide feedback")

// arrival is what feedback says about one packet: whether it arrived and,
// if it did, when, on the receiver's clock.
type arrival struct {
	seq      uint16
	received bool
	at       time.Duration
}

// Status symbols of a packet status chunk.
const (
	symNotReceived = 0
	symSmallDelta  = 1
	symLargeDelta  = 2
)

const (
	feedbackHeader = 20                     // common header, two SSRCs, base, count, reference time, feedback count
	referenceUnit  = 64 * time.Millisecond  // reference time unit
	deltaUnit      = 250 * time.Microsecond // receive delta unit
)

// parseFeedback appends to out one arrival per packet that the
// transport-wide feedback packet b (header included) reports on, in
// sequence order, and returns out. It allocates only when out must grow,
// so a caller that reuses out allocates nothing in the steady state.
//
// The deltas follow all status chunks, so the chunks are read twice: once
// to find where the deltas start, once to pair each symbol with its delta.
func parseFeedback(b []byte, out []arrival) ([]arrival, error) {
	if len(b) < feedbackHeader {
		return out, errFeedback
	}
	base := binary.BigEndian.Uint16(b[12:14])
	count := int(binary.BigEndian.Uint16(b[14:16]))
	ref := int32(uint32(b[16])<<16|uint32(b[17])<<8|uint32(b[18])) << 8 >> 8 // signed 24 bits
	chunks := b[feedbackHeader:]
	deltas, err := skipChunks(chunks, count)
	if err != nil {
		return out, err
	}
	at := time.Duration(ref) * referenceUnit
	seq := base
	left := count
	for left > 0 {
		chunk := binary.BigEndian.Uint16(chunks)
		chunks = chunks[2:]
		n, sym := chunkSymbols(chunk)
		for i := 0; i < n && left > 0; i++ {
			s := sym(chunk, i)
			a := arrival{seq: seq}
			switch s {
			case symSmallDelta:
				if len(deltas) < 1 {
					return out, errFeedback
				}
				at += time.Duration(deltas[0]) * deltaUnit
				deltas = deltas[1:]
				a.received, a.at = true, at
			case symLargeDelta:
				if len(deltas) < 2 {
					return out, errFeedback
				}
				at += time.Duration(int16(binary.BigEndian.Uint16(deltas))) * deltaUnit
				deltas = deltas[2:]
				a.received, a.at = true, at
			case symNotReceived:
			default:
				return out, errFeedback
			}
			out = append(out, a)
			seq++
			left--
		}
	}
	return out, nil
}

// skipChunks returns what follows the status chunks covering count packets.
func skipChunks(chunks []byte, count int) ([]byte, error) {
	for left := count; left > 0; {
		if len(chunks) < 2 {
			return nil, errFeedback
		}
		n, _ := chunkSymbols(binary.BigEndian.Uint16(chunks))
		if n == 0 {
			return nil, errFeedback
		}
		left -= n
		chunks = chunks[2:]
	}
	return chunks, nil
}

// chunkSymbols returns how many packets a status chunk covers and how to
// read the i-th one's symbol.
func chunkSymbols(chunk uint16) (int, func(chunk uint16, i int) int) {
	switch {
	case chunk&0x8000 == 0: // run length: one symbol, repeated
		return int(chunk & 0x1fff), runSymbol
	case chunk&0x4000 == 0: // status vector of fourteen one-bit symbols
		return 14, oneBitSymbol
	default: // status vector of seven two-bit symbols
		return 7, twoBitSymbol
	}
}

func runSymbol(chunk uint16, _ int) int { return int(chunk>>13) & 3 }

func oneBitSymbol(chunk uint16, i int) int { return int(chunk>>(13-i)) & 1 }

func twoBitSymbol(chunk uint16, i int) int { return int(chunk>>(12-2*i)) & 3 }
