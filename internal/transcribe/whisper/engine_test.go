package whisper

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/transcribetest"
)

// TestNewRefusesAudioInClear: plain http only to the loopback.
func TestNewRefusesAudioInClear(t *testing.T) {
	for _, raw := range []string{"http://gpu1.example.org:8178", "http://192.168.1.20:8178", "gpu1:8178", ""} {
		if _, err := New(Config{URL: raw}); err == nil {
			t.Errorf("%q accepted", raw)
		}
	}
	_, err := New(Config{URL: "http://gpu1.example.org:8178"})
	if err == nil || !strings.Contains(err.Error(), "in clear") {
		t.Fatalf("%v", err)
	}
	for raw, want := range map[string]string{
		"http://127.0.0.1:8178":              "http://127.0.0.1:8178/inference",
		"https://gpu1.example.org/whisper/":  "https://gpu1.example.org/whisper/inference",
		"https://gpu1.example.org/inference": "https://gpu1.example.org/inference",
	} {
		e, err := New(Config{URL: raw})
		if err != nil || e.inference != want {
			t.Errorf("%s: %v %v", raw, e, err)
		}
	}
	e, _ := New(Config{URL: "https://gpu1.example.org:8443"})
	if e.Name() != "whisper.cpp" || e.Host() != "gpu1.example.org:8443" {
		t.Fatalf("%q %q", e.Name(), e.Host())
	}
}

// TestTLS: a server whose certificate no system root signed is reached
// with its certificate as the CA file, and refused without.
func TestTLS(t *testing.T) {
	t.Parallel()
	f := &fakeServer{t: t, hear: always("secure")}
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.inference))
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
	f.srv.StartTLS()
	t.Cleanup(f.srv.Close)
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(caFile string) (string, error) {
		e, err := New(Config{URL: f.srv.URL, CAFile: caFile})
		if err != nil {
			t.Fatal(err)
		}
		s := open(t, e)
		results := transcribetest.Collect(s)
		_ = s.Write(context.Background(), append(tone(time.Second), silence(time.Second)...))
		_ = s.Finish(context.Background())
		rs := results()
		if len(rs) == 0 {
			return "", s.Err()
		}
		return rs[0].Text, s.Err()
	}
	if text, err := run(ca); err != nil || text != "secure" {
		t.Fatalf("with the CA file: %q %v", text, err)
	}
	if _, err := run(""); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("without the CA file: %v", err)
	}
	if _, err := New(Config{URL: f.srv.URL, CAFile: filepath.Join(t.TempDir(), "none.pem")}); err == nil {
		t.Fatal("a missing CA file was accepted")
	}
}

func TestOpenHonoursContext(t *testing.T) {
	e, _ := New(Config{URL: "http://127.0.0.1:1"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Open(ctx, transcribe.StreamOptions{}); err == nil {
		t.Fatal("Open with a cancelled context")
	}
}

// TestRealServer runs against a real whisper-server when
// CONCLAVE_WHISPER_URL names one (with CONCLAVE_WHISPER_CA_FILE for a
// private CA): whisper.cpp is not packaged by Debian and its models
// cannot be downloaded here, so the other tests use a fake that
// implements its documented /inference contract. Any English model
// recognises Flite's sentences; the bound is loose.
func TestRealServer(t *testing.T) {
	url := os.Getenv("CONCLAVE_WHISPER_URL")
	if url == "" {
		t.Skip("CONCLAVE_WHISPER_URL is not set: no real whisper-server to test against")
	}
	e, err := New(Config{URL: url, CAFile: os.Getenv("CONCLAVE_WHISPER_CA_FILE")})
	if err != nil {
		t.Fatal(err)
	}
	pcm, spans := script(t)
	s := open(t, e)
	results := transcribetest.Collect(s)
	transcribetest.Feed(t, s, pcm)
	if err := s.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs := results()
	var heard []string
	for _, r := range rs {
		heard = append(heard, r.Text)
	}
	wer := transcribe.WordErrorRate(strings.Join(sentences, " "), strings.Join(heard, " "))
	t.Logf("heard %q: WER %.3f in %d results", heard, wer, len(rs))
	if wer > 0.2 || len(rs) != len(spans) {
		t.Fatalf("WER %.3f over %d results", wer, len(rs))
	}
	for i, r := range rs {
		if r.Start < transcribe.Duration(spans[i][0])-time.Second || r.End > transcribe.Duration(spans[i][1])+time.Second {
			t.Errorf("result %d at %v–%v, the speech at %v–%v", i, r.Start, r.End,
				transcribe.Duration(spans[i][0]), transcribe.Duration(spans[i][1]))
		}
	}
}
