package pocketsphinx

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pion/webrtc/v4/pkg/media/oggreader"

	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/audio"
	"github.com/conclave-meet/conclave/internal/transcribe/transcribetest"
)

// The recognition tests speak known sentences with Flite (Debian's flite,
// its "slt" voice) and recognise them with the real PocketSphinx. Their
// word error rates, measured, are in docs/transcripts.md (0 for both, on
// Debian 12's packages); the bounds leave room for one word in ten.
var sentences = []string{
	"the quick brown fox jumped over the lazy dog",
	"please open the door and close the window",
	"we will meet again next week to review the budget",
}

const (
	maxWERDirect = 0.10 // PCM straight from the synthesiser
	maxWEROpus   = 0.10 // through a browser's Opus settings and back
)

func realEngine(t *testing.T) *Engine {
	t.Helper()
	transcribetest.NeedTool(t, DefaultProgram)
	e, err := New(Config{})
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return e
}

// script is the sentences spoken one after another, a second apart, with
// where each starts.
func script(t *testing.T) ([]int16, []int) {
	var pcm []int16
	var starts []int
	for _, s := range sentences {
		pcm = append(pcm, make([]int16, transcribe.SampleRate)...)
		starts = append(starts, len(pcm))
		pcm = append(pcm, transcribetest.Speak(t, s)...)
	}
	return append(pcm, make([]int16, transcribe.SampleRate)...), starts
}

// recognise sends pcm in 20 ms writes, as a meeting's audio comes, and
// returns the final results.
func recognise(t *testing.T, e *Engine, pcm []int16) []transcribe.Result {
	t.Helper()
	ctx := context.Background()
	s, err := e.Open(ctx, transcribe.StreamOptions{Speaker: "p_ana", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := make(chan []transcribe.Result, 1)
	go func() {
		var rs []transcribe.Result
		for r := range s.Results() {
			rs = append(rs, r)
		}
		got <- rs
	}()
	for len(pcm) > 0 {
		n := min(len(pcm), 320)
		if err := s.Write(ctx, pcm[:n]); err != nil {
			t.Fatal(err)
		}
		pcm = pcm[n:]
	}
	if err := s.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	return <-got
}

func text(rs []transcribe.Result) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, r.Text)
	}
	return strings.Join(parts, " ")
}

// checkTranscript: the words are close enough to what was said, each
// result is attributed and final, and the results are in time order,
// starting no earlier than the speech does.
func checkTranscript(t *testing.T, rs []transcribe.Result, starts []int, maxWER float64) {
	t.Helper()
	ref := strings.Join(sentences, " ")
	wer := transcribe.WordErrorRate(ref, text(rs))
	t.Logf("heard %q: WER %.3f over %d utterances", text(rs), wer, len(rs))
	if wer > maxWER {
		t.Fatalf("word error rate %.3f, want ≤ %.2f", wer, maxWER)
	}
	first := transcribe.Duration(starts[0]) - transcribe.Duration(audio.FilterDelay) - 100*ms
	for i, r := range rs {
		if r.Speaker != "p_ana" || !r.Final || r.Utterance != i {
			t.Fatalf("result %d: %+v", i, r)
		}
		if r.Start < first || r.End < r.Start || (i > 0 && r.Start < rs[i-1].End) {
			t.Fatalf("result %d at %v–%v (previous ended %v, speech starts %v)", i, r.Start, r.End,
				rs[max(i-1, 0)].End, first)
		}
	}
	// The last sentence's words are heard after it began.
	last := rs[len(rs)-1]
	if last.End < transcribe.Duration(starts[len(starts)-1]) {
		t.Fatalf("the last result ends at %v, before the last sentence began (%v)", last.End,
			transcribe.Duration(starts[len(starts)-1]))
	}
}

// TestRecognisesSpeech: PocketSphinx hears what was said, from PCM.
func TestRecognisesSpeech(t *testing.T) {
	t.Parallel()
	e := realEngine(t)
	pcm, starts := script(t)
	checkTranscript(t, recognise(t, e, pcm), starts, maxWERDirect)
}

// TestRecognisesOpusSpeech: the whole way a participant's voice goes:
// encoded as a browser does (Opus, 48 kHz, 32 kbit/s, in-band FEC, 20 ms
// packets), decoded in Go, filtered down to 16 kHz, recognised.
func TestRecognisesOpusSpeech(t *testing.T) {
	t.Parallel()
	e := realEngine(t)
	transcribetest.NeedTool(t, "ffmpeg")
	pcm, starts := script(t)
	dir := t.TempDir()
	raw, ogg := filepath.Join(dir, "speech.raw"), filepath.Join(dir, "speech.ogg")
	buf := new(bytes.Buffer)
	_ = binary.Write(buf, binary.LittleEndian, pcm)
	if err := os.WriteFile(raw, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "s16le", "-ar", "16000", "-ac", "1", "-i", raw,
		"-ar", "48000", "-c:a", "libopus", "-b:a", "32k", "-application", "voip", "-fec", "1",
		"-packet_loss", "10", "-page_duration", "20000", ogg).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	dec, err := audio.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	var decoded []int16
	for i, p := range oggPackets(t, ogg) {
		if decoded, err = dec.Decode(decoded, p); err != nil {
			t.Fatalf("packet %d: %v", i, err)
		}
	}
	checkTranscript(t, recognise(t, e, decoded), starts, maxWEROpus)
}

func oggPackets(t *testing.T, path string) [][]byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, _, err := oggreader.NewWith(f)
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	for {
		p, _, err := rd.ParseNextPage()
		if errors.Is(err, io.EOF) {
			return pkts
		}
		if err != nil {
			t.Fatal(fmt.Errorf("ogg: %w", err))
		}
		if len(p) > 0 && !bytes.HasPrefix(p, []byte("OpusTags")) {
			pkts = append(pkts, p)
		}
	}
}
