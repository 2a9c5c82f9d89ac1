package transcriber

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtp"

	"github.com/conclave-meet/conclave/internal/consentgate"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/audio"
)

// openTimeout bounds starting an engine stream.
const openTimeout = 10 * time.Second

// item is one packet on its way from WriteRTP to the sink's goroutine.
type item struct {
	payload []byte
	ts      uint32
	epoch   uint64    // the owner's consent epoch when it was taken
	at      time.Time // arrival
}

// sink transcribes one microphone track. WriteRTP, on the publisher's
// reader goroutine, only gates and queues a copy of the payload; its own
// goroutine decodes and feeds the engine; one more goroutine per engine
// stream hands its results on as captions.
type sink struct {
	sess    *Session
	owner   string
	consent *consentgate.Gate

	queue    chan item
	wake     chan struct{} // consent changed
	done     chan struct{} // closed when the sink ends
	doneOnce sync.Once
	closed   atomic.Bool
	lost     atomic.Int64 // packets dropped since the goroutine last looked

	// The goroutine's alone:
	st         *engineStream
	failed     bool // the engine failed in failedAt's epoch: not retried before consent changes
	failedAt   uint64
	utterances int // the next caption utterance number
}

// engineStream is one engine stream: one stretch of consent.
type engineStream struct {
	stream  transcribe.Stream
	epoch   uint64
	subject string
	offset  time.Duration // session time of its first sample
	base    int           // caption utterance number of its utterance 0
	dec     *audio.Decoder
	tl      audio.Timeline
	pcm     []int16
	written int // 16 kHz samples

	pumped chan struct{} // closed when its results are all handed on
	next   int           // its utterances seen (pump's until pumped)
}

var _ sfu.Sink = (*sink)(nil)

// WriteRTP implements sfu.Sink. It never blocks, and the consent gate
// comes first: nothing of someone who did not consent is even copied.
func (k *sink) WriteRTP(_ sfu.Layer, pkt *rtp.Packet, _ bool) bool {
	epoch, ok := k.consent.Open()
	if !ok {
		k.sess.gated.Add(1)
		return false
	}
	if k.closed.Load() || len(pkt.Payload) == 0 {
		return false
	}
	it := item{payload: slices.Clone(pkt.Payload), ts: pkt.Timestamp, epoch: epoch, at: k.sess.o.Clock()}
	select {
	case k.queue <- it:
		return true
	default:
		k.sess.dropped.Add(1)
		k.lost.Add(1)
		return false
	}
}

// Close implements sfu.Sink: the track ended or the session stops.
func (k *sink) Close() {
	k.closed.Store(true)
	k.doneOnce.Do(func() { close(k.done) })
}

func (k *sink) poke() {
	select {
	case k.wake <- struct{}{}:
	default: // one pending covers this one
	}
}

func (k *sink) run() {
	defer k.sess.sinkEnded(k)
	for {
		select {
		case it := <-k.queue:
			k.handle(it)
		case <-k.wake:
			k.checkConsent()
		case <-k.done:
			for drained := false; !drained; {
				select {
				case it := <-k.queue:
					k.handle(it)
				default:
					drained = true
				}
			}
			k.finish()
			return
		}
	}
}

func (k *sink) consented(epoch uint64) bool {
	return k.consent.Still(epoch)
}

// checkConsent finishes the engine stream once its consent is gone.
func (k *sink) checkConsent() {
	if k.st != nil && !k.consented(k.st.epoch) {
		k.finish()
	}
}

func (k *sink) handle(it item) {
	if !k.consented(it.epoch) {
		k.checkConsent() // taken before a withdrawal: never written after it
		return
	}
	samples, err := audio.PacketSamples(it.payload)
	if err != nil {
		return // not Opus: ignored
	}
	if k.st != nil && k.st.epoch != it.epoch {
		k.finish() // consent was withdrawn and given again
	}
	if k.st == nil && !k.open(it) {
		return
	}
	v := k.st.tl.Place(it.ts, samples, maxGap)
	if !v.Take {
		return
	}
	if v.Jump { // a long pause without packets: start afresh at this one
		k.finish()
		if !k.open(it) {
			return
		}
		k.st.tl.Place(it.ts, samples, maxGap)
		v = audio.Verdict{Take: true}
	}
	st := k.st
	if v.Gap > 0 && k.lost.Swap(0) > 0 { // the gap is (at least partly) ours
		k.reportGap(st, v.Gap)
	}
	st.pcm = st.dec.Silence(st.pcm[:0], v.Gap)
	if st.pcm, err = st.dec.Decode(st.pcm, it.payload); err != nil {
		st.pcm = st.dec.Silence(st.pcm, samples) // a broken packet is a lost one
	}
	ctx, cancel := context.WithTimeout(k.sess.ctx, k.sess.o.WriteTimeout)
	err = st.stream.Write(ctx, st.pcm)
	cancel()
	if err != nil {
		k.sess.log.Warn("transcriber: the engine failed", "participant", k.owner, "err", err)
		k.fail(it.epoch)
		return
	}
	st.written += len(st.pcm)
}

// reportGap tells OnCaption that samples48 of the participant's audio
// were dropped just before what the stream gets next.
func (k *sink) reportGap(st *engineStream, samples48 int) {
	gap := time.Duration(samples48) * time.Second / audio.Rate
	at := st.offset + transcribe.Duration(st.written)
	k.sess.o.OnCaption(Caption{Participant: k.owner, Subject: st.subject, Utterance: -1, Final: true,
		Start: at, End: at + gap, Gap: gap})
}

// open starts an engine stream at it. A failure is not retried before
// consent changes.
func (k *sink) open(it item) bool {
	if k.failed && k.failedAt == it.epoch {
		return false
	}
	ctx, cancel := context.WithTimeout(k.sess.ctx, openTimeout)
	stream, err := k.sess.o.Engine.Open(ctx, transcribe.StreamOptions{Speaker: k.owner, Language: k.sess.o.Language})
	cancel()
	var dec *audio.Decoder
	if err == nil {
		if dec, err = audio.NewDecoder(); err != nil {
			stream.Close()
		}
	}
	if err != nil {
		k.sess.failures.Add(1)
		k.failed, k.failedAt = true, it.epoch
		k.sess.log.Error("transcriber: cannot start the speech engine", "participant", k.owner, "err", err)
		return false
	}
	k.st = &engineStream{stream: stream, epoch: it.epoch, subject: k.consent.Subject(),
		offset: k.sess.since(it.at), base: k.utterances, dec: dec, pumped: make(chan struct{})}
	k.sess.streams.Add(1)
	k.lost.Store(0) // drops before this stream are no gap in it
	go k.pump(k.st)
	return true
}

// pump hands one stream's results on as captions.
func (k *sink) pump(st *engineStream) {
	defer close(st.pumped)
	for r := range st.stream.Results() {
		st.next = max(st.next, r.Utterance+1)
		words := make([]transcribe.Word, len(r.Words))
		for i, w := range r.Words {
			w.Start, w.End = st.offset+w.Start, st.offset+w.End
			words[i] = w
		}
		k.sess.o.OnCaption(Caption{Participant: k.owner, Subject: st.subject, Utterance: st.base + r.Utterance,
			Final: r.Final, Start: st.offset + r.Start, End: st.offset + r.End, Text: r.Text, Words: words})
	}
}

// finish ends the engine stream: the engine delivers its last results,
// which are handed on before finish returns.
func (k *sink) finish() {
	st := k.st
	if st == nil {
		return
	}
	k.st = nil
	ctx, cancel := context.WithTimeout(k.sess.ctx, k.sess.o.FinishTimeout)
	defer cancel()
	if err := st.stream.Finish(ctx); err != nil {
		k.sess.failures.Add(1)
		k.sess.log.Warn("transcriber: the engine did not finish", "participant", k.owner, "err", err)
	}
	select {
	case <-st.pumped:
	case <-ctx.Done():
		st.stream.Close()
		<-st.pumped
	}
	k.utterances = st.base + st.next
}

// fail closes a stream whose engine failed.
func (k *sink) fail(epoch uint64) {
	k.sess.failures.Add(1)
	st := k.st
	k.st = nil
	st.stream.Close()
	<-st.pumped
	k.utterances = st.base + st.next
	k.failed, k.failedAt = true, epoch
}
