package browser

import (
	"bytes"
	"compress/flate"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/eventually"
)

// TestE2EEServerSeesOnlyCiphertext: a Go participant in an end-to-end
// encrypted meeting, subscribed through the server like anyone else but
// holding no keys, receives Ada's camera as frames whose bytes after the
// clear VP8 prefix are ciphertext: they do not compress, and their byte
// counts pass a chi-square test for uniformity. Its own clear media, sent
// without encryption, is dropped by the browsers (none of it decodes), and
// the SFU still answers keyframe requests (Ada's keyframes arrive).
func TestE2EEServerSeesOnlyCiphertext(t *testing.T) {
	srv := startServerWith(t, "--no-waiting-room", "--join-before-host", "--e2ee")
	browser := newBrowser(t)
	ada := join(t, browser, srv, "Ada", devices{camera: true, mic: true})
	adaID := ada.id()

	frames := &frameSink{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(srv.base, "http") + "/ws"
	eve, err := client.Dial(ctx, ws, client.Hello{MeetingID: srv.meetingID, Passcode: srv.passcode, Name: "Eve", NoticeVersion: 1},
		client.Options{OnTrack: func(owner, source string, tr *webrtc.TrackRemote) {
			if owner == adaID && source == "camera" {
				frames.read(tr)
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer eve.Close()
	pumpCtx, stopPump := context.WithCancel(ctx)
	defer stopPump()
	go eve.Pump(pumpCtx, client.PumpOptions{}) // clear media into an encrypted meeting

	eventually.True(t, "Ada's encrypted frames at Eve, keyframes among them", func() bool {
		n, keys := frames.counts()
		return n >= 60 && keys >= 1
	})
	body := frames.ciphertext()
	if len(body) < 20000 {
		t.Fatalf("only %d bytes of frame bodies", len(body))
	}
	var z bytes.Buffer
	w, _ := flate.NewWriter(&z, flate.BestCompression)
	_, _ = w.Write(body)
	_ = w.Close()
	ratio, chi := float64(z.Len())/float64(len(body)), chiSquare(body)
	t.Logf("%d bytes of frame bodies: deflate ratio %.3f, chi-square %.0f", len(body), ratio, chi)
	if ratio < 0.98 {
		t.Fatalf("frame bodies compress to %.3f of their size: not ciphertext", ratio)
	}
	if chi > 400 { // 255 degrees of freedom: p < 1e-7 beyond 400
		t.Fatalf("frame bodies' byte counts are far from uniform (chi-square %.0f)", chi)
	}
	// Eve's clear frames reach Ada's page, which drops them: nothing of
	// Eve's camera is decoded there.
	ada.waitFor("Eve's clear frames refused", `(() => { const s = window.conclave.state().e2ee; return s.decryptFailures + s.waitingForKey > 0 })()`, 20*time.Second)
	if n := ada.videoFrames()[eve.ID()+"/camera"]; n > 0 {
		t.Fatalf("Ada's page decoded %d of Eve's clear frames", n)
	}
}

// frameSink keeps the VP8 frames of one track as the server forwarded
// them: their bodies after the clear prefix, and how many were keyframes.
type frameSink struct {
	mu     sync.Mutex
	bodies [][]byte
	keys   int
}

func (f *frameSink) read(tr *webrtc.TrackRemote) {
	var cur []byte
	var vp8 codecs.VP8Packet
	for {
		pkt, _, err := tr.ReadRTP()
		if err != nil {
			return
		}
		payload, err := vp8.Unmarshal(pkt.Payload)
		if err != nil {
			continue
		}
		if vp8.S == 1 && vp8.PID == 0 {
			cur = cur[:0]
		}
		cur = append(cur, payload...)
		if pkt.Marker {
			f.frame(pkt, cur)
		}
	}
}

// frame keeps a whole frame: a keyframe keeps 10 bytes in clear, a delta
// frame 3 (docs/e2ee.md); then comes the SFrame header (at most 17
// bytes), then ciphertext and tag.
func (f *frameSink) frame(_ *rtp.Packet, b []byte) {
	if len(b) < 3 {
		return
	}
	key := b[0]&1 == 0
	clear := 3
	if key {
		clear = 10
	}
	const header = 17
	if len(b) <= clear+header+16 {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bodies = append(f.bodies, append([]byte(nil), b[clear+header:len(b)-16]...))
	if key {
		f.keys++
	}
}

func (f *frameSink) counts() (frames, keys int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.bodies), f.keys
}

func (f *frameSink) ciphertext() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return bytes.Join(f.bodies, nil)
}

// chiSquare is Pearson's statistic of b's byte counts against uniform.
func chiSquare(b []byte) float64 {
	var n [256]float64
	for _, c := range b {
		n[c]++
	}
	want := float64(len(b)) / 256
	chi := 0.0
	for _, o := range n {
		chi += (o - want) * (o - want) / want
	}
	return chi
}
