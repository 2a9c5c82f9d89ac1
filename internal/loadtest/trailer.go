package loadtest

import (
	"encoding/binary"
	"time"
)

// Every RTP payload the load tester sends ends with an 8-byte trailer: the
// send time in unix nanoseconds, big-endian. The server forwards payloads
// unchanged, so a subscriber in the same process reads the trailer and
// knows how long the packet took through the server. The trailer makes the
// media undecodable for real clients: load-test meetings are for Go
// subscribers only.
const TrailerSize = 8

// AppendTrailer returns payload with the send time t appended.
func AppendTrailer(payload []byte, t int64) []byte {
	return binary.BigEndian.AppendUint64(payload, uint64(t))
}

// ReadTrailer splits a received payload into the media and the send time;
// ok is false when the payload is too short to carry a trailer (padding).
func ReadTrailer(payload []byte) (media []byte, sent int64, ok bool) {
	if len(payload) < TrailerSize {
		return payload, 0, false
	}
	n := len(payload) - TrailerSize
	return payload[:n], int64(binary.BigEndian.Uint64(payload[n:])), true
}

// clock gives unix nanoseconds that never jump: the wall clock read once,
// advanced by Go's monotonic clock. Publishers and subscribers share it, so
// a difference of two readings is a true elapsed time even if the system
// clock is stepped during a run.
type clock struct{ base time.Time }

func newClock() clock { return clock{base: time.Now()} }

// Now is the current time in unix nanoseconds.
func (c clock) Now() int64 { return c.base.UnixNano() + int64(time.Since(c.base)) }

// Time converts a reading back to a time.Time.
func (c clock) Time(ns int64) time.Time { return c.base.Add(time.Duration(ns - c.base.UnixNano())) }

// FromTime converts a time.Time taken in this process to a reading.
func (c clock) FromTime(t time.Time) int64 { return c.base.UnixNano() + int64(t.Sub(c.base)) }
