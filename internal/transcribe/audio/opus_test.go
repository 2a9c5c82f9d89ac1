package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pion/webrtc/v4/pkg/media/oggreader"
)

// needTool fails in CI, where test.sh installs every tool, and skips on a
// developer's machine without it.
func needTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (test.sh installs it)", name)
		}
		t.Skipf("%s not installed", name)
	}
}

// voice is a test signal with what browsers send in it: a voiced sound
// whose pitch glides (harmonics up to 20 kHz, falling off), bursts of
// broadband noise like fricatives, and pauses. 48 kHz, full scale ±1.
func voice(seconds float64, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	n := int(seconds * Rate)
	out := make([]float32, n)
	var phase float64
	for i := range out {
		t := float64(i) / Rate
		cycle := math.Mod(t, 1.0)
		f0 := 120 + 60*math.Sin(2*math.Pi*0.7*t)
		phase += 2 * math.Pi * f0 / Rate
		var v float64
		switch {
		case cycle < 0.55: // vowel
			for h := 1; float64(h)*f0 < 20000; h++ {
				v += math.Sin(float64(h)*phase) / float64(h)
			}
			v *= 0.25 * math.Sin(math.Pi*cycle/0.55)
		case cycle < 0.75: // fricative
			v = 0.15 * rng.NormFloat64()
		}
		out[i] = float32(v)
	}
	return out
}

// encode writes pcm (48 kHz) through ffmpeg's libopus with args into Ogg,
// one packet per page, and returns the packets, the file and the
// encoder's pre-skip (48 kHz samples).
func encode(t testing.TB, pcm []float32, args ...string) ([][]byte, string, int) {
	t.Helper()
	needTool(t, "ffmpeg")
	dir := t.TempDir()
	raw := filepath.Join(dir, "in.raw")
	buf := new(bytes.Buffer)
	_ = binary.Write(buf, binary.LittleEndian, pcm)
	if err := os.WriteFile(raw, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	ogg := filepath.Join(dir, "out.ogg")
	cmd := append([]string{"-v", "error", "-f", "f32le", "-ar", "48000", "-ac", "1", "-i", raw,
		"-c:a", "libopus", "-page_duration", "20000"}, args...)
	if out, err := exec.Command("ffmpeg", append(cmd, ogg)...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	f, err := os.Open(ogg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, head, err := oggreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	for {
		p, _, err := rd.ParseNextPage()
		if errors.Is(err, io.EOF) {
			return pkts, ogg, int(head.PreSkip)
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(p) > 0 && !bytes.HasPrefix(p, []byte("OpusTags")) {
			pkts = append(pkts, p)
		}
	}
}

// libopus decodes packets with ffmpeg's libopus (the reference decoder)
// at 48 kHz; ffmpeg drops the encoder's pre-skip.
func libopus(t testing.TB, encoded string) []float32 {
	t.Helper()
	out, err := exec.Command("ffmpeg", "-v", "error", "-c:a", "libopus", "-i", encoded,
		"-f", "f32le", "-ac", "1", "-ar", "48000", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg decode: %v", err)
	}
	pcm := make([]float32, len(out)/4)
	_ = binary.Read(bytes.NewReader(out), binary.LittleEndian, pcm)
	return pcm
}

func modes(pkts [][]byte) map[string]int {
	m := map[string]int{}
	for _, p := range pkts {
		switch c := p[0] >> 3; {
		case c < 12:
			m["silk"]++
		case c < 16:
			m["hybrid"]++
		default:
			m["celt"]++
		}
	}
	return m
}

// snrDB compares got with want shifted by about lag samples, taking the
// best alignment within ±8 samples.
func snrDB(got, want []int16, lag int) float64 {
	best := math.Inf(-1)
	for l := lag - 8; l <= lag+8; l++ {
		var sig, noise float64
		for i, w := range want {
			j := i + l
			if j < 0 || j >= len(got) {
				continue
			}
			d := float64(got[j]) - float64(w)
			sig += float64(w) * float64(w)
			noise += d * d
		}
		best = max(best, 10*math.Log10(sig/max(noise, 1e-9)))
	}
	return best
}

// TestDecodeBrowserOpus: the pure-Go decoder agrees with libopus on what
// browsers send, in each of Opus's three modes. WebRTC's default for a
// microphone is 20 ms packets at about 32 kbit/s with in-band FEC (mostly
// SILK or hybrid for speech); music or higher bit rates bring CELT.
func TestDecodeBrowserOpus(t *testing.T) {
	needTool(t, "ffmpeg")
	src := voice(2, 7)
	cases := []struct {
		name string
		mode string // the mode most packets must be in
		args []string
	}{
		{"silk 12k voip", "silk", []string{"-b:a", "12k", "-application", "voip"}},
		{"hybrid 32k voip fec (browser default)", "hybrid", []string{"-b:a", "32k", "-application", "voip", "-fec", "1", "-packet_loss", "10"}},
		{"celt 96k audio", "celt", []string{"-b:a", "96k", "-application", "audio"}},
		{"celt 64k lowdelay 10ms", "celt", []string{"-b:a", "64k", "-application", "lowdelay", "-frame_duration", "10", "-page_duration", "10000"}},
		{"silk 60ms packets", "silk", []string{"-b:a", "10k", "-application", "voip", "-frame_duration", "60", "-page_duration", "60000"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			pkts, ogg, preSkip := encode(t, src, c.args...)
			m := modes(pkts)
			if m[c.mode]*10 < len(pkts)*8 {
				t.Fatalf("want mostly %s packets, got %v", c.mode, m)
			}
			dec, err := NewDecoder()
			if err != nil {
				t.Fatal(err)
			}
			var got []int16
			for i, p := range pkts {
				if got, err = dec.Decode(got, p); err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
			}
			// The reference: libopus at 48 kHz through the same decimator.
			var ref Decimator
			want := ref.Process(nil, libopus(t, ogg))
			if s := snrDB(got, want, preSkip/decimation); s < 40 {
				t.Fatalf("%v: %.1f dB against libopus, want ≥ 40 dB", m, s)
			} else {
				t.Logf("%v: %.1f dB against libopus", m, s)
			}
		})
	}
}

func TestPacketSamples(t *testing.T) {
	cases := []struct {
		pkt  []byte
		want int
	}{
		{[]byte{0 << 3}, 480},              // SILK NB 10 ms
		{[]byte{1 << 3}, 960},              // SILK NB 20 ms
		{[]byte{11 << 3}, 2880},            // SILK WB 60 ms
		{[]byte{13 << 3}, 960},             // hybrid FB 20 ms
		{[]byte{16 << 3}, 120},             // CELT 2.5 ms
		{[]byte{31 << 3}, 960},             // CELT FB 20 ms
		{[]byte{31<<3 | 1, 0, 0}, 1920},    // code 1: two frames
		{[]byte{31<<3 | 2, 0}, 1920},       // code 2: two frames
		{[]byte{31<<3 | 3, 6}, 5760},       // code 3: six 20 ms frames
		{[]byte{11<<3 | 3, 2}, 5760},       // code 3: two 60 ms frames
		{[]byte{16<<3 | 3, 48}, 5760},      // code 3: 48 × 2.5 ms
		{[]byte{16<<3 | 3, 0x80 | 5}, 600}, // VBR flag ignored
	}
	for _, c := range cases {
		got, err := PacketSamples(c.pkt)
		if err != nil || got != c.want {
			t.Errorf("%x: %d, %v; want %d", c.pkt, got, err, c.want)
		}
	}
	for _, bad := range [][]byte{nil, {31<<3 | 3}, {31<<3 | 3, 0}, {31<<3 | 3, 7}, {11<<3 | 3, 3}} {
		if n, err := PacketSamples(bad); !errors.Is(err, ErrMalformed) {
			t.Errorf("%x: %d, %v; want ErrMalformed", bad, n, err)
		}
	}
}

// TestDecodeGarbage: what a hostile participant sends never panics and
// leaves the decoder usable.
func TestDecodeGarbage(t *testing.T) {
	good, _, _ := encode(t, voice(0.5, 3), "-b:a", "32k", "-application", "voip")
	rng := rand.New(rand.NewPCG(5, 6))
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	for range 500 {
		p := make([]byte, rng.IntN(200))
		for i := range p {
			p[i] = byte(rng.UintN(256))
		}
		_, _ = dec.Decode(nil, p)
	}
	var out []int16
	for _, p := range good {
		if out, err = dec.Decode(out, p); err != nil {
			t.Fatalf("after garbage: %v", err)
		}
	}
	if len(out) != len(good)*960/decimation {
		t.Fatalf("%d samples from %d packets", len(out), len(good))
	}
}

func TestSilenceKeepsTime(t *testing.T) {
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	out := dec.Silence(nil, 48000)
	out = dec.Silence(out, 0)
	out = dec.Silence(out, -5)
	if len(out) != 16000 {
		t.Fatalf("1 s of silence gave %d samples", len(out))
	}
	for _, v := range out {
		if v != 0 {
			t.Fatalf("silence has %d in it", v)
		}
	}
}

func FuzzPacketSamples(f *testing.F) {
	for _, s := range [][]byte{{0}, {31<<3 | 3, 6}, {13<<3 | 1, 1, 2}, {}} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		n, err := PacketSamples(p)
		if err == nil && (n < 120 || n > MaxPacketSamples || n%120 != 0) {
			t.Fatalf("%x: %d samples", p, n)
		}
	})
}

// FuzzDecode: no input panics the decoder or yields more than a packet's
// worth of samples.
func FuzzDecode(f *testing.F) {
	for _, s := range [][]byte{
		{0xfc, 0xff, 0xfe}, {0x78, 0x01, 0x02, 0x03}, {0x68, 0x0b, 0xe4}, {0x4b, 0x41},
		{0xfb, 0x03, 0x01, 0x02}, {0x0b, 0x82, 0x01, 0x02, 0x03},
	} {
		f.Add(s)
	}
	dec, err := NewDecoder()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		out, err := dec.Decode(nil, p)
		if err != nil && len(out) != 0 {
			t.Fatalf("error %v with %d samples", err, len(out))
		}
		if len(out) > MaxPacketSamples/decimation+1 {
			t.Fatalf("%d samples from one packet", len(out))
		}
	})
}

func TestTimeline(t *testing.T) {
	var tl Timeline
	const max = 48000
	var wrap uint32 = math.MaxUint32 - 100
	steps := []struct {
		ts   uint32
		want Verdict
	}{
		{1000, Verdict{Take: true}},
		{1960, Verdict{Take: true}},
		{2920 + 960, Verdict{Take: true, Gap: 960}}, // one lost
		{2920, Verdict{}},                           // it came late
		{4840, Verdict{Take: true}},
		{4840, Verdict{}},                                // repeated
		{5800 + 40000, Verdict{Take: true, Gap: 40000}},  // DTX pause
		{46760 + 48001, Verdict{Take: true, Jump: true}}, // too long
		{wrap, Verdict{Take: true, Jump: true}},
		{wrap + 960, Verdict{Take: true}}, // the timestamp wraps
		{wrap + 2880, Verdict{Take: true, Gap: 960}},
	}
	for i, s := range steps {
		if got := tl.Place(s.ts, 960, max); got != s.want {
			t.Fatalf("step %d (ts %d): %+v, want %+v", i, s.ts, got, s.want)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct{ name, rate, app string }{
		{"silk", "12k", "voip"}, {"hybrid", "32k", "voip"}, {"celt", "96k", "audio"},
	} {
		pkts, _, _ := encode(b, voice(2, 9), "-b:a", c.rate, "-application", c.app)
		b.Run(c.name, func(b *testing.B) {
			dec, err := NewDecoder()
			if err != nil {
				b.Fatal(err)
			}
			out := make([]int16, 0, 16000)
			for b.Loop() {
				out = out[:0]
				for _, p := range pkts {
					out, _ = dec.Decode(out, p)
				}
			}
			audio := float64(len(pkts)) * 0.02
			b.ReportMetric(audio/(b.Elapsed().Seconds()/float64(b.N)), "x-realtime")
		})
	}
}

// TestDecodeStereo: a stereo stream (a browser may send one from a
// stereo source) is mixed down to mono, (L+R)/2, as libopus decodes it.
func TestDecodeStereo(t *testing.T) {
	pkts, ogg, preSkip := encode(t, voice(1, 11), "-b:a", "96k", "-ac", "2")
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	var got []int16
	for i, p := range pkts {
		if got, err = dec.Decode(got, p); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
	}
	out, err := exec.Command("ffmpeg", "-v", "error", "-c:a", "libopus", "-i", ogg,
		"-f", "f32le", "-ac", "2", "-ar", "48000", "-").Output()
	if err != nil {
		t.Fatalf("ffmpeg decode: %v", err)
	}
	lr := make([]float32, len(out)/4)
	_ = binary.Read(bytes.NewReader(out), binary.LittleEndian, lr)
	mix := make([]float32, len(lr)/2)
	for i := range mix {
		mix[i] = (lr[2*i] + lr[2*i+1]) / 2
	}
	var ref Decimator
	if s := snrDB(got, ref.Process(nil, mix), preSkip/decimation); s < 40 {
		t.Fatalf("%.1f dB against libopus's stereo mixed down, want ≥ 40 dB", s)
	}
}
