package loadtest

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records durations in log-linear buckets: exact below 64 ns,
// then 32 buckets per power of two, so a quantile (reported as the middle of
// its bucket) is within 1/64 (1.6%) of the true value while memory stays fixed however long a run lasts. The
// maximum and minimum are exact. The zero value is empty and ready to use;
// it is not safe for concurrent use.
type Histogram struct {
	counts   [histBuckets]uint64
	n        uint64
	min, max time.Duration
}

const (
	histSub     = 64                                // values below this have a bucket each
	histHalf    = histSub / 2                       // buckets per power of two above it
	histMaxExp  = 63 - 6                            // largest shift for a positive int64
	histBuckets = histSub + histMaxExp*histHalf + 1 // +1 guards rounding at the top
)

// bucketOf maps a non-negative value to its bucket.
func bucketOf(v uint64) int {
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(v) - 6 // v>>e keeps the top 6 bits: [32, 64)
	m := v >> uint(e)
	return histSub + (e-1)*histHalf + int(m-histHalf)
}

// bucketRange is the smallest value of bucket i and the bucket's width.
func bucketRange(i int) (low, width uint64) {
	if i < histSub {
		return uint64(i), 1
	}
	k := i - histSub
	e := k/histHalf + 1
	m := uint64(k%histHalf + histHalf)
	return m << uint(e), 1 << uint(e)
}

// Record adds one duration; negative durations count as zero.
func (h *Histogram) Record(d time.Duration) {
	d = max(d, 0)
	h.counts[bucketOf(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
}

// Merge adds every sample of o.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
}

// Count is the number of samples.
func (h *Histogram) Count() uint64 { return h.n }

// Max is the largest sample (exact).
func (h *Histogram) Max() time.Duration { return h.max }

// Quantile returns the q-quantile (0 < q ≤ 1) by the nearest-rank method:
// the smallest sample with at least q of all samples at or below it, as the
// middle of its bucket, clamped to the exact minimum and maximum. An empty
// histogram returns 0.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = min(max(rank, 1), h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			low, width := bucketRange(i)
			mid := time.Duration(low + width/2)
			if width == 1 {
				mid = time.Duration(low)
			}
			return min(max(mid, h.min), h.max)
		}
	}
	return h.max
}

// Summary condenses the histogram for reports.
func (h *Histogram) Summary() Percentiles {
	return Percentiles{
		Count: h.n,
		P50:   ms(h.Quantile(0.50)),
		P99:   ms(h.Quantile(0.99)),
		Max:   ms(h.max),
	}
}

// Percentiles are a distribution's median, 99th percentile and maximum in
// milliseconds.
type Percentiles struct {
	Count uint64  `json:"count"`
	P50   float64 `json:"p50_ms"`
	P99   float64 `json:"p99_ms"`
	Max   float64 `json:"max_ms"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// lossWindow is how far back (in sequence numbers) a late packet can still
// be told apart as a duplicate or a filled gap: several seconds of video.
const lossWindow = 1 << 12

// LossCounter counts loss on one received RTP stream from its sequence
// numbers: expected packets are the span from the lowest to the highest
// sequence number seen (16-bit numbers extended across wraps), received
// ones are distinct numbers, so a reordered packet fills its gap and a
// retransmission or duplicate counts once. The zero value is ready; it is
// not safe for concurrent use.
type LossCounter struct {
	started       bool
	base, highest int64 // extended sequence numbers
	unique        uint64
	duplicates    uint64
	tooLate       uint64 // older than lossWindow: not counted either way
	seen          [lossWindow / 64]uint64
}

// Add records one arrival and reports whether it was the first arrival of
// its sequence number (false: duplicate, or too late to tell).
func (l *LossCounter) Add(seq uint16) bool {
	if !l.started {
		l.started = true
		l.base, l.highest = int64(seq), int64(seq)
		l.mark(int64(seq))
		l.unique++
		return true
	}
	ext := extend(seq, l.highest)
	switch {
	case ext > l.highest:
		l.clear(l.highest+1, ext)
		l.highest = ext
	case l.highest-ext >= lossWindow:
		l.tooLate++
		return false
	}
	if l.isMarked(ext) {
		l.duplicates++
		return false
	}
	l.base = min(l.base, ext)
	l.mark(ext)
	l.unique++
	return true
}

// extend places a 16-bit sequence number in the extended range nearest to
// ref, so that a wrap from 65535 to 0 continues upwards.
func extend(seq uint16, ref int64) int64 {
	delta := int64(int16(seq - uint16(ref)))
	return ref + delta
}

func (l *LossCounter) mark(ext int64) {
	i := uint64(ext) % lossWindow
	l.seen[i/64] |= 1 << (i % 64)
}

func (l *LossCounter) isMarked(ext int64) bool {
	i := uint64(ext) % lossWindow
	return l.seen[i/64]&(1<<(i%64)) != 0
}

// clear forgets the marks of the numbers from..to, which the ring is about
// to reuse.
func (l *LossCounter) clear(from, to int64) {
	if to-from >= lossWindow {
		l.seen = [lossWindow / 64]uint64{}
		return
	}
	for ext := from; ext <= to; ext++ {
		i := uint64(ext) % lossWindow
		l.seen[i/64] &^= 1 << (i % 64)
	}
}

// Loss is a stream's (or a sum of streams') sequence accounting.
type Loss struct {
	Expected   uint64 `json:"expected"`
	Received   uint64 `json:"received"` // distinct sequence numbers
	Lost       uint64 `json:"lost"`
	Duplicates uint64 `json:"duplicates"` // retransmissions of packets already received, and true duplicates
}

// Loss reports the counts so far.
func (l *LossCounter) Loss() Loss {
	if !l.started {
		return Loss{}
	}
	expected := uint64(l.highest - l.base + 1)
	lost := uint64(0)
	if expected > l.unique {
		lost = expected - l.unique
	}
	return Loss{Expected: expected, Received: l.unique, Lost: lost, Duplicates: l.duplicates}
}

// Add sums two accounts.
func (a Loss) Add(b Loss) Loss {
	return Loss{a.Expected + b.Expected, a.Received + b.Received, a.Lost + b.Lost, a.Duplicates + b.Duplicates}
}

// Ratio is the fraction of expected packets never received (0 when none
// were expected).
func (a Loss) Ratio() float64 {
	if a.Expected == 0 {
		return 0
	}
	return float64(a.Lost) / float64(a.Expected)
}

// Traffic counts RTP packets and their bytes (RTP header and payload; no
// SRTP, UDP or IP overhead) over a window.
type Traffic struct {
	Packets uint64 `json:"packets"`
	Bytes   uint64 `json:"bytes"`
}

// Add sums two counts.
func (t Traffic) Add(o Traffic) Traffic { return Traffic{t.Packets + o.Packets, t.Bytes + o.Bytes} }

// Rates turns counts over a window into per-second rates.
func (t Traffic) Rates(window time.Duration) Rates {
	s := window.Seconds()
	if s <= 0 {
		return Rates{}
	}
	return Rates{
		Packets:       t.Packets,
		Bytes:         t.Bytes,
		PacketsPerSec: float64(t.Packets) / s,
		BitsPerSec:    float64(t.Bytes*8) / s,
	}
}

// Rates are traffic counts and their per-second rates.
type Rates struct {
	Packets       uint64  `json:"packets"`
	Bytes         uint64  `json:"bytes"`
	PacketsPerSec float64 `json:"packets_per_sec"`
	BitsPerSec    float64 `json:"bits_per_sec"`
}
