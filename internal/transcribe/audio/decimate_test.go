package audio

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// tone is n samples of a sine at freq Hz, amplitude amp, at 48 kHz.
func tone(freq, amp float64, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(amp * math.Sin(2*math.Pi*freq*float64(i)/Rate))
	}
	return out
}

// rms of s after its first skip samples (the filter's start-up).
func rms(s []int16, skip int) float64 {
	var sum float64
	for _, v := range s[skip:] {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(s)-skip))
}

func db(ratio float64) float64 { return 20 * math.Log10(ratio) }

// TestDecimatorPassesSpeechBand: tones up to 7 kHz come through at their
// level (a full-scale-relative sine of amplitude a has RMS a/√2).
func TestDecimatorPassesSpeechBand(t *testing.T) {
	const amp = 0.5
	want := amp * 32768 / math.Sqrt2
	for _, f := range []float64{100, 300, 1000, 3000, 5000, 6500, 7000} {
		var d Decimator
		out := d.Process(nil, tone(f, amp, Rate))
		if len(out) != Rate/decimation {
			t.Fatalf("%v Hz: %d samples out of %d", f, len(out), Rate)
		}
		if g := db(rms(out, 200) / want); math.Abs(g) > 0.1 {
			t.Errorf("%v Hz: gain %.3f dB, want within ±0.1 dB", f, g)
		}
	}
}

// TestDecimatorStopsAliases: what would fold back into the 16 kHz band is
// at least 75 dB down.
func TestDecimatorStopsAliases(t *testing.T) {
	for _, f := range []float64{9000, 10000, 12000, 15000, 16000, 20000, 23900} {
		var d Decimator
		out := d.Process(nil, tone(f, 1, Rate))
		if g := db(rms(out, 200) / (32768 / math.Sqrt2)); g > -75 {
			t.Errorf("%v Hz: %.1f dB after decimation, want below -75 dB", f, g)
		}
	}
}

func TestDecimatorDCAndClipping(t *testing.T) {
	var d Decimator
	in := make([]float32, 3000)
	for i := range in {
		in[i] = 0.25
	}
	out := d.Process(nil, in)
	if v := out[len(out)-1]; v != 8192 {
		t.Fatalf("DC 0.25 became %d, want 8192", v)
	}
	for i := range in {
		in[i] = 3 // far past full scale
	}
	out = d.Process(nil, in)
	if v := out[len(out)-1]; v != math.MaxInt16 {
		t.Fatalf("overload became %d, want %d", v, math.MaxInt16)
	}
}

// TestDecimatorPiecesEqualWhole: feeding a stream in pieces of any size
// yields exactly what feeding it at once does.
func TestDecimatorPiecesEqualWhole(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	in := make([]float32, 20000)
	for i := range in {
		in[i] = float32(rng.NormFloat64() * 0.2)
	}
	var whole Decimator
	want := whole.Process(nil, in)
	for try := range 20 {
		var d Decimator
		var got []int16
		for rest := in; len(rest) > 0; {
			n := min(len(rest), rng.IntN(700))
			got = d.Process(got, rest[:n])
			rest = rest[n:]
		}
		if !slices.Equal(got, want) {
			t.Fatalf("try %d: pieces gave %d samples, whole %d, or different values", try, len(got), len(want))
		}
	}
}

// TestDecimatorZerosEqualsProcess: the short cut for silence yields the
// same samples and leaves the same state as filtering zeros.
func TestDecimatorZerosEqualsProcess(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 2, 3, 100, 241, 242, 243, 244, 245, 1000, 48000, 48001, 48002} {
		var a, b Decimator
		head := tone(440, 0.5, 1000+rng.IntN(3))
		tail := tone(660, 0.5, 999)
		ga := a.Process(nil, head)
		gb := b.Process(nil, head)
		ga = a.Zeros(ga, n)
		gb = b.Process(gb, make([]float32, n))
		ga = a.Process(ga, tail)
		gb = b.Process(gb, tail)
		if !slices.Equal(ga, gb) {
			t.Fatalf("Zeros(%d): %d samples, filtering zeros: %d, or different values", n, len(ga), len(gb))
		}
	}
}

// TestDecimatorLength: one output per three inputs, from the first (the
// first FilterDelay outputs are the filter filling up).
func TestDecimatorLength(t *testing.T) {
	var d Decimator
	total := 0
	for range 100 {
		total += len(d.Process(nil, make([]float32, 960)))
	}
	if want := 96000 / decimation; total != want {
		t.Fatalf("%d samples out for 96000 in, want %d", total, want)
	}
}

func BenchmarkDecimator(b *testing.B) {
	in := tone(440, 0.5, 960)
	var d Decimator
	out := make([]int16, 0, 400)
	b.SetBytes(int64(len(in)) * 4)
	for b.Loop() {
		out = d.Process(out[:0], in)
	}
}
