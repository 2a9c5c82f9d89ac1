package whisper

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/transcribetest"
)

// fakeServer implements whisper-server's POST /inference as
// examples/server/server.cpp does (see client.go): it parses the
// multipart form, refuses what the real one cannot read, and answers
// verbose_json shaped exactly like it. It cannot recognise speech: hear
// says what a request's audio was, and the answer's segment spans the
// audio's loud part.
type fakeServer struct {
	t    *testing.T
	srv  *httptest.Server
	hear func(pcm []int16) string // the text of a request's audio

	// hold, when set, is received from before answering (tests of a slow
	// server); a closed channel lets every request through.
	hold chan struct{}
	// status, when not 0, is the answer's status, with body.
	status int
	body   string

	mu       sync.Mutex
	requests []fakeRequest
	inFlight int
	maxIn    int
	aborted  int // requests whose client went away
}

type fakeRequest struct {
	pcm      []int16
	language string
	auth     string
}

func newFake(t *testing.T, hear func([]int16) string) *fakeServer {
	f := &fakeServer{t: t, hear: hear}
	f.srv = httptest.NewServer(http.HandlerFunc(f.inference))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeServer) inference(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/inference" {
		http.NotFound(w, r)
		return
	}
	req, problem := f.parse(r)
	if problem != "" {
		f.t.Errorf("fake whisper-server: %s", problem)
		writeJSON(w, map[string]string{"error": problem}) // as the real one: status 200
		return
	}
	f.enter(req)
	defer f.leave()
	if f.hold != nil {
		select {
		case <-f.hold:
		case <-r.Context().Done():
			f.mu.Lock()
			f.aborted++
			f.mu.Unlock()
			return
		}
	}
	if f.status != 0 {
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.body)
		return
	}
	writeJSON(w, f.answer(req.pcm))
}

// parse checks the request as whisper-server reads it: a "file" field
// holding a 16 kHz mono 16-bit WAV, verbose_json asked for.
func (f *fakeServer) parse(r *http.Request) (fakeRequest, string) {
	if err := r.ParseMultipartForm(10 << 20); err != nil {
		return fakeRequest{}, "not a multipart form: " + err.Error()
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		return fakeRequest{}, "no 'file' field in the request"
	}
	b, _ := io.ReadAll(file)
	pcm, rate, err := transcribetest.ReadWAV(b)
	switch {
	case err != nil:
		return fakeRequest{}, "failed to read WAV file: " + err.Error()
	case rate != transcribe.SampleRate:
		return fakeRequest{}, fmt.Sprintf("WAV file must be 16 kHz, not %d", rate)
	case r.FormValue("response_format") != "verbose_json":
		return fakeRequest{}, "response_format " + r.FormValue("response_format")
	}
	if _, err := strconv.ParseFloat(r.FormValue("temperature"), 32); err != nil {
		return fakeRequest{}, "temperature: " + err.Error()
	}
	return fakeRequest{pcm: pcm, language: r.FormValue("language"), auth: r.Header.Get("Authorization")}, ""
}

func (f *fakeServer) enter(req fakeRequest) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, req)
	f.inFlight++
	f.maxIn = max(f.maxIn, f.inFlight)
}

func (f *fakeServer) leave() {
	f.mu.Lock()
	f.inFlight--
	f.mu.Unlock()
}

func (f *fakeServer) got() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.requests...)
}

// answer is server.cpp's verbose_json for pcm: one segment over its loud
// part (hundredths of a second, as whisper's t0 and t1, times 0.01), with
// the words as tokens, long words split in two as whisper's tokens are.
func (f *fakeServer) answer(pcm []int16) map[string]any {
	text := f.hear(pcm)
	from, to := loudSpan(pcm)
	t0, t1 := float64(from/160)*0.01, float64(to/160)*0.01
	var words []map[string]any
	var tokens []int
	ws := splitWords(text)
	for i, w := range ws {
		a := t0 + (t1-t0)*float64(i)/float64(len(ws))
		b := t0 + (t1-t0)*float64(i+1)/float64(len(ws))
		pieces := []string{" " + w}
		if len(w) > 3 {
			pieces = []string{" " + w[:2], w[2:]}
		}
		for _, p := range pieces {
			words = append(words, map[string]any{"word": p, "start": a, "end": b, "t_dtw": -1, "probability": 0.9})
			tokens = append(tokens, 1000+len(tokens))
		}
	}
	seg := map[string]any{"id": 0, "text": " " + text, "start": t0, "end": t1, "tokens": tokens,
		"words": words, "temperature": 0.0, "avg_logprob": -0.25}
	return map[string]any{"task": "transcribe", "language": "english",
		"duration": float64(len(pcm)) / transcribe.SampleRate, "text": " " + text, "segments": []any{seg}}
}

// loudSpan is where pcm's samples above the detector's threshold begin
// and end.
func loudSpan(pcm []int16) (int, int) {
	from, to := -1, 0
	for i, v := range pcm {
		if v > DefaultThreshold || v < -DefaultThreshold {
			if from < 0 {
				from = i
			}
			to = i + 1
		}
	}
	return max(from, 0), to
}

func splitWords(s string) []string {
	var out []string
	word := ""
	for _, r := range s + " " {
		if r == ' ' {
			if word != "" {
				out = append(out, word)
			}
			word = ""
			continue
		}
		word += string(r)
	}
	return out
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
