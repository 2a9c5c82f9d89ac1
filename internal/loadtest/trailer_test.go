package loadtest

import (
	"bytes"
	"encoding/binary"
	"testing"
	"time"
)

func TestTrailerRoundTrip(t *testing.T) {
	media := []byte{0x90, 0x80, 1, 2, 3}
	sent := time.Date(2026, 11, 22, 12, 0, 0, 123456789, time.UTC).UnixNano()
	p := AppendTrailer(append([]byte(nil), media...), sent)
	if len(p) != len(media)+TrailerSize {
		t.Fatalf("length %d", len(p))
	}
	got, ts, ok := ReadTrailer(p)
	if !ok || ts != sent || !bytes.Equal(got, media) {
		t.Fatalf("got %x %d %v", got, ts, ok)
	}
	// Big-endian, so the bytes read as the number in a packet dump.
	var want [8]byte
	binary.BigEndian.PutUint64(want[:], uint64(sent))
	if !bytes.Equal(p[len(media):], want[:]) {
		t.Fatalf("encoding %x", p[len(media):])
	}
}

func TestTrailerTooShort(t *testing.T) {
	if _, _, ok := ReadTrailer([]byte{1, 2, 3}); ok {
		t.Fatal("short payload read as a trailer")
	}
	if m, ts, ok := ReadTrailer(AppendTrailer(nil, 42)); !ok || ts != 42 || len(m) != 0 {
		t.Fatal("trailer alone")
	}
}

func TestClockIsMonotonicUnixTime(t *testing.T) {
	c := newClock()
	a := c.Now()
	if d := time.Duration(a - time.Now().UnixNano()); d < -time.Second || d > time.Second {
		t.Fatalf("clock is %v off the wall clock", d)
	}
	time.Sleep(time.Millisecond)
	b := c.Now()
	if b-a < int64(time.Millisecond) {
		t.Fatalf("clock advanced %d ns over 1 ms", b-a)
	}
	now := time.Now()
	if d := c.FromTime(now) - c.Now(); d > 0 || d < -int64(time.Second) {
		t.Fatalf("FromTime differs by %d ns", d)
	}
	if got := c.Time(b).UnixNano(); got != b {
		t.Fatalf("Time round trip %d != %d", got, b)
	}
}
