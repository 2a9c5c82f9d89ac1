package transcribe

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestNormalize(t *testing.T) {
	got := Normalize("Hello, World!  It's  the 2nd—time.\n")
	want := []string{"hello", "world", "it's", "the", "2nd", "time"}
	if !slices.Equal(got, want) {
		t.Fatalf("%q, want %q", got, want)
	}
	if got := Normalize(" .,;! "); len(got) != 0 {
		t.Fatalf("punctuation alone gave %q", got)
	}
}

func TestWordErrorRate(t *testing.T) {
	cases := []struct {
		ref, hyp string
		want     float64
	}{
		{"the quick brown fox", "The quick brown fox.", 0},
		{"the quick brown fox", "the quick fox", 0.25},             // deletion
		{"the quick brown fox", "the quick brown fox jumps", 0.25}, // insertion
		{"the quick brown fox", "the slow brown box", 0.5},         // substitutions
		{"the quick brown fox", "", 1},                             // nothing heard
		{"one two", "three four five six", 2},                      // more than 1
		{"", "", 0},                                                // nothing said
		{"", "noise", 1},                                           // nothing said, something heard
		{"a b c d e f g h i j", "a b c d e f g h i j k", 0.1},      // one extra
		{"open the door please", "please open the door", 0.5},      // order matters
	}
	for _, c := range cases {
		if got := WordErrorRate(c.ref, c.hyp); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("WER(%q, %q) = %v, want %v", c.ref, c.hyp, got, c.want)
		}
	}
}

func TestJoinWords(t *testing.T) {
	if got := JoinWords(nil); got != "" {
		t.Fatalf("no words gave %q", got)
	}
	words := []Word{{Text: "hello"}, {Text: "world"}}
	if got := JoinWords(words); got != "hello world" {
		t.Fatalf("%q", got)
	}
}

func TestDuration(t *testing.T) {
	if got := Duration(SampleRate); got != time.Second {
		t.Fatalf("one second of samples is %v", got)
	}
	if got := Duration(320); got != 20*time.Millisecond {
		t.Fatalf("320 samples are %v", got)
	}
}

func FuzzWordErrorRate(f *testing.F) {
	f.Add("the quick brown fox", "the quick fox")
	f.Add("", "x")
	f.Fuzz(func(t *testing.T, ref, hyp string) {
		w := WordErrorRate(ref, hyp)
		if w < 0 || math.IsNaN(w) {
			t.Fatalf("WER %v", w)
		}
		if WordErrorRate(ref, ref) != 0 {
			t.Fatalf("a text against itself is not 0")
		}
		if n := len(Normalize(ref)); n > 0 && w*float64(n) > float64(max(n, len(Normalize(hyp))))+1e-9 {
			t.Fatalf("WER %v above max(len) / len(ref)", w)
		}
	})
}
