package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/remote"
	"github.com/conclave-meet/conclave/internal/transcribe/transcribetest"
	"github.com/conclave-meet/conclave/internal/transcribe/whisper"
)

// TestSpeechEngineFromConfig: each transcription_engine builds its own
// adapter, with the address, CA file and token the configuration names;
// a token or CA file that cannot be read stops the server, naming the
// option.
func TestSpeechEngineFromConfig(t *testing.T) {
	logger := slog.New(slog.DiscardHandler)
	tok := tokenFile(t, workerToken)
	badCA := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(badCA, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}

	cfg := config.Default()
	cfg.TranscriptionEngine, cfg.WhisperURL, cfg.WhisperTokenFile = config.EngineWhisper, "https://gpu.example.org:8443", tok
	if eng, err := newSpeechEngine(cfg, logger); err != nil {
		t.Fatalf("whisper: %v", err)
	} else if w, ok := eng.(*whisper.Engine); !ok || w.Host() != "gpu.example.org:8443" {
		t.Fatalf("whisper: %T %+v", eng, eng)
	}
	cfg.TranscriptionEngine, cfg.WhisperURL, cfg.WhisperTokenFile = config.EngineRemote, "", ""
	cfg.TranscriptionWorkerURL, cfg.TranscriptionWorkerTokenFile = "wss://stt.example.org:8765", tok
	if eng, err := newSpeechEngine(cfg, logger); err != nil {
		t.Fatalf("remote: %v", err)
	} else if r, ok := eng.(*remote.Engine); !ok || r.Host() != "stt.example.org:8765" {
		t.Fatalf("remote: %T %+v", eng, eng)
	}

	for name, tc := range map[string]struct {
		set  func(*config.Config)
		want string
	}{
		"whisper token missing": {func(c *config.Config) {
			c.TranscriptionEngine, c.WhisperURL, c.WhisperTokenFile = config.EngineWhisper, "http://127.0.0.1:8081", filepath.Join(t.TempDir(), "none")
		}, "whisper_token_file: token file: open"},
		"whisper CA not PEM": {func(c *config.Config) {
			c.TranscriptionEngine, c.WhisperURL, c.WhisperCAFile = config.EngineWhisper, "https://gpu.example.org", badCA
		}, "transcription_engine whisper: whisper: engine CA file " + badCA + ": no PEM certificate"},
		"worker token empty": {func(c *config.Config) {
			c.TranscriptionEngine, c.TranscriptionWorkerURL, c.TranscriptionWorkerTokenFile = config.EngineRemote, "wss://stt.example.org", tokenFile(t, "")
		}, "transcription_worker_token_file: token file"},
		"worker CA missing": {func(c *config.Config) {
			c.TranscriptionEngine, c.TranscriptionWorkerURL, c.TranscriptionWorkerTokenFile = config.EngineRemote, "wss://stt.example.org", tok
			c.TranscriptionWorkerCAFile = filepath.Join(t.TempDir(), "none.pem")
		}, "transcription_engine remote: remote: engine CA file"},
	} {
		cfg := config.Default()
		cfg.Transcription.Transcription = true
		tc.set(&cfg)
		_, err := liveTranscriptions(cfg, nil, logger)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), workerToken) {
			t.Errorf("%s: the error shows the token", name)
		}
	}
	if tr, err := liveTranscriptions(config.Default(), nil, logger); tr != nil || err != nil {
		t.Fatalf("transcription off: %v, %v", tr, err)
	}
}

// TestWhisperTokenReachesTheServer: the token in whisper_token_file is
// sent to whisper_url as a bearer token (for the TLS proxy in front of
// whisper-server), and the answer comes back as text.
func TestWhisperTokenReachesTheServer(t *testing.T) {
	var mu sync.Mutex
	var auth []string
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = append(auth, r.Header.Get("Authorization"))
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"text": " Close the window.",
			"segments": []map[string]any{{"text": " Close the window.", "start": 0.0, "end": 1.0}}})
	}))
	t.Cleanup(stub.Close)
	cfg := config.Default()
	cfg.TranscriptionEngine, cfg.WhisperURL, cfg.WhisperTokenFile = config.EngineWhisper, stub.URL, tokenFile(t, workerToken)
	eng, err := newSpeechEngine(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	got := transcribeTone(t, eng)
	if len(got) != 1 || got[0].Text != "Close the window." {
		t.Fatalf("results %+v", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(auth) != 1 || auth[0] != "Bearer "+workerToken {
		t.Fatalf("Authorization headers %q", auth)
	}
}

// workerToken is the tests' token: no output may show it.
const workerToken = "worker-token-2c6f0e1d9a"

// tokenFile writes tok to a file of its own and returns the path.
func tokenFile(t *testing.T, tok string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(p, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// transcribeTone sends one utterance (a second of a loud tone, which the
// whisper adapter's voice detector takes for speech, then a second of
// silence) through eng and returns the final results.
func transcribeTone(t *testing.T, eng transcribe.Engine) []transcribe.Result {
	t.Helper()
	pcm := make([]int16, 2*transcribe.SampleRate)
	for i := range transcribe.SampleRate {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*220*float64(i)/transcribe.SampleRate))
	}
	s, err := eng.Open(context.Background(), transcribe.StreamOptions{Speaker: "p_ada", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	results := transcribetest.Collect(s)
	if err := s.Write(context.Background(), pcm); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return transcribetest.Finals(results())
}
