// Package remote runs speech engines on a worker host the operator names:
// Server serves a local engine (PocketSphinx, or a whisper.cpp server
// next to it) to Conclave servers, and Engine is the transcribe.Engine
// that Conclave uses to reach it.
//
// The protocol is one WebSocket per speaker's stream, over TLS (plain
// only on the loopback), authenticated with a shared bearer token:
//
//	GET /v1/stream?language=en   Authorization: Bearer <token>
//	client → worker  binary: 16 kHz mono s16le samples
//	                 text:   {"type":"finish"}
//	worker → client  text:   {"type":"ack","samples":N}       N more samples are in the engine
//	                         {"type":"result","result":{…}}   a partial or final result
//	                         {"type":"error","error":"…"}     the engine failed; the stream ends
//	                         {"type":"done"}                  the engine finished after "finish"
//
// Back-pressure goes end to end: the worker reads the next message only
// when its engine has taken the last one, and the client keeps at most
// Window samples unacknowledged, so a slow engine blocks the client's
// Write (until its context ends) rather than filling buffers. The
// speaker's label never leaves the Conclave server.
package remote

import (
	"encoding/binary"
	"time"

	"github.com/conclave-meet/conclave/internal/transcribe"
)

// Path is the stream endpoint on a worker.
const Path = "/v1/stream"

// Window is how many samples a client may send ahead of the engine's
// acknowledgements: two seconds.
const Window = 2 * transcribe.SampleRate

// maxFrame bounds a binary message: a Window of samples.
const maxFrame = 2 * Window

// message is every text message, either way.
type message struct {
	Type    string      `json:"type"`
	Samples int         `json:"samples,omitempty"`
	Result  *wireResult `json:"result,omitempty"`
	Error   string      `json:"error,omitempty"`
}

// wireResult is a transcribe.Result without the speaker, which stays on
// the Conclave server. Times are in milliseconds.
type wireResult struct {
	Utterance int        `json:"utterance"`
	Final     bool       `json:"final"`
	StartMS   int64      `json:"start_ms"`
	EndMS     int64      `json:"end_ms"`
	Text      string     `json:"text"`
	Words     []wireWord `json:"words,omitempty"`
}

type wireWord struct {
	Text       string  `json:"text"`
	StartMS    int64   `json:"start_ms"`
	EndMS      int64   `json:"end_ms"`
	Confidence float64 `json:"confidence,omitempty"`
}

func toWire(r transcribe.Result) *wireResult {
	w := &wireResult{Utterance: r.Utterance, Final: r.Final, StartMS: r.Start.Milliseconds(), EndMS: r.End.Milliseconds(), Text: r.Text}
	for _, x := range r.Words {
		w.Words = append(w.Words, wireWord{Text: x.Text, StartMS: x.Start.Milliseconds(), EndMS: x.End.Milliseconds(), Confidence: x.Confidence})
	}
	return w
}

func (w *wireResult) result(speaker string) transcribe.Result {
	ms := func(v int64) time.Duration { return time.Duration(v) * time.Millisecond }
	r := transcribe.Result{Speaker: speaker, Utterance: w.Utterance, Final: w.Final, Start: ms(w.StartMS), End: ms(w.EndMS), Text: w.Text}
	for _, x := range w.Words {
		r.Words = append(r.Words, transcribe.Word{Text: x.Text, Start: ms(x.StartMS), End: ms(x.EndMS), Confidence: x.Confidence})
	}
	return r
}

func encodePCM(b []byte, pcm []int16) []byte {
	for _, v := range pcm {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

func decodePCM(pcm []int16, b []byte) []int16 {
	for i := 0; i+1 < len(b); i += 2 {
		pcm = append(pcm, int16(binary.LittleEndian.Uint16(b[i:])))
	}
	return pcm
}
