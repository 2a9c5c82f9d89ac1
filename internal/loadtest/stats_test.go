package loadtest

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

func TestHistogramExactBelow64ns(t *testing.T) {
	var h Histogram
	for v := range 64 {
		h.Record(time.Duration(v))
	}
	for _, tc := range []struct {
		q    float64
		want time.Duration
	}{{0.01, 0}, {0.5, 31}, {0.99, 63}, {1, 63}} {
		if got := h.Quantile(tc.q); got != tc.want {
			t.Errorf("q%.2f = %d, want %d", tc.q, got, tc.want)
		}
	}
}

func TestHistogramQuantilesWithinBucketError(t *testing.T) {
	var h Histogram
	// 1 µs … 100 ms, shuffled: order must not matter.
	vals := make([]time.Duration, 100000)
	for i := range vals {
		vals[i] = time.Duration(i+1) * time.Microsecond
	}
	rand.Shuffle(len(vals), func(i, j int) { vals[i], vals[j] = vals[j], vals[i] })
	for _, v := range vals {
		h.Record(v)
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := float64(time.Duration(math.Ceil(q*100000)) * time.Microsecond)
		got := float64(h.Quantile(q))
		if math.Abs(got-want)/want > 1.0/64 {
			t.Errorf("q%.3f = %v, want %v ±1.6%%", q, time.Duration(got), time.Duration(want))
		}
	}
	if h.Max() != 100*time.Millisecond || h.Count() != 100000 {
		t.Fatalf("max %v count %d", h.Max(), h.Count())
	}
	s := h.Summary()
	if s.Max != 100 || s.P50 > s.P99 || s.P99 > s.Max || s.Count != 100000 {
		t.Fatalf("summary %+v", s)
	}
}

func TestHistogramClampsToExactExtremes(t *testing.T) {
	var h Histogram
	h.Record(1000003 * time.Nanosecond)
	if got := h.Quantile(0.5); got != 1000003 {
		t.Fatalf("single sample reported as %d", got)
	}
	h.Record(-5) // clock oddity: counts as zero
	if got := h.Quantile(0.01); got != 0 {
		t.Fatalf("negative sample: min %d", got)
	}
	var empty Histogram
	if empty.Quantile(0.5) != 0 || empty.Summary().Count != 0 {
		t.Fatal("empty histogram not zero")
	}
	h.Record(time.Duration(math.MaxInt64)) // largest bucket must exist
}

func TestHistogramMerge(t *testing.T) {
	var a, b, all Histogram
	for i := 1; i <= 1000; i++ {
		d := time.Duration(i) * time.Millisecond
		all.Record(d)
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	m.Merge(&Histogram{})
	if m != all {
		t.Fatal("merge of parts differs from recording all")
	}
}

// feed adds sequence numbers and returns the counter.
func feed(seqs ...uint16) *LossCounter {
	var l LossCounter
	for _, s := range seqs {
		l.Add(s)
	}
	return &l
}

func TestLossCounter(t *testing.T) {
	cases := []struct {
		name string
		seqs []uint16
		want Loss
	}{
		{"in order", []uint16{10, 11, 12, 13}, Loss{Expected: 4, Received: 4}},
		{"gap", []uint16{10, 11, 14, 15}, Loss{Expected: 6, Received: 4, Lost: 2}},
		{"reordered fills the gap", []uint16{10, 12, 11, 13}, Loss{Expected: 4, Received: 4}},
		{"late first packet", []uint16{11, 12, 10, 13}, Loss{Expected: 4, Received: 4}},
		{"retransmission counted once", []uint16{10, 11, 13, 12, 12, 11}, Loss{Expected: 4, Received: 4, Duplicates: 2}},
		{"lost then retransmitted", []uint16{10, 12, 13, 11}, Loss{Expected: 4, Received: 4}},
		{"wrap", []uint16{65534, 65535, 0, 2}, Loss{Expected: 5, Received: 4, Lost: 1}},
		{"reordered across wrap", []uint16{65535, 1, 0, 65534}, Loss{Expected: 4, Received: 4}},
		{"none", nil, Loss{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := feed(tc.seqs...).Loss(); got != tc.want {
				t.Fatalf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestLossCounterLongStream(t *testing.T) {
	var l LossCounter
	// Three wraps of the 16-bit space; every 100th packet lost, every 50th
	// arrives twice, and pairs are swapped now and then.
	start := uint16(60000)
	const n = 200000
	lost := 0
	for i := 0; i < n; i++ {
		seq := start + uint16(i)
		if i%100 == 7 {
			lost++
			continue
		}
		if i%37 == 0 && i+1 < n && (i+1)%100 != 7 {
			l.Add(seq + 1)
			l.Add(seq)
			i++
			continue
		}
		l.Add(seq)
		if i%50 == 0 {
			l.Add(seq)
		}
	}
	got := l.Loss()
	if got.Expected != n || got.Lost != uint64(lost) || got.Received != uint64(n-lost) {
		t.Fatalf("got %+v, want %d expected and %d lost", got, n, lost)
	}
	if got.Duplicates == 0 {
		t.Fatal("duplicates not counted")
	}
}

func TestLossCounterIgnoresAncientPackets(t *testing.T) {
	var l LossCounter
	for s := uint16(0); s < 5000; s++ {
		l.Add(s)
	}
	if l.Add(10) {
		t.Fatal("a packet older than the window counted as new")
	}
	if got := l.Loss(); got.Expected != 5000 || got.Lost != 0 || got.Duplicates != 0 {
		t.Fatalf("got %+v", got)
	}
	// A jump far ahead (a publisher restart) forgets the window at once.
	l.Add(20000)
	if got := l.Loss(); got.Expected != 20001 || got.Lost != 20001-5001 {
		t.Fatalf("jump: %+v", got)
	}
}

func TestLossRatioAndSums(t *testing.T) {
	a := Loss{Expected: 100, Received: 98, Lost: 2, Duplicates: 1}
	b := Loss{Expected: 300, Received: 300}
	sum := a.Add(b)
	if sum != (Loss{Expected: 400, Received: 398, Lost: 2, Duplicates: 1}) || sum.Ratio() != 0.005 {
		t.Fatalf("sum %+v ratio %v", sum, sum.Ratio())
	}
	if (Loss{}).Ratio() != 0 {
		t.Fatal("empty ratio")
	}
}

func TestTrafficRates(t *testing.T) {
	r := Traffic{Packets: 500, Bytes: 125000}.Add(Traffic{Packets: 500, Bytes: 125000}).Rates(2 * time.Second)
	if r.Packets != 1000 || r.PacketsPerSec != 500 || r.BitsPerSec != 1e6 {
		t.Fatalf("rates %+v", r)
	}
	if (Traffic{Packets: 1}).Rates(0) != (Rates{}) {
		t.Fatal("zero window must not divide")
	}
}
