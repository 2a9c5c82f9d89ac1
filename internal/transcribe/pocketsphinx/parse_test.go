package pocketsphinx

import (
	"bufio"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/transcribe"
)

// parseAll runs the parser over out as the stream does.
func parseAll(out string) []transcribe.Result {
	p := parser{speaker: "p_1"}
	var rs []transcribe.Result
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if r, ok := p.line(sc.Text()); ok {
			rs = append(rs, r)
		}
	}
	if r, ok := p.flush(); ok {
		rs = append(rs, r)
	}
	return rs
}

const ms = time.Millisecond

// Real output of pocketsphinx_continuous -time yes (Debian 0.8+5prealpha)
// for three seconds of silence, "hello world", silence, and a sentence.
const realOutput = `
<s> 0.000 0.600 1.000100
</s> 0.610 1.040 1.000000
hello world
<s> 2.890 3.020 0.999700
hello 3.030 3.400 0.912196
world(2) 3.410 3.900 0.712196
<sil> 3.910 4.030 0.998501
</s> 4.040 4.490 1.000000
please open the door
<s> 7.380 8.140 0.997702
please 8.150 8.310 0.338468
[NOISE] 8.320 8.400 0.312286
open 8.410 8.720 0.713667
++BREATH++ 8.730 8.800 0.5
the 8.810 9.000 0.187216
door 9.010 9.960 0.002467
</s> 9.970 10.270 1.000000
`

func TestParseRealOutput(t *testing.T) {
	got := parseAll(realOutput)
	want := []transcribe.Result{
		{Speaker: "p_1", Utterance: 0, Final: true, Start: 3030 * ms, End: 3900 * ms, Text: "hello world",
			Words: []transcribe.Word{
				{Text: "hello", Start: 3030 * ms, End: 3400 * ms, Confidence: 0.912196},
				{Text: "world", Start: 3410 * ms, End: 3900 * ms, Confidence: 0.712196},
			}},
		{Speaker: "p_1", Utterance: 1, Final: true, Start: 8150 * ms, End: 9960 * ms, Text: "please open the door",
			Words: []transcribe.Word{
				{Text: "please", Start: 8150 * ms, End: 8310 * ms, Confidence: 0.338468},
				{Text: "open", Start: 8410 * ms, End: 8720 * ms, Confidence: 0.713667},
				{Text: "the", Start: 8810 * ms, End: 9000 * ms, Confidence: 0.187216},
				{Text: "door", Start: 9010 * ms, End: 9960 * ms, Confidence: 0.002467},
			}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", got, want)
	}
}

// TestParseWithoutEndMark: an utterance whose </s> is missing ends at the
// next hypothesis, or at the end of the output.
func TestParseWithoutEndMark(t *testing.T) {
	got := parseAll("one\none 0.1 0.2 0.9\ntwo\ntwo 1.1 1.2 0.8\n")
	if len(got) != 2 || got[0].Text != "one" || got[1].Text != "two" || got[1].Utterance != 1 {
		t.Fatalf("%+v", got)
	}
	if got[1].Start != 1100*ms || got[1].End != 1200*ms {
		t.Fatalf("times %v–%v", got[1].Start, got[1].End)
	}
}

// TestParseUntimed: a hypothesis without word lines is kept, untimed.
func TestParseUntimed(t *testing.T) {
	got := parseAll("good  morning \n\n")
	if len(got) != 1 || got[0].Text != "good morning" || got[0].Words != nil || got[0].End != 0 {
		t.Fatalf("%+v", got)
	}
}

func TestSegment(t *testing.T) {
	cases := []struct {
		line string
		ok   bool
		word transcribe.Word
	}{
		{"door 9.010 9.960 0.002467", true, transcribe.Word{Text: "door", Start: 9010 * ms, End: 9960 * ms, Confidence: 0.002467}},
		{"to(3) 5.14 5.28 0.02", true, transcribe.Word{Text: "to", Start: 5140 * ms, End: 5280 * ms, Confidence: 0.02}},
		{"(2) 1 2 0.5", true, transcribe.Word{Text: "(2)", Start: time.Second, End: 2 * time.Second, Confidence: 0.5}},
		{"a(b) 1 2 0.5", true, transcribe.Word{Text: "a(b)", Start: time.Second, End: 2 * time.Second, Confidence: 0.5}},
		{"</s> 6.07 6.29 1.0001", true, transcribe.Word{Text: "</s>", Start: 6070 * ms, End: 6290 * ms, Confidence: 1}},
		{"door 9.960 9.010 0.5", false, transcribe.Word{}}, // ends before it starts
		{"door NaN 1 0.5", false, transcribe.Word{}},
		{"door 1 Inf 0.5", false, transcribe.Word{}},
		{"door -1 1 0.5", false, transcribe.Word{}},
		{"door 1 2 -0.5", false, transcribe.Word{}},
		{"please open the door", false, transcribe.Word{}},
		{"door 1 2", false, transcribe.Word{}},
	}
	for _, c := range cases {
		w, ok := segment(c.line)
		if ok != c.ok || w != c.word {
			t.Errorf("%q: %+v %v, want %+v %v", c.line, w, ok, c.word, c.ok)
		}
	}
}

// FuzzParse: whatever the engine prints, results are well formed.
func FuzzParse(f *testing.F) {
	f.Add(realOutput)
	f.Add("a 1 2 3\n</s> 1 1 1\n")
	f.Add("x(2) 0 1e7 1\n<sil> 0 0 0\n")
	f.Add("! 0 0 0") // a mark, not a word
	f.Fuzz(func(t *testing.T, out string) {
		for i, r := range parseAll(out) {
			if r.Utterance != i || !r.Final || r.Speaker != "p_1" {
				t.Fatalf("result %d: %+v", i, r)
			}
			if len(transcribe.Normalize(r.Text)) == 0 {
				t.Fatalf("result %d has no words: %q", i, r.Text)
			}
			if r.Start < 0 || r.End < r.Start {
				t.Fatalf("result %d: %v–%v", i, r.Start, r.End)
			}
			for _, w := range r.Words {
				if w.Start < 0 || w.End < w.Start || w.Confidence < 0 || w.Confidence > 1 ||
					math.IsNaN(w.Confidence) || filler(w.Text) {
					t.Fatalf("result %d: word %+v", i, w)
				}
			}
		}
	})
}
