package whisper

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/transcribe/transcribetest"
)

// realAnswer is whisper-server's verbose_json for a short file, in the
// shape server.cpp writes it: token pieces as "words", punctuation as its
// own token, a non-speech marker segment.
const realAnswer = `{"task":"transcribe","language":"english","duration":4.0,"text":" Hello, world. [BLANK_AUDIO]",
"segments":[
 {"id":0,"text":" Hello, world.","start":0.5,"end":1.8,"tokens":[50364,2425,11,1002,13],
  "words":[{"word":" Hel","start":0.5,"end":0.7,"t_dtw":-1,"probability":0.9},
           {"word":"lo","start":0.7,"end":0.9,"t_dtw":-1,"probability":0.8},
           {"word":",","start":0.9,"end":0.9,"t_dtw":-1,"probability":0.99},
           {"word":" world","start":1.0,"end":1.6,"t_dtw":-1,"probability":0.95},
           {"word":".","start":1.6,"end":1.8,"t_dtw":-1,"probability":0.7}],
  "temperature":0.0,"avg_logprob":-0.3},
 {"id":1,"text":" [BLANK_AUDIO]","start":1.8,"end":4.0,"tokens":[],"words":[{"word":" [BLANK_AUDIO]","start":1.8,"end":4.0,"probability":0.5}],
  "temperature":0.0,"avg_logprob":-1}]}`

func TestResultFromAnswer(t *testing.T) {
	var r response
	if err := json.Unmarshal([]byte(realAnswer), &r); err != nil {
		t.Fatal(err)
	}
	res, timed := r.result(10 * time.Second)
	if !timed || res.Text != "Hello, world." || res.Start != 10500*time.Millisecond || res.End != 11800*time.Millisecond {
		t.Fatalf("%+v", res)
	}
	if len(res.Words) != 2 || res.Words[0].Text != "Hello," || res.Words[1].Text != "world." {
		t.Fatalf("words %+v", res.Words)
	}
	w := res.Words[0]
	if w.Start != 10500*time.Millisecond || w.End != 10900*time.Millisecond || w.Confidence != 0.8 {
		t.Fatalf("first word %+v", w)
	}
}

// TestResultHundredths: servers that give whisper's own t0 and t1
// (hundredths of a second), and servers that give no times.
func TestResultHundredths(t *testing.T) {
	var r response
	_ = json.Unmarshal([]byte(`{"segments":[{"text":" a","t0":50,"t1":150},{"text":" b","t0":150,"t1":300}]}`), &r)
	res, timed := r.result(time.Second)
	if !timed || res.Text != "a b" || res.Start != 1500*time.Millisecond || res.End != 4*time.Second {
		t.Fatalf("%+v", res)
	}
	var untimed response
	_ = json.Unmarshal([]byte(`{"text":" c","segments":[{"text":" c"}]}`), &untimed)
	if res, timed := untimed.result(0); timed || res.Text != "c" {
		t.Fatalf("%+v %v", res, timed)
	}
}

func TestMarker(t *testing.T) {
	for s, want := range map[string]bool{"[BLANK_AUDIO]": true, "(music)": true, "<|endoftext|>": true, "[_BEG_]": true,
		"hello": false, "(": false, "[a] b": false} {
		if marker(s) != want {
			t.Errorf("%q: %v", s, !want)
		}
	}
}

// TestWAV: what the adapter sends reads back as 16 kHz mono 16-bit PCM.
func TestWAV(t *testing.T) {
	pcm := []int16{0, 1, -1, 32767, -32768}
	got, rate, err := transcribetest.ReadWAV(wav(pcm))
	if err != nil || rate != 16000 || len(got) != len(pcm) {
		t.Fatalf("%v %d %v", got, rate, err)
	}
	for i := range pcm {
		if got[i] != pcm[i] {
			t.Fatalf("%v", got)
		}
	}
}
