package remote

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/pocketsphinx"
	"github.com/conclave-meet/conclave/internal/transcribe/transcribetest"
)

const token = "worker-token-0123456789"

// hijacked are each worker's WebSocket connections, for killing them.
var (
	hijackedMu sync.Mutex
	hijacked   = map[*httptest.Server][]net.Conn{}
)

// kill breaks every WebSocket connection to ts, as a worker that dies.
func kill(ts *httptest.Server) {
	hijackedMu.Lock()
	defer hijackedMu.Unlock()
	for _, c := range hijacked[ts] {
		_ = c.Close()
	}
}

// worker is a real worker on a TLS listener (httptest's generated
// certificate), and the CA file that trusts it.
func worker(t *testing.T, eng transcribe.Engine, maxStreams int) (*httptest.Server, string) {
	t.Helper()
	srv, err := NewServer(ServerConfig{Engine: eng, Token: token, MaxStreams: maxStreams})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes
	ts.Config.ConnState = func(c net.Conn, st http.ConnState) {
		if st == http.StateHijacked { // a WebSocket: httptest no longer tracks it
			hijackedMu.Lock()
			hijacked[ts] = append(hijacked[ts], c)
			hijackedMu.Unlock()
		}
	}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	ca := filepath.Join(t.TempDir(), "worker-ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	return ts, ca
}

func client(t *testing.T, ts *httptest.Server, ca, tok string) *Engine {
	t.Helper()
	e, err := New(Config{URL: ts.URL, CAFile: ca, Token: tok}) // https:// is read as wss://
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func open(t *testing.T, e *Engine, lang string) transcribe.Stream {
	t.Helper()
	s, err := e.Open(context.Background(), transcribe.StreamOptions{Speaker: "p_ana", Language: lang})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var sentences = []string{
	"the quick brown fox jumped over the lazy dog",
	"please open the door and close the window",
}

// TestTranscribesThroughAWorker: Flite's speech goes over TLS to a
// worker running the real PocketSphinx, and comes back as text,
// attributed on this side, in order.
func TestTranscribesThroughAWorker(t *testing.T) {
	t.Parallel()
	transcribetest.NeedTool(t, pocketsphinx.DefaultProgram)
	eng, err := pocketsphinx.New(pocketsphinx.Config{})
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	var pcm []int16
	for _, s := range sentences {
		pcm = append(pcm, make([]int16, transcribe.SampleRate)...)
		pcm = append(pcm, transcribetest.Speak(t, s)...)
	}
	pcm = append(pcm, make([]int16, transcribe.SampleRate)...)
	ts, ca := worker(t, eng, 2)
	s := open(t, client(t, ts, ca, token), "en")
	results := transcribetest.Collect(s)
	transcribetest.Feed(t, s, pcm)
	if err := s.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs := results()
	var heard []string
	for i, r := range rs {
		heard = append(heard, r.Text)
		if r.Speaker != "p_ana" || !r.Final || r.Utterance != i || r.End < r.Start || (i > 0 && r.Start < rs[i-1].End) {
			t.Errorf("result %d: %+v", i, r)
		}
	}
	wer := transcribe.WordErrorRate(strings.Join(sentences, " "), strings.Join(heard, " "))
	t.Logf("heard %q: WER %.3f", heard, wer)
	if wer > 0.10 || s.Err() != nil {
		t.Fatalf("WER %.3f, Err %v", wer, s.Err())
	}
}

// TestProtocol: every sample reaches the engine, results come back with
// their times and words, the speaker's label stays here and the language
// goes there.
func TestProtocol(t *testing.T) {
	t.Parallel()
	eng := &fakeEngine{}
	ts, ca := worker(t, eng, 2)
	s := open(t, client(t, ts, ca, token), "en-GB")
	results := transcribetest.Collect(s)
	transcribetest.Feed(t, s, make([]int16, 3*transcribe.SampleRate))
	if err := s.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	rs := results()
	if len(rs) != 4 || rs[3].Text != "total 48000" || rs[1].Text != "second 2" || rs[1].Start != time.Second ||
		rs[1].End != 2*time.Second || rs[1].Words[0].Confidence != 0.5 || rs[1].Speaker != "p_ana" {
		t.Fatalf("%+v", rs)
	}
	if eng.opened[0].Speaker != "" || eng.opened[0].Language != "en-GB" {
		t.Fatalf("the worker was told %+v", eng.opened[0])
	}
	if err := s.Write(context.Background(), make([]int16, 1)); !errors.Is(err, transcribe.ErrClosed) {
		t.Fatalf("Write after Finish: %v", err)
	}
}

// TestWrongTokenRefused: a wrong token, or none, is refused before any
// audio is taken.
func TestWrongTokenRefused(t *testing.T) {
	t.Parallel()
	eng := &fakeEngine{}
	ts, ca := worker(t, eng, 2)
	for _, tok := range []string{"wrong", token + "x", token[:len(token)-1]} {
		_, err := client(t, ts, ca, tok).Open(context.Background(), transcribe.StreamOptions{})
		if err == nil || !strings.Contains(err.Error(), "refused the token") {
			t.Fatalf("%q: %v", tok, err)
		}
	}
	resp, err := ts.Client().Get(ts.URL + Path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("no token: %s", resp.Status)
	}
	if n, _, _ := eng.counts(); n != 0 {
		t.Fatalf("%d streams opened", n)
	}
	if _, err := New(Config{URL: ts.URL, CAFile: ca}); err == nil {
		t.Fatal("a client without a token")
	}
	if _, err := NewServer(ServerConfig{Engine: eng}); err == nil {
		t.Fatal("a worker without a token")
	}
}

// TestPlainRefused: no audio in clear over a network: ws:// and http://
// only to the loopback; and TLS needs the worker's certificate trusted.
func TestPlainRefused(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{"ws://gpu1.example.org:9000", "http://gpu1.example.org:9000", "ws://10.1.2.3:9000", "ftp://gpu1"} {
		if _, err := New(Config{URL: raw, Token: token}); err == nil {
			t.Errorf("%s accepted", raw)
		}
	}
	if _, err := New(Config{URL: "ws://127.0.0.1:9000", Token: token}); err != nil {
		t.Errorf("loopback: %v", err)
	}
	ts, _ := worker(t, &fakeEngine{}, 2)
	_, err := client(t, ts, "", token).Open(context.Background(), transcribe.StreamOptions{})
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("untrusted certificate: %v", err)
	}
}

// TestMaxStreams: a worker runs at most its number of streams; a stream
// that ends frees its place.
func TestMaxStreams(t *testing.T) {
	t.Parallel()
	ts, ca := worker(t, &fakeEngine{}, 1)
	e := client(t, ts, ca, token)
	s := open(t, e, "")
	if _, err := e.Open(context.Background(), transcribe.StreamOptions{}); err == nil || !strings.Contains(err.Error(), "busy") {
		t.Fatalf("second stream: %v", err)
	}
	s.Close()
	eventually.True(t, "the place freed", func() bool {
		s2, err := e.Open(context.Background(), transcribe.StreamOptions{})
		if err == nil {
			s2.Close()
		}
		return err == nil
	})
}

// TestBackPressure: a slow engine holds the client's Write once a window
// of audio is unacknowledged, until Write's context ends, without
// breaking the stream; then everything arrives.
func TestBackPressure(t *testing.T) {
	t.Parallel()
	eng := &fakeEngine{gate: make(chan struct{})}
	ts, ca := worker(t, eng, 2)
	s := open(t, client(t, ts, ca, token), "")
	results := transcribetest.Collect(s)
	chunk := make([]int16, 320)
	written := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		err := s.Write(ctx, chunk)
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if written += len(chunk); written > 10*Window {
			t.Fatal("Write never blocked for a stuck engine")
		}
	}
	if written > Window {
		t.Fatalf("%d samples taken ahead of the engine, window %d", written, Window)
	}
	close(eng.gate)
	transcribetest.Feed(t, s, chunk)
	if err := s.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	results()
	if _, samples, _ := eng.counts(); samples != written+len(chunk) {
		t.Fatalf("engine got %d samples of %d", samples, written+len(chunk))
	}
}

// TestEngineFailureReachesTheClient: the worker's engine fails; the
// client's Err and Write say why.
func TestEngineFailureReachesTheClient(t *testing.T) {
	t.Parallel()
	ts, ca := worker(t, &fakeEngine{failAfter: 8000}, 2)
	s := open(t, client(t, ts, ca, token), "")
	results := transcribetest.Collect(s)
	var werr error
	for i := 0; i < 1000 && werr == nil; i++ {
		werr = s.Write(context.Background(), make([]int16, 320))
	}
	results()
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "the model is broken") {
		t.Fatalf("Err: %v", err)
	}
	if werr == nil || !strings.Contains(werr.Error(), "the model is broken") {
		t.Fatalf("Write: %v", werr)
	}
}

// TestWorkerDiesMidStream: the connection to the worker breaks; Results
// closes and Err says so.
func TestWorkerDiesMidStream(t *testing.T) {
	t.Parallel()
	eng := &fakeEngine{}
	ts, ca := worker(t, eng, 2)
	s := open(t, client(t, ts, ca, token), "")
	results := transcribetest.Collect(s)
	transcribetest.Feed(t, s, make([]int16, transcribe.SampleRate))
	eventually.True(t, "the engine to have the audio", func() bool { _, n, _ := eng.counts(); return n == transcribe.SampleRate })
	kill(ts)
	results()
	if err := s.Err(); err == nil || !strings.Contains(err.Error(), "lost the connection to worker") {
		t.Fatalf("Err: %v", err)
	}
	if err := s.Write(context.Background(), make([]int16, 320)); err == nil {
		t.Fatal("Write to a dead worker")
	}
}

// TestCloseAndFinishContext: Close ends a stream whose engine is stuck;
// Finish gives up when its context ends.
func TestCloseAndFinishContext(t *testing.T) {
	t.Parallel()
	eng := &fakeEngine{gate: make(chan struct{})}
	ts, ca := worker(t, eng, 2)
	e := client(t, ts, ca, token)
	a := open(t, e, "")
	_ = a.Write(context.Background(), make([]int16, 320)) // stuck in the engine
	if err := a.Close(); err != nil || a.Err() != nil {
		t.Fatalf("Close: %v, Err %v", err, a.Err())
	}
	for range a.Results() {
	}
	b := open(t, e, "")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := b.Finish(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Finish: %v", err)
	}
	close(eng.gate)
}
