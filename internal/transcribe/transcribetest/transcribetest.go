// Package transcribetest helps the engine adapters' tests: speech made by
// Flite (Debian's flite, its "slt" voice, which PocketSphinx recognises
// well), a WAV reader, and a consumer that collects a stream's results.
package transcribetest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/conclave-meet/conclave/internal/transcribe"
)

// NeedTool fails in CI, where test.sh installs every tool, and skips on a
// developer's machine without it.
func NeedTool(t testing.TB, name string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (test.sh installs it)", name)
		}
		t.Skipf("%s not installed", name)
	}
}

// Speak returns Flite's rendering of text: 16 kHz mono.
func Speak(t testing.TB, text string) []int16 {
	t.Helper()
	NeedTool(t, "flite")
	wav := filepath.Join(t.TempDir(), "speech.wav")
	if out, err := exec.Command("flite", "-voice", "slt", "-t", text, "-o", wav).CombinedOutput(); err != nil {
		t.Fatalf("flite: %v\n%s", err, out)
	}
	data, err := os.ReadFile(wav)
	if err != nil {
		t.Fatal(err)
	}
	pcm, rate, err := ReadWAV(data)
	if err != nil || rate != transcribe.SampleRate {
		t.Fatalf("flite's WAV: %d Hz, %v", rate, err)
	}
	return pcm
}

// ReadWAV reads a mono 16-bit PCM WAV file: its samples and rate.
func ReadWAV(b []byte) ([]int16, int, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a WAV file")
	}
	rate := 0
	for b = b[12:]; len(b) >= 8; {
		id, size := string(b[:4]), int(binary.LittleEndian.Uint32(b[4:8]))
		b = b[8:]
		if size > len(b) {
			size = len(b)
		}
		switch id {
		case "fmt ":
			if size < 16 || binary.LittleEndian.Uint16(b[0:]) != 1 || binary.LittleEndian.Uint16(b[2:]) != 1 ||
				binary.LittleEndian.Uint16(b[14:]) != 16 {
				return nil, 0, errors.New("not mono 16-bit PCM")
			}
			rate = int(binary.LittleEndian.Uint32(b[4:]))
		case "data":
			if rate == 0 {
				return nil, 0, errors.New("data before fmt")
			}
			pcm := make([]int16, size/2)
			_ = binary.Read(bytes.NewReader(b[:size/2*2]), binary.LittleEndian, pcm)
			return pcm, rate, nil
		}
		b = b[min(size+size%2, len(b)):]
	}
	return nil, 0, errors.New("no data chunk")
}

// Collect reads s's results until it closes them, in the background; the
// returned function waits for that and returns them.
func Collect(s transcribe.Stream) func() []transcribe.Result {
	got := make(chan []transcribe.Result, 1)
	go func() {
		var rs []transcribe.Result
		for r := range s.Results() {
			rs = append(rs, r)
		}
		got <- rs
	}()
	return func() []transcribe.Result { return <-got }
}

// Finals are the final results of rs.
func Finals(rs []transcribe.Result) []transcribe.Result {
	var out []transcribe.Result
	for _, r := range rs {
		if r.Final {
			out = append(out, r)
		}
	}
	return out
}

// Feed writes pcm to s in 20 ms writes, as a meeting's audio comes.
func Feed(t testing.TB, s transcribe.Stream, pcm []int16) {
	t.Helper()
	for len(pcm) > 0 {
		n := min(len(pcm), transcribe.SampleRate/50)
		if err := s.Write(context.Background(), pcm[:n]); err != nil {
			t.Fatal(err)
		}
		pcm = pcm[n:]
	}
}
