package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/conclave-meet/conclave/internal/testlog"
	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/pocketsphinx"
	"github.com/conclave-meet/conclave/internal/transcribe/remote"
	"github.com/conclave-meet/conclave/internal/transcribe/transcribetest"
)

// TestTranscribeWorkerRefusals: a worker that would take audio in clear
// over a network, or from anyone, does not start; each mistake is named.
func TestTranscribeWorkerRefusals(t *testing.T) {
	tok := tokenFile(t, workerToken)
	empty := tokenFile(t, "  ")
	certFile, keyFile, _ := selfSigned(t)
	for _, tc := range []struct {
		args []string
		exit int
		want string
	}{
		{[]string{}, 2, "--token-file is required"},
		{[]string{"--token-file", tok, "--listen", "0.0.0.0:8765"}, 2, "not this machine's loopback: audio would cross the network in clear"},
		{[]string{"--token-file", tok, "--listen", ":8765"}, 2, "not this machine's loopback"},
		{[]string{"--token-file", tok, "--listen", "192.0.2.7:8765"}, 2, "give --tls-cert and --tls-key"},
		{[]string{"--token-file", tok, "--listen", "8765"}, 2, "--listen \"8765\""},
		{[]string{"--token-file", tok, "--tls-cert", certFile}, 2, "--tls-cert and --tls-key go together"},
		{[]string{"--token-file", tok, "--tls-key", keyFile}, 2, "--tls-cert and --tls-key go together"},
		{[]string{"--token-file", tok, "--engine", "cloud"}, 2, `--engine "cloud": must be pocketsphinx or whisper`},
		{[]string{"--token-file", tok, "--engine", "whisper"}, 2, "--engine whisper needs --whisper-url"},
		{[]string{"--token-file", tok, "--engine", "whisper", "--whisper-url", "http://gpu.example.org:8081"}, 2, "plain http to another host"},
		{[]string{"--token-file", tok, "--whisper-url", "http://127.0.0.1:8081"}, 2, "--whisper-url is for --engine whisper"},
		{[]string{"--token-file", tok, "--max-streams", "0"}, 2, "--max-streams must be at least 1"},
		{[]string{"--token-file", filepath.Join(t.TempDir(), "none")}, 1, "--token-file: token file: open"},
		{[]string{"--token-file", empty}, 1, "empty"},
		{[]string{"--token-file", tok, "--tls-cert", keyFile, "--tls-key", keyFile}, 1, "--tls-cert/--tls-key"},
	} {
		r := cli(t, nil, "", append([]string{"transcribe-worker"}, tc.args...)...)
		if r.code != tc.exit || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q: exit %d, want %d with %q:\n%s", tc.args, r.code, tc.exit, tc.want, r.stderr)
		}
		if strings.Contains(r.stdout, "listening") {
			t.Errorf("%q: the worker started", tc.args)
		}
	}
}

// startWorker runs `conclave transcribe-worker` in this process and
// returns the address it prints, its standard error, and stop, which ends
// it and checks it exited cleanly (the test's cleanup calls it too).
func startWorker(t *testing.T, args ...string) (string, *testlog.Buffer, func()) {
	t.Helper()
	var out, errb testlog.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"transcribe-worker"}, args...), e) }()
	stop := sync.OnceFunc(func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("the worker exited %d:\n%s", code, errb.String())
		}
		if strings.Contains(out.String()+errb.String(), workerToken) {
			t.Errorf("the worker printed its token:\n%s%s", out.String(), errb.String())
		}
	})
	t.Cleanup(stop)
	addr := waitFor(t, &out, regexp.MustCompile(`listening on (wss?://127\.0\.0\.1:\d+)`))
	return addr, &errb, stop
}

// TestTranscribeWorkerEndToEnd: the worker command, over TLS, with the
// real PocketSphinx; a Conclave server's client (remote.Engine) sends
// Flite's speech and gets the words back; a wrong token is refused
// before any audio is taken.
func TestTranscribeWorkerEndToEnd(t *testing.T) {
	transcribetest.NeedTool(t, pocketsphinx.DefaultProgram)
	if _, err := pocketsphinx.New(pocketsphinx.Config{}); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	sentence := "please open the door and close the window"
	pcm := append(make([]int16, transcribe.SampleRate/2), transcribetest.Speak(t, sentence)...)
	pcm = append(pcm, make([]int16, transcribe.SampleRate)...)

	certFile, keyFile, _ := selfSigned(t)
	addr, logs, _ := startWorker(t, "--listen", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile,
		"--token-file", tokenFile(t, workerToken), "--max-streams", "2")
	if !strings.HasPrefix(addr, "wss://") {
		t.Fatalf("a worker with a certificate listens on %s", addr)
	}

	wrong, err := remote.New(remote.Config{URL: addr, CAFile: certFile, Token: "not-the-token"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Open(context.Background(), transcribe.StreamOptions{}); err == nil || !strings.Contains(err.Error(), "refused the token") {
		t.Fatalf("a wrong token: %v", err)
	}
	if !strings.Contains(logs.String(), "refused a client with a wrong or missing token") {
		t.Errorf("the refusal is not logged:\n%s", logs)
	}

	eng, err := remote.New(remote.Config{URL: addr, CAFile: certFile, Token: workerToken})
	if err != nil {
		t.Fatal(err)
	}
	s, err := eng.Open(context.Background(), transcribe.StreamOptions{Speaker: "p_ada", Language: "en"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	results := transcribetest.Collect(s)
	for rest := pcm; len(rest) > 0; {
		n := min(len(rest), 320) // 20 ms, as the transcriber writes
		if err := s.Write(context.Background(), rest[:n]); err != nil {
			t.Fatal(err)
		}
		rest = rest[n:]
	}
	if err := s.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	var heard []string
	for _, r := range transcribetest.Finals(results()) {
		if r.Speaker != "p_ada" {
			t.Errorf("result attributed to %q", r.Speaker)
		}
		heard = append(heard, r.Text)
	}
	wer := transcribe.WordErrorRate(sentence, strings.Join(heard, " "))
	t.Logf("heard %q through the worker: WER %.2f", heard, wer)
	if wer > 0.10 {
		t.Fatalf("heard %q: WER %.2f", heard, wer)
	}
}

// TestTranscribeWorkerWhisper: --engine whisper passes each utterance to
// the whisper.cpp server named, over the loopback without TLS, and its
// text back to the client.
func TestTranscribeWorkerWhisper(t *testing.T) {
	var mu sync.Mutex
	requests := 0
	stub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/inference" || r.ParseMultipartForm(1<<20) != nil || r.MultipartForm.File["file"] == nil {
			http.Error(w, "not an inference request", http.StatusBadRequest)
			return
		}
		mu.Lock()
		requests++
		mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"text": " Open the door.",
			"segments": []map[string]any{{"text": " Open the door.", "start": 0.0, "end": 1.0}}})
	}))
	t.Cleanup(stub.Close)
	addr, _, stop := startWorker(t, "--listen", "127.0.0.1:0", "--token-file", tokenFile(t, workerToken),
		"--engine", "whisper", "--whisper-url", stub.URL)
	if !strings.HasPrefix(addr, "ws://") {
		t.Fatalf("a loopback worker without a certificate listens on %s", addr)
	}
	eng, err := remote.New(remote.Config{URL: addr, Token: workerToken})
	if err != nil {
		t.Fatal(err)
	}
	got := transcribeTone(t, eng)
	if len(got) != 1 || got[0].Text != "Open the door." || got[0].Speaker != "p_ada" {
		t.Fatalf("results %+v", got)
	}
	mu.Lock()
	if requests != 1 {
		t.Errorf("%d requests to whisper-server, want 1", requests)
	}
	mu.Unlock()

	// A stream still open when the worker stops is cut, with a reason,
	// and the worker waits for it: no engine stream outlives it.
	open, err := eng.Open(context.Background(), transcribe.StreamOptions{Speaker: "p_bob"})
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	left := transcribetest.Collect(open)
	stop()
	left()
	if open.Err() == nil {
		t.Fatal("a stream cut by the worker's stop ended without a reason")
	}
}
