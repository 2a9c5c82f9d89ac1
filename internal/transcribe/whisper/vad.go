package whisper

import "math"

// whisper.cpp transcribes whole files, not a stream: the adapter cuts each
// speaker's audio into utterances at pauses, with a simple energy voice
// activity detector, and sends each utterance as one request.

const (
	frameSamples = 320 // 20 ms at 16 kHz: the detector's unit
	// preRoll is kept before the first loud frame, so that soft onsets
	// ("f", "s") are not cut off.
	preRollFrames = 10 // 200 ms
)

// segmenterConfig tunes the detector.
type segmenterConfig struct {
	threshold   float64 // RMS of a speech frame, in sample units (16-bit)
	pauseFrames int     // this many quiet frames end an utterance
	maxFrames   int     // an utterance is cut here even without a pause
	minSpeech   int     // fewer loud frames than this is a click, not speech
}

// utterance is a stretch of audio to transcribe: its samples and where it
// starts in the stream.
type utterance struct {
	start int // sample offset from the stream's first sample
	pcm   []int16
}

// segmenter turns a stream of samples into utterances. Not safe for
// concurrent use: the stream's writer owns it.
type segmenter struct {
	cfg    segmenterConfig
	frame  []int16 // a partial frame, waiting for more samples
	pos    int     // samples consumed into whole frames so far
	pre    []int16 // the last preRollFrames quiet frames, outside an utterance
	cur    *utterance
	loud   int // loud frames in cur
	quiet  int // quiet frames at cur's end
	frames int // frames in cur
}

// write consumes pcm and returns the utterances it completed.
func (s *segmenter) write(pcm []int16) []utterance {
	var done []utterance
	for len(pcm) > 0 {
		n := min(frameSamples-len(s.frame), len(pcm))
		s.frame = append(s.frame, pcm[:n]...)
		pcm = pcm[n:]
		if len(s.frame) < frameSamples {
			break
		}
		if u, ok := s.push(s.frame); ok {
			done = append(done, u)
		}
		s.pos += frameSamples
		s.frame = s.frame[:0]
	}
	return done
}

// push adds one whole frame.
func (s *segmenter) push(f []int16) (utterance, bool) {
	loud := rms(f) >= s.cfg.threshold
	if s.cur == nil {
		if !loud {
			s.pre = append(s.pre, f...)
			if over := len(s.pre) - preRollFrames*frameSamples; over > 0 {
				s.pre = s.pre[over:]
			}
			return utterance{}, false
		}
		s.cur = &utterance{start: s.pos - len(s.pre), pcm: append([]int16(nil), s.pre...)}
		s.frames = len(s.pre) / frameSamples
		s.pre = s.pre[:0]
	}
	s.cur.pcm = append(s.cur.pcm, f...)
	s.frames++
	if loud {
		s.loud++
		s.quiet = 0
	} else {
		s.quiet++
	}
	if s.quiet >= s.cfg.pauseFrames || s.frames >= s.cfg.maxFrames {
		return s.end()
	}
	return utterance{}, false
}

// flush ends the open utterance, with the partial frame: the stream is
// finished.
func (s *segmenter) flush() (utterance, bool) {
	if s.cur == nil {
		return utterance{}, false
	}
	s.cur.pcm = append(s.cur.pcm, s.frame...)
	s.frame = s.frame[:0]
	return s.end()
}

// end closes cur; one with too little speech in it is dropped.
func (s *segmenter) end() (utterance, bool) {
	u, loud := *s.cur, s.loud
	s.cur, s.loud, s.quiet, s.frames = nil, 0, 0, 0
	return u, loud >= s.cfg.minSpeech
}

// open is the utterance in progress, if any: for partial results.
func (s *segmenter) open() (utterance, bool) {
	if s.cur == nil || s.loud < s.cfg.minSpeech {
		return utterance{}, false
	}
	return *s.cur, true
}

func rms(f []int16) float64 {
	var sum float64
	for _, v := range f {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(f)))
}
