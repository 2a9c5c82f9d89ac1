// Package speechtest makes speech for tests that send it through the
// server as a browser would: Flite (Debian's flite, its "slt" voice, which
// PocketSphinx recognises well) speaks a sentence, ffmpeg's libopus encodes
// it with a browser's settings, and the test gets the Opus packets.
package speechtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/pion/webrtc/v4/pkg/media/oggreader"
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

// SpokenOpus is text spoken by Flite and encoded as a browser sends it
// (Opus, 32 kbit/s, VoIP, in-band FEC, 20 ms packets), with a second of
// silence after it: the packets. lossPercent is the packet loss the
// encoder expects (ffmpeg's -packet_loss; more FEC), 0 for none.
func SpokenOpus(t testing.TB, text string, lossPercent int) [][]byte {
	t.Helper()
	NeedTool(t, "flite")
	NeedTool(t, "ffmpeg")
	dir := t.TempDir()
	wav, ogg := filepath.Join(dir, "speech.wav"), filepath.Join(dir, "speech.ogg")
	if out, err := exec.Command("flite", "-voice", "slt", "-t", text, "-o", wav).CombinedOutput(); err != nil {
		t.Fatalf("flite: %v\n%s", err, out)
	}
	args := []string{"-v", "error", "-i", wav, "-af", "apad=pad_dur=1", "-ar", "48000",
		"-c:a", "libopus", "-b:a", "32k", "-application", "voip", "-fec", "1"}
	if lossPercent > 0 {
		args = append(args, "-packet_loss", strconv.Itoa(lossPercent))
	}
	args = append(args, "-page_duration", "20000", ogg)
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	pkts, err := ReadOggOpus(ogg)
	if err != nil {
		t.Fatal(err)
	}
	return pkts
}

// ReadOggOpus returns the Opus packets of an Ogg file with one packet a
// page (ffmpeg's -page_duration 20000), without the header pages.
func ReadOggOpus(path string) ([][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("speechtest: %w", err)
	}
	defer f.Close()
	rd, _, err := oggreader.NewWith(f)
	if err != nil {
		return nil, fmt.Errorf("speechtest: read %s: %w", path, err)
	}
	var pkts [][]byte
	for {
		p, _, err := rd.ParseNextPage()
		if errors.Is(err, io.EOF) {
			return pkts, nil
		}
		if err != nil {
			return nil, fmt.Errorf("speechtest: read %s: %w", path, err)
		}
		if len(p) > 0 && !bytes.HasPrefix(p, []byte("OpusTags")) {
			pkts = append(pkts, p)
		}
	}
}
