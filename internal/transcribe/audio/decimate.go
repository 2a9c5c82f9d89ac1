package audio

import "math"

// The low-pass filter in front of the 3:1 decimation, at 48 kHz: a
// Kaiser-windowed sinc with its cut-off at 8 kHz (the output's Nyquist
// frequency), flat to 7 kHz and at least 80 dB down from 9 kHz. What lies
// between 8 and 9 kHz folds into 7–8 kHz, above the band speech engines
// use (pocketsphinx's 16 kHz models stop at 6.855 kHz).
const (
	filterTaps    = 121 // (80 dB − 8) / (2.285 × 2π × 2 kHz / 48 kHz) ≈ 120
	filterBeta    = 7.857
	filterCutoff  = 8000.0
	decimation    = 3
	inputRate     = 48000
	filterDelay48 = (filterTaps - 1) / 2 // group delay in 48 kHz samples
)

// FilterDelay is the decimator's group delay in 16 kHz samples.
const FilterDelay = filterDelay48 / decimation

var lowPass = designLowPass()

func designLowPass() [filterTaps]float32 {
	var h [filterTaps]float64
	mid := float64(filterTaps-1) / 2
	fc := filterCutoff / inputRate // cycles per sample
	var sum float64
	for i := range h {
		x := float64(i) - mid
		sinc := 2 * fc
		if x != 0 {
			sinc = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		r := x / mid
		h[i] = sinc * besselI0(filterBeta*math.Sqrt(1-r*r)) / besselI0(filterBeta)
		sum += h[i]
	}
	var out [filterTaps]float32
	for i := range h {
		out[i] = float32(h[i] / sum) // unity gain at 0 Hz
	}
	return out
}

// besselI0 is the modified Bessel function of the first kind, order 0.
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

// Decimator turns 48 kHz mono samples into 16 kHz ones: low-pass, then
// every third sample. It keeps its state between calls, so a stream may
// be fed in pieces of any size. The zero value is ready to use.
type Decimator struct {
	buf  []float32 // samples not yet behind every window
	next int       // index in buf where the next output's window starts
	init bool
}

func (d *Decimator) start() {
	if !d.init {
		d.buf = make([]float32, filterTaps-1, 4096)
		d.init = true
	}
}

// Process low-passes in (48 kHz, full scale ±1) and appends the 16 kHz
// samples it yields to dst, clipped to 16 bits.
func (d *Decimator) Process(dst []int16, in []float32) []int16 {
	d.start()
	d.buf = append(d.buf, in...)
	return d.drain(dst)
}

func (d *Decimator) drain(dst []int16) []int16 {
	for d.next+filterTaps <= len(d.buf) {
		w := d.buf[d.next : d.next+filterTaps]
		var acc float32
		for k, h := range lowPass {
			acc += h * w[k]
		}
		dst = append(dst, toInt16(acc))
		d.next += decimation
	}
	// Keep what the next windows still need.
	n := copy(d.buf, d.buf[d.next:])
	d.buf = d.buf[:n]
	d.next = 0
	return dst
}

// Zeros feeds n samples of silence (48 kHz) and appends what they yield,
// as Process would, without filtering the long run of zeros sample by
// sample: once the filter's memory holds only zeros, so does its output.
func (d *Decimator) Zeros(dst []int16, n int) []int16 {
	d.start()
	var zeros [filterTaps]float32
	if n <= 2*filterTaps {
		for n > 0 {
			k := min(n, len(zeros))
			dst = d.Process(dst, zeros[:k])
			n -= k
		}
		return dst
	}
	dst = d.Process(dst, zeros[:]) // now every kept sample is zero
	n -= filterTaps
	total := len(d.buf) + n
	if total >= filterTaps {
		outs := (total-filterTaps)/decimation + 1
		for range outs {
			dst = append(dst, 0)
		}
		total -= outs * decimation
	}
	d.buf = d.buf[:0]
	for range total {
		d.buf = append(d.buf, 0)
	}
	return dst
}

func toInt16(v float32) int16 {
	s := math.Round(float64(v) * 32768)
	switch {
	case s > math.MaxInt16:
		return math.MaxInt16
	case s < math.MinInt16:
		return math.MinInt16
	}
	return int16(s)
}
