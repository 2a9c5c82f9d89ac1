package pocketsphinx

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/transcribe"
)

// parser reads what pocketsphinx_continuous -time yes prints: for each
// utterance (a stretch of speech between pauses) a line with the
// hypothesis, then one line per segment, "word start end posterior", with
// times in seconds from the start of the stream, from <s> to </s>:
//
//	please open the door
//	<s> 0.000 0.230 0.998501
//	please 0.240 0.460 0.808783
//	open(2) 0.470 0.700 0.856400
//	<sil> 0.710 0.760 0.999
//	…
//	</s> 1.900 2.100 1.000000
//
// Fillers (<s>, </s>, <sil>, [NOISE], ++NOISE++) and marks without a
// letter or digit are dropped, and "(2)",
// the index of an alternative pronunciation, is cut off. The words make
// the text; a hypothesis without segments (a build that does not time
// words) is used as it is, untimed.
type parser struct {
	speaker   string
	utterance int
	hyp       string
	words     []transcribe.Word
	pending   bool // a hypothesis or words not yet emitted
}

// maxLine bounds one line of the engine's output.
const maxLine = 64 << 10

// line takes one line of output and returns the final result it completes,
// if any.
func (p *parser) line(s string) (transcribe.Result, bool) {
	if w, ok := segment(s); ok {
		if w.Text == "</s>" {
			return p.flush()
		}
		p.pending = true
		if !filler(w.Text) && len(transcribe.Normalize(w.Text)) > 0 {
			p.words = append(p.words, w)
		}
		return transcribe.Result{}, false
	}
	r, ok := p.flush() // a new hypothesis ends the previous utterance
	p.hyp, p.pending = strings.TrimSpace(s), true
	return r, ok
}

// flush emits what is pending as a final result; an utterance with no
// words in it (silence, noise) yields nothing.
func (p *parser) flush() (transcribe.Result, bool) {
	hyp, words := p.hyp, p.words
	p.hyp, p.words, p.pending = "", nil, false
	r := transcribe.Result{Speaker: p.speaker, Final: true}
	switch {
	case len(words) > 0:
		r.Words = words
		r.Text = transcribe.JoinWords(words)
		r.Start, r.End = words[0].Start, words[len(words)-1].End
	case len(transcribe.Normalize(hyp)) > 0:
		r.Text = strings.Join(strings.Fields(hyp), " ")
	default:
		return transcribe.Result{}, false
	}
	r.Utterance = p.utterance
	p.utterance++
	return r, true
}

// segment parses "word start end posterior"; ok is false for any other
// line.
func segment(s string) (transcribe.Word, bool) {
	f := strings.Fields(s)
	if len(f) != 4 {
		return transcribe.Word{}, false
	}
	var v [3]float64
	for i := range v {
		x, err := strconv.ParseFloat(f[i+1], 64)
		if err != nil || math.IsNaN(x) || x < 0 || x > 1e7 {
			return transcribe.Word{}, false
		}
		v[i] = x
	}
	if v[1] < v[0] {
		return transcribe.Word{}, false
	}
	word := f[0]
	if i := strings.LastIndexByte(word, '('); i > 0 && strings.HasSuffix(word, ")") {
		if _, err := strconv.Atoi(word[i+1 : len(word)-1]); err == nil {
			word = word[:i]
		}
	}
	return transcribe.Word{
		Text:       word,
		Start:      seconds(v[0]),
		End:        seconds(v[1]),
		Confidence: min(v[2], 1),
	}, true
}

// filler reports whether a segment is not a word: sentence marks, silence
// and noise.
func filler(w string) bool {
	return strings.HasPrefix(w, "<") || strings.HasPrefix(w, "[") || strings.HasPrefix(w, "++")
}

func seconds(v float64) time.Duration {
	return time.Duration(math.Round(v*1000)) * time.Millisecond
}
