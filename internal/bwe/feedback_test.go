package bwe

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pion/interceptor/pkg/twcc"
	"github.com/pion/rtcp"
)

// feedbackFor builds real transport-wide feedback with Pion's recorder (the
// receiver side a browser plays) for the packets of arrivals that were
// received.
func feedbackFor(t testing.TB, arrivals map[uint16]time.Duration, from, to uint16) []byte {
	t.Helper()
	r := twcc.NewRecorder(1)
	for s := from; s != to; s++ {
		if at, ok := arrivals[s]; ok {
			r.Record(2, s, at.Microseconds())
		}
	}
	var out []byte
	for _, p := range r.BuildFeedbackPacket() {
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
	}
	return out
}

// TestParseFeedbackMatchesPionsRecorder: for random patterns of loss and
// delay, every packet Pion's recorder wrote into feedback is read back as
// received or lost, with its arrival time to within the format's 250 µs.
func TestParseFeedbackMatchesPionsRecorder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		base := uint16(rng.IntN(65536))
		n := 1 + rng.IntN(300)
		arrivals := map[uint16]time.Duration{}
		at := time.Duration(rng.IntN(1e6)) * time.Microsecond
		first, last := -1, -1
		for i := range n {
			at += time.Duration(rng.IntN(40_000)) * time.Microsecond // up to 40 ms: small and large deltas
			if rng.IntN(5) == 0 {
				continue
			}
			if first < 0 {
				first = i
			}
			last = i
			arrivals[base+uint16(i)] = at
		}
		if first < 0 {
			continue
		}
		b := feedbackFor(t, arrivals, base, base+uint16(n))
		var got []arrival
		for len(b) > 0 {
			n := (int(b[2])<<8 | int(b[3]) + 1) * 4
			var err error
			if got, err = parseFeedback(b[:n], got); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
			b = b[n:]
		}
		if len(got) != last-first+1 {
			t.Fatalf("round %d: %d packets reported, want %d", round, len(got), last-first+1)
		}
		firstSeq := base + uint16(first)
		origin := got[0].at - arrivals[firstSeq]
		for _, a := range got {
			want, ok := arrivals[a.seq]
			if a.received != ok {
				t.Fatalf("round %d: packet %d received=%v, want %v", round, a.seq, a.received, ok)
			}
			if ok {
				if d := a.at - origin - want; d < -250*time.Microsecond || d > 250*time.Microsecond {
					t.Fatalf("round %d: packet %d arrival off by %v", round, a.seq, d)
				}
			}
		}
	}
}

// TestParseFeedbackRejectsTruncation: every truncation of valid feedback
// is refused with an error, never read past its end.
func TestParseFeedbackRejectsTruncation(t *testing.T) {
	arrivals := map[uint16]time.Duration{}
	for i := range uint16(40) {
		if i%3 != 0 {
			arrivals[100+i] = time.Duration(i) * 30 * time.Millisecond
		}
	}
	b := feedbackFor(t, arrivals, 100, 140)
	if _, err := parseFeedback(b, nil); err != nil {
		t.Fatalf("whole packet: %v", err)
	}
	for n := 0; n < feedbackHeader+4; n++ {
		if _, err := parseFeedback(b[:n], nil); err == nil {
			t.Errorf("%d of %d bytes parsed without error", n, len(b))
		}
	}
}

// FuzzParseFeedback: arbitrary bytes never panic, and where Pion's own
// parser accepts a packet both agree on how many packets arrived and on
// the sum of their receive deltas.
func FuzzParseFeedback(f *testing.F) {
	f.Add(feedbackFor(f, map[uint16]time.Duration{1: 0, 2: time.Millisecond, 5: 90 * time.Millisecond}, 1, 6))
	f.Add(feedbackFor(f, map[uint16]time.Duration{7: time.Second}, 0, 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseFeedback(b, nil)
		var p rtcp.TransportLayerCC
		if err != nil || p.Unmarshal(b) != nil || int(p.PacketStatusCount) != len(got) {
			return
		}
		// The receive deltas add up to the last arrival, counted from the
		// reference time (signed here; Pion reads it unsigned).
		ref := time.Duration(int32(uint32(b[16])<<16|uint32(b[17])<<8|uint32(b[18]))<<8>>8) * referenceUnit
		received, sum := 0, time.Duration(0)
		for _, a := range got {
			if a.received {
				received++
				sum = a.at - ref
			}
		}
		var pionSum time.Duration
		for _, d := range p.RecvDeltas {
			pionSum += time.Duration(d.Delta) * time.Microsecond
		}
		if received != len(p.RecvDeltas) || sum != pionSum {
			t.Fatalf("received %d (sum %v), Pion %d (sum %v)", received, sum, len(p.RecvDeltas), pionSum)
		}
	})
}
