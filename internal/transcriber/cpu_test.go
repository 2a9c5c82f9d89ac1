package transcriber

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/audio"
	"github.com/conclave-meet/conclave/internal/transcribe/pocketsphinx"
	"github.com/conclave-meet/conclave/internal/transcribe/speechtest"
)

// cpuSentences are spoken in turn by Flite, then sent round again until
// the speaker has talked for cpuSpeech: continuous speech, the engine's
// worst case (in silence its voice detection skips the search).
var cpuSentences = []string{
	"please open the door and close the window",
	"the meeting starts at nine and ends at ten",
	"we will review the budget for next year",
	"send the report to the team before friday",
}

const cpuSpeech = 60 * time.Second

// BenchmarkSpeakerCPU measures what one transcribed speaker costs
// (docs/performance.md, "Transcription"): browser-like Opus decoded in Go,
// low-passed and decimated to 16 kHz, and fed to a PocketSphinx process,
// as the transcriber does. It reports CPU seconds per second of audio for
// the engine's process (its rusage, model loading included) and for this
// process (decoding, resampling, the pipe), the engine's peak RSS, and
// the word error rate of what it heard.
//
//	go test -run '^$' -bench SpeakerCPU -benchtime 3x ./internal/transcriber/
func BenchmarkSpeakerCPU(b *testing.B) {
	speechtest.NeedTool(b, pocketsphinx.DefaultProgram)
	ps, err := pocketsphinx.New(pocketsphinx.Config{})
	if err != nil {
		b.Fatal(err)
	}
	// One round speaks each sentence once; rounds repeat until the
	// speaker has talked for cpuSpeech.
	var round [][]byte
	for _, sentence := range cpuSentences {
		round = append(round, speechtest.SpokenOpus(b, sentence, 0)...)
	}
	var pkts [][]byte
	var said []string
	for time.Duration(len(pkts))*20*time.Millisecond < cpuSpeech {
		pkts = append(pkts, round...)
		said = append(said, cpuSentences...)
	}
	audioSec := float64(len(pkts)) * 0.020
	var engineCPU, goCPU, wer float64
	var rssKB int64
	b.ResetTimer()
	for range b.N {
		r := speakOnce(b, ps, pkts)
		engineCPU += r.engineCPU
		goCPU += r.goCPU
		rssKB = max(rssKB, r.rssKB)
		wer = transcribe.WordErrorRate(strings.Join(said, " "), r.heard)
	}
	n := float64(b.N)
	b.ReportMetric(engineCPU/n/audioSec, "engine-cpu-s/audio-s")
	b.ReportMetric(goCPU/n/audioSec, "go-cpu-s/audio-s")
	b.ReportMetric(float64(rssKB)/1024, "engine-peak-rss-MB")
	b.ReportMetric(audioSec, "audio-s")
	b.ReportMetric(wer, "WER")
}

type speakResult struct {
	engineCPU, goCPU float64 // seconds
	rssKB            int64
	heard            string
}

// speakOnce decodes pkts and feeds one engine stream, as fast as the
// engine takes them, and measures the CPU both processes spent.
func speakOnce(b *testing.B, eng transcribe.Engine, pkts [][]byte) speakResult {
	b.Helper()
	var selfBefore, kidsBefore syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &selfBefore)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kidsBefore)
	ctx := context.Background()
	st, err := eng.Open(ctx, transcribe.StreamOptions{Speaker: "p_ana"})
	if err != nil {
		b.Fatal(err)
	}
	heard := make(chan string, 1)
	go func() {
		var words []string
		for r := range st.Results() {
			if r.Final {
				words = append(words, r.Text)
			}
		}
		heard <- strings.Join(words, " ")
	}()
	dec, err := audio.NewDecoder()
	if err != nil {
		b.Fatal(err)
	}
	var pcm []int16
	for _, p := range pkts {
		if pcm, err = dec.Decode(pcm[:0], p); err != nil {
			b.Fatal(err)
		}
		if err := st.Write(ctx, pcm); err != nil {
			b.Fatal(err)
		}
	}
	if err := st.Finish(ctx); err != nil {
		b.Fatal(err)
	}
	text := <-heard
	_ = st.Close()
	var selfAfter, kidsAfter syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &selfAfter)
	_ = syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kidsAfter)
	return speakResult{engineCPU: cpuSeconds(kidsAfter) - cpuSeconds(kidsBefore), goCPU: cpuSeconds(selfAfter) - cpuSeconds(selfBefore),
		rssKB: kidsAfter.Maxrss, heard: text}
}

func cpuSeconds(r syscall.Rusage) float64 {
	return time.Duration(r.Utime.Nano() + r.Stime.Nano()).Seconds()
}
