package whisper

import (
	"testing"
	"time"
)

func testSegmenter() *segmenter {
	return &segmenter{cfg: segmenterConfig{threshold: DefaultThreshold, pauseFrames: frames(DefaultPause),
		maxFrames: frames(DefaultMaxUtterance), minSpeech: frames(200 * time.Millisecond)}}
}

// TestSegmenterPreRoll: an utterance starts 200 ms before its first loud
// frame and ends after the pause, in any size of write.
func TestSegmenterPreRoll(t *testing.T) {
	for _, chunk := range []int{1, 7, 320, 16000} {
		s := testSegmenter()
		pcm := append(append(silence(time.Second), tone(time.Second)...), silence(time.Second)...)
		var us []utterance
		for len(pcm) > 0 {
			n := min(chunk, len(pcm))
			us = append(us, s.write(pcm[:n])...)
			pcm = pcm[n:]
		}
		if len(us) != 1 {
			t.Fatalf("chunk %d: %d utterances", chunk, len(us))
		}
		if u := us[0]; u.start != 12800 || len(u.pcm) != 3200+16000+9600 {
			t.Fatalf("chunk %d: at %d, %d samples", chunk, u.start, len(u.pcm))
		}
	}
}

// TestSegmenterFlush: Finish sends the utterance still open, partial
// frame included, and nothing when there is none.
func TestSegmenterFlush(t *testing.T) {
	s := testSegmenter()
	if _, ok := s.flush(); ok {
		t.Fatal("an utterance from nothing")
	}
	s.write(tone(time.Second + 5*time.Millisecond))
	if u, ok := s.open(); !ok || len(u.pcm) != 16000 {
		t.Fatalf("open: %d %v", len(u.pcm), ok)
	}
	u, ok := s.flush()
	if !ok || u.start != 0 || len(u.pcm) != 16080 {
		t.Fatalf("flush: %d samples at %d, %v", len(u.pcm), u.start, ok)
	}
}
