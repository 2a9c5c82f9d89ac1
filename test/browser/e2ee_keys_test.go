package browser

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/e2eetest"
	"github.com/conclave-meet/conclave/internal/eventually"
)

// keyHolder is a Go participant in an end-to-end encrypted meeting that
// takes part in the key exchange like a browser (internal/e2eetest): it
// publishes its public key and opens the sender keys wrapped for it. It
// keeps one participant's camera and microphone frames as the server
// forwarded them.
type keyHolder struct {
	*client.Client
	e2ee  *e2eetest.Participant
	owner string

	mu         sync.Mutex
	video      []e2eetest.Frame
	audio      []e2eetest.Frame
	cameraSSRC uint32
}

func dialKeyHolder(t *testing.T, srv *server, name, owner string) *keyHolder {
	t.Helper()
	p, err := e2eetest.NewParticipant()
	if err != nil {
		t.Fatal(err)
	}
	k := &keyHolder{e2ee: p, owner: owner}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(srv.base, "http") + "/ws"
	c, err := client.Dial(ctx, ws, client.Hello{MeetingID: srv.meetingID, Passcode: srv.passcode, Name: name, NoticeVersion: 1},
		client.Options{OnMessage: p.OnMessage, OnTrack: k.onTrack})
	if err != nil {
		t.Fatal(err)
	}
	k.Client = c
	t.Cleanup(c.Close)
	if err := p.Start(ctx, c); err != nil {
		t.Fatal(err)
	}
	return k
}

func (k *keyHolder) onTrack(owner, source string, tr *webrtc.TrackRemote) {
	if owner != k.owner || (source != "camera" && source != "audio") {
		return
	}
	if source == "camera" {
		k.mu.Lock()
		k.cameraSSRC = uint32(tr.SSRC())
		k.mu.Unlock()
	}
	e2eetest.ReadFrames(tr, func(f e2eetest.Frame) {
		k.mu.Lock()
		defer k.mu.Unlock()
		if f.Video {
			k.video = append(k.video, f)
		} else {
			k.audio = append(k.audio, f)
		}
	})
}

// ssrc is the SSRC of the camera track received.
func (k *keyHolder) ssrc() uint32 {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.cameraSSRC
}

// marks are positions in the frame lists: frames after them came later.
type marks struct{ video, audio int }

func (k *keyHolder) mark() marks {
	k.mu.Lock()
	defer k.mu.Unlock()
	return marks{len(k.video), len(k.audio)}
}

// since returns the frames that arrived after m.
func (k *keyHolder) since(m marks) []e2eetest.Frame {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append(append([]e2eetest.Frame(nil), k.video[m.video:]...), k.audio[m.audio:]...)
}

// tally opens frames with keys and counts them.
type tally struct {
	opened, unknownKID, auth, malformed int
	videoOpened, audioOpened            int
}

func openAll(keys *e2eetest.Keyring, owner string, frames []e2eetest.Frame) tally {
	var n tally
	for _, f := range frames {
		_, _, err := keys.Open(owner, f.Video, f.Data)
		switch {
		case err == nil:
			n.opened++
			if f.Video {
				n.videoOpened++
			} else {
				n.audioOpened++
			}
		case errors.Is(err, e2eetest.ErrUnknownKID):
			n.unknownKID++
		case errors.Is(err, e2eetest.ErrAuth):
			n.auth++
		default:
			n.malformed++
		}
	}
	return n
}

// sentHeights is, as JSON, the frame height Ada's browser sends on each
// simulcast layer of its camera, by rid.
const sentHeights = `(async () => {
	const out = {};
	(await window.conclave.pcs().publish.getStats()).forEach(r => {
		if (r.type === "outbound-rtp" && r.kind === "video" && r.rid && r.frameHeight) out[r.rid] = r.frameHeight;
	});
	return JSON.stringify(out);
})()`

// capTopLayer caps the bit rate of Ada's camera layers (rid h at 800
// kbit/s, l at 150 kbit/s).
const capTopLayer = `(async () => {
	const s = window.conclave.pcs().publish.getSenders().find(s => s.track && s.track.kind === "video" && s.getParameters().encodings.length > 1);
	if (!s) return false;
	const p = s.getParameters();
	for (const e of p.encodings) e.maxBitrate = e.rid === "h" ? 800000 : 150000;
	await s.setParameters(p);
	return true;
})()`

// generationOf is the sender-key generation a frame was encrypted with.
func generationOf(f e2eetest.Frame) (uint32, bool) {
	kid, ok := e2eetest.FrameKID(f.Video, f.Data)
	g, _ := e2eetest.SplitKID(kid)
	return g, ok
}

// TestE2EEKeysProve: Go participants that take part in the key exchange
// as browsers do (internal/e2eetest) show what the keys do.
//
//   - The sender key Ada's browser wrapped for Eve opens Ada's camera and
//     microphone frames as the server forwarded them (RFC 9605, decoded in
//     Go: the browser and Go agree on SFrame and on the key wrapping).
//   - A wrong key opens nothing: random base keys under the right KID,
//     Ada's key with one bit changed, and Ada's key used for Bob.
//   - Once Eve has left and Ada's browser has re-keyed, the keys Eve held
//     open none of Ada's frames that follow, while Finn, still there,
//     opens them; Eve's keys did open the frames from before she left.
//   - In the encrypted meeting the SFU still switches simulcast layers
//     (Finn asks for a small tile, then a large one, and gets keyframes of
//     the lower, then the full height, read from the clear VP8 header) and
//     answers keyframe requests: each PLI Finn sends brings a keyframe that
//     opens with his key.
func TestE2EEKeysProve(t *testing.T) {
	srv := startServerWith(t, "--no-waiting-room", "--join-before-host", "--e2ee")
	browser := newBrowser(t)
	ada := join(t, browser, srv, "Ada", devices{camera: true, mic: true})
	adaID := ada.id()
	eve := dialKeyHolder(t, srv, "Eve", adaID)
	finn := dialKeyHolder(t, srv, "Finn", adaID)

	var eveKeys []e2eetest.SenderKey
	var before []e2eetest.Frame // Ada's frames that Eve's key opened, kept for the wrong-key checks
	t.Run("the key wrapped for a participant opens the frames", func(t *testing.T) {
		eventually.True(t, "Eve opening Ada's camera and microphone", func() bool {
			n := openAll(eve.e2ee.Keys, adaID, eve.since(marks{}))
			return n.videoOpened >= 60 && n.audioOpened >= 60
		})
		frames := eve.since(marks{})
		n := openAll(eve.e2ee.Keys, adaID, frames)
		t.Logf("Eve: %d of Ada's frames: %+v", len(frames), n)
		// Frames sent before Eve's key was drawn are unknown to her (she
		// must not read what came before she joined); none fails to
		// authenticate under a key she holds.
		if n.auth != 0 || n.malformed != 0 || eve.e2ee.UnwrapFailures() != 0 {
			for _, f := range frames {
				if _, _, err := eve.e2ee.Keys.Open(adaID, f.Video, f.Data); err != nil && !errors.Is(err, e2eetest.ErrUnknownKID) {
					t.Logf("refused frame (video %v, %d bytes, starts %x): %v", f.Video, len(f.Data), f.Data[:min(len(f.Data), 12)], err)
				}
			}
			t.Fatalf("Eve: %+v, %d unwrap failures", n, eve.e2ee.UnwrapFailures())
		}
		eveKeys = eve.e2ee.Keys.Keys(adaID)
		for _, f := range frames {
			if _, _, err := eve.e2ee.Keys.Open(adaID, f.Video, f.Data); err == nil {
				before = append(before, f)
			}
		}
	})

	t.Run("a wrong key opens nothing", func(t *testing.T) {
		if len(before) < 100 || len(eveKeys) == 0 {
			t.Skip("needs the frames and keys of the step before")
		}
		wrong := e2eetest.NewKeyring()
		flipped := e2eetest.NewKeyring()
		for _, k := range eveKeys {
			random := make([]byte, e2eetest.BaseKeyBytes)
			_, _ = rand.Read(random)
			wrong.Add(adaID, e2eetest.SenderKey{Generation: k.Generation, Step: k.Step, BaseKey: random})
			bit := bytes.Clone(k.BaseKey)
			bit[0] ^= 1
			flipped.Add(adaID, e2eetest.SenderKey{Generation: k.Generation, Step: k.Step, BaseKey: bit})
		}
		for name, keys := range map[string]*e2eetest.Keyring{"random keys": wrong, "Ada's key with one bit changed": flipped} {
			n := openAll(keys, adaID, before)
			if n.opened != 0 || n.auth != len(before) {
				t.Errorf("%s: %+v of %d frames, want none opened, all failing authentication", name, n, len(before))
			}
		}
		// Ada's own key, taken for someone else's: nothing either.
		if n := openAll(eve.e2ee.Keys, "someone-else", before); n.opened != 0 {
			t.Errorf("Ada's frames opened as someone else's: %+v", n)
		}
	})

	t.Run("a participant who left cannot decrypt what follows", func(t *testing.T) {
		if len(eveKeys) == 0 {
			t.Skip("needs Eve's keys")
		}
		eveID := eve.ID()
		eve.Close()
		<-eve.Done()
		// What Eve keeps after leaving: the keys she held.
		held := eve.e2ee.Keys
		last, _ := held.Highest(adaID)
		ada.waitFor("Eve gone and a new key", `!window.conclave.state().others.some(p => p.id === `+jsString(eveID)+`) &&
			window.conclave.state().e2ee.generation > `+strconv.Itoa(int(last)), 15*time.Second)
		// What follows: Ada's frames under a generation drawn after Eve left.
		var after []e2eetest.Frame
		mark := finn.mark()
		eventually.True(t, "Finn opening Ada's frames of the new key", func() bool {
			after = after[:0]
			for _, f := range finn.since(mark) {
				if g, ok := generationOf(f); ok && g > last {
					after = append(after, f)
				}
			}
			n := openAll(finn.e2ee.Keys, adaID, after)
			return n.videoOpened >= 60 && n.audioOpened >= 60
		})
		if n := openAll(finn.e2ee.Keys, adaID, after); n.opened != len(after) {
			t.Errorf("Finn, still there: %+v of %d frames", n, len(after))
		}
		n := openAll(held, adaID, after)
		t.Logf("Eve's keys (generations up to %d) on %d frames after she left: %+v", last, len(after), n)
		if n.opened != 0 {
			t.Fatalf("Eve's keys opened %d frames sent after she left", n.opened)
		}
		// Not even by forcing: each of her base keys, derived for the new
		// frames' key IDs, fails to authenticate every one of them.
		for _, k := range eveKeys {
			forced := e2eetest.NewKeyring()
			for _, f := range after {
				g, _ := generationOf(f)
				forced.Add(adaID, e2eetest.SenderKey{Generation: g, BaseKey: k.BaseKey})
			}
			if n := openAll(forced, adaID, after); n.opened != 0 {
				t.Fatalf("Eve's generation-%d key, forced onto the new key IDs, opened %d frames", k.Generation, n.opened)
			}
		}
		// The control: the same keys opened what Ada sent before.
		if n := openAll(held, adaID, before); n.opened != len(before) {
			t.Errorf("Eve's keys on the frames from before she left: %+v of %d", n, len(before))
		}
	})

	t.Run("the SFU switches simulcast layers", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		size := func(h int) {
			if err := finn.Send(ctx, "video_size", map[string]any{"participant_id": adaID, "source": "camera", "width": h * 4 / 3, "height": h}); err != nil {
				t.Fatal(err)
			}
		}
		// Ada's top layer is capped below the bandwidth estimate a new
		// subscriber starts with (1 Mbit/s), so that the SFU's choice
		// follows the tile size alone.
		if !eval[bool](ada, capTopLayer) {
			t.Fatal("could not cap Ada's top layer")
		}
		// The heights Ada's browser has sent on each layer (its
		// outbound-rtp stats): it may scale both down under load, so every
		// height seen is kept.
		sent := map[string]map[int]bool{"l": {}, "h": {}}
		other := map[string]string{"l": "h", "h": "l"}
		// layer waits until Finn gets a keyframe, opened with his key, of a
		// height Ada sent on layer rid and never on the other.
		layer := func(why, rid string) int {
			mark := finn.mark()
			height := 0
			logged, asked := time.Now(), time.Time{}
			eventually.True(t, why, func() bool {
				// A keyframe shows which layer is forwarded; the browser
				// sends one only when asked (the SFU asks on a switch).
				if time.Since(asked) > time.Second {
					_ = finn.RequestKeyframe(finn.ssrc())
					asked = time.Now()
				}
				var now map[string]int
				if err := json.Unmarshal([]byte(eval[string](ada, sentHeights)), &now); err != nil {
					return false
				}
				for r, h := range now {
					if sent[r] != nil {
						sent[r][h] = true
					}
				}
				var heights []int
				for _, f := range finn.since(mark) {
					_, h := e2eetest.VP8Size(f.Data)
					if h == 0 {
						continue
					}
					heights = append(heights, h)
					if sent[rid][h] && !sent[other[rid]][h] {
						if _, _, err := finn.e2ee.Keys.Open(adaID, true, f.Data); err == nil {
							height = h
							return true
						}
					}
				}
				if time.Since(logged) > 5*time.Second {
					logged = time.Now()
					t.Logf("waiting: Ada sent heights %v, Finn got keyframes of %v", sent, heights)
				}
				return false
			})
			return height
		}
		size(2160)
		top := layer("a keyframe of the top layer for a large tile", "h")
		size(90)
		low := layer("a keyframe of the low layer for a small tile", "l")
		size(2160)
		back := layer("the top layer again for a large tile", "h")
		t.Logf("camera keyframe heights: large tile %d, small tile %d, large tile again %d", top, low, back)
	})

	t.Run("a keyframe request brings a keyframe", func(t *testing.T) {
		ssrc := finn.ssrc()
		for i := range 3 {
			mark := finn.mark()
			var sent time.Time
			eventually.True(t, "a keyframe after the request", func() bool {
				// Asked again now and then: the SFU forwards at most one
				// request per layer every 250 ms.
				if time.Since(sent) > 500*time.Millisecond {
					if err := finn.RequestKeyframe(ssrc); err != nil {
						t.Fatal(err)
					}
					sent = time.Now()
				}
				for _, f := range finn.since(mark) {
					if f.Video && e2eetest.VP8Keyframe(f.Data) {
						if _, _, err := finn.e2ee.Keys.Open(adaID, true, f.Data); err == nil {
							return true
						}
					}
				}
				return false
			})
			t.Logf("request %d answered with a keyframe", i+1)
		}
	})
}
