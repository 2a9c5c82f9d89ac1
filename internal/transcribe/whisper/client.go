package whisper

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/transcribe"
)

// The request and the answer follow whisper.cpp's examples/server/server.cpp
// (the /inference handler): a multipart/form-data POST whose "file" field
// is a WAV file and whose other fields ("response_format", "temperature",
// "language", …) are read with req.get_file_value. With response_format
// "verbose_json" it answers, "to match openai/whisper's Python format":
//
//	{"task": "transcribe", "language": "english", "duration": 3.2, "text": "…",
//	 "segments": [{"id": 0, "text": " Hello there.", "start": 0.0, "end": 1.5,
//	               "tokens": [50364, …], "temperature": 0.0, "avg_logprob": -0.2,
//	               "words": [{"word": " Hello", "start": 0.0, "end": 0.6, "t_dtw": -1, "probability": 0.97}, …]}]}
//
// start and end are seconds (its t0 and t1, which are hundredths of a
// second, times 0.01); "words" are its tokens, pieces of words, a new word
// starting with a space. A failure is reported as {"error": "…"}, with
// status 200 in the versions that set no status, so both are checked.

// response is the verbose_json answer.
type response struct {
	Error    string    `json:"error"`
	Text     string    `json:"text"`
	Segments []segment `json:"segments"`
}

type segment struct {
	Text  string   `json:"text"`
	Start *float64 `json:"start"` // seconds
	End   *float64 `json:"end"`
	// T0 and T1 are whisper.cpp's own unit, hundredths of a second, which
	// forks and older servers put in the answer instead.
	T0    *float64 `json:"t0"`
	T1    *float64 `json:"t1"`
	Words []token  `json:"words"`
}

type token struct {
	Word        string   `json:"word"`
	Start       *float64 `json:"start"`
	End         *float64 `json:"end"`
	Probability float64  `json:"probability"`
}

// maxAnswer bounds what is read of an answer: a 25 s utterance's text
// and tokens are a few kilobytes.
const maxAnswer = 1 << 20

// infer sends one utterance and returns the server's answer.
func (e *Engine) infer(ctx context.Context, pcm []int16, language string) (*response, error) {
	body, ctype, err := form(pcm, language)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.inference, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("whisper: %w", err)
	}
	req.Header.Set("Content-Type", ctype)
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("whisper: %s: %w", e.host, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("whisper: %s: reading the answer: %w", e.host, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("whisper: %s answered %s: %s", e.host, resp.Status, snippet(b))
	}
	var r response
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("whisper: %s: not a verbose_json answer: %w: %s", e.host, err, snippet(b))
	}
	if r.Error != "" {
		return nil, fmt.Errorf("whisper: %s: %s", e.host, r.Error)
	}
	return &r, nil
}

// form is the multipart body of an /inference request.
func form(pcm []int16, language string) ([]byte, string, error) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="utterance.wav"`)
	h.Set("Content-Type", "audio/wav")
	part, err := w.CreatePart(h)
	if err == nil {
		_, err = part.Write(wav(pcm))
	}
	fields := [][2]string{{"response_format", "verbose_json"}, {"temperature", "0.0"}, {"language", language}}
	for _, f := range fields {
		if err == nil && f[1] != "" { // no language: the server's default (its -l)
			err = w.WriteField(f[0], f[1])
		}
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return nil, "", fmt.Errorf("whisper: building the request: %w", err)
	}
	return buf.Bytes(), w.FormDataContentType(), nil
}

// snippet is the start of an error answer, for the error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// result turns an answer to the utterance that starts at offset into a
// result: times from the stream's start, words joined from tokens, and
// whisper's non-speech markers ("[BLANK_AUDIO]", "(music)") left out.
// timed is false when the answer had no times (no_timestamps).
func (r *response) result(offset time.Duration) (res transcribe.Result, timed bool) {
	var texts []string
	var words []transcribe.Word
	start, end := time.Duration(-1), time.Duration(0)
	for _, s := range r.Segments {
		text := strings.TrimSpace(s.Text)
		if text == "" || marker(text) {
			continue
		}
		texts = append(texts, text)
		if a, b, ok := s.times(); ok {
			if start < 0 {
				start = a
			}
			end = max(end, b)
		}
		words = appendWords(words, s.Words)
	}
	res = transcribe.Result{Text: strings.Join(strings.Fields(strings.Join(texts, " ")), " "), Words: words}
	if start >= 0 {
		res.Start, res.End = offset+start, offset+end
	}
	for i := range res.Words {
		res.Words[i].Start += offset
		res.Words[i].End += offset
	}
	return res, start >= 0
}

func (s segment) times() (time.Duration, time.Duration, bool) {
	switch {
	case s.Start != nil && s.End != nil:
		return seconds(*s.Start), seconds(*s.End), true
	case s.T0 != nil && s.T1 != nil:
		return seconds(*s.T0 / 100), seconds(*s.T1 / 100), true
	}
	return 0, 0, false
}

// appendWords joins whisper's tokens into words: a token that starts with
// a space starts a word, others continue it. A word's confidence is its
// least probable token's.
func appendWords(words []transcribe.Word, tokens []token) []transcribe.Word {
	cont := false // the last token of words belongs to this segment
	for _, t := range tokens {
		piece := t.Word
		if strings.TrimSpace(piece) == "" || marker(strings.TrimSpace(piece)) {
			cont = false
			continue
		}
		var a, b time.Duration
		if t.Start != nil && t.End != nil {
			a, b = seconds(*t.Start), seconds(*t.End)
		}
		if cont && (!strings.HasPrefix(piece, " ") || punctuation(piece)) {
			w := &words[len(words)-1]
			w.Text += strings.TrimSpace(piece)
			w.End = max(w.End, b)
			w.Confidence = min(w.Confidence, t.Probability)
			continue
		}
		words = append(words, transcribe.Word{Text: strings.TrimSpace(piece), Start: a, End: b, Confidence: t.Probability})
		cont = true
	}
	return words
}

// punctuation: a token of punctuation only, which belongs to the word
// before it ("dog" ".").
func punctuation(s string) bool {
	return strings.Trim(strings.TrimSpace(s), ".,!?;:…'\"") == ""
}

// marker reports whether s is one of whisper's non-speech annotations:
// bracketed ("[BLANK_AUDIO]", "[_BEG_]", "[ Silence ]") or in parentheses
// ("(music)"), or a special token ("<|endoftext|>").
func marker(s string) bool {
	return len(s) >= 2 && (s[0] == '[' && s[len(s)-1] == ']' || s[0] == '(' && s[len(s)-1] == ')' ||
		strings.HasPrefix(s, "<|") && strings.HasSuffix(s, "|>"))
}

func seconds(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
