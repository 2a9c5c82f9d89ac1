package browser

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// person is one participant: a browser context (own cookies and storage)
// in the shared Chromium, or a tab in Firefox (see joinFirefox).
type person struct {
	t    *testing.T
	name string
	ctx  context.Context // chromedp's for Chromium (p.do works only there)
	// js evaluates JavaScript in the page, awaiting a returned promise, and
	// returns the result as JSON (nil or "null" for undefined and null).
	js func(ctx context.Context, expr string) ([]byte, error)
	// click clicks the element that sel selects.
	click func(sel string)
	// decodedFrames makes videoFrames count the frames the tile's decoder
	// produced (receiver statistics) for a <video> that plays, rather
	// than painted frames: headless Firefox paints nothing, so its
	// getVideoPlaybackQuality() stays at 0.
	decodedFrames bool

	mu       sync.Mutex
	requests []string // every URL the page requested
}

// devices says what a person brings to the meeting.
type devices struct{ camera, mic bool }

// join opens the meeting link, sets the name and devices on the pre-join
// screen and presses Join, as a person would, and waits until they are in.
func join(t *testing.T, browser context.Context, srv *server, name string, dev devices) *person {
	t.Helper()
	p := newPerson(t, browser, name)
	p.enter(srv, dev)
	p.waitFor("joined", `window.conclave && window.conclave.state().status === "joined"`, 15*time.Second)
	return p
}

// newPerson opens a browser context of their own (cookies and storage) in
// the shared Chromium.
func newPerson(t *testing.T, browser context.Context, name string) *person {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &person{t: t, name: name, ctx: ctx}
	p.js = func(ctx context.Context, expr string) ([]byte, error) {
		return chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	}
	p.click = func(sel string) { p.do(chromedp.Click(sel)) }
	_ = chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*network.EventRequestWillBeSent); ok {
			p.mu.Lock()
			p.requests = append(p.requests, e.Request.URL)
			p.mu.Unlock()
		}
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			desc := e.ExceptionDetails.Text
			if e.ExceptionDetails.Exception != nil {
				desc += " " + e.ExceptionDetails.Exception.Description
			}
			p.logf("page exception: %s", desc)
		}
	})
	return p
}

// enter opens the meeting link, fills in the pre-join screen and presses
// Join; what follows (the call, the waiting room, a refusal) is the
// caller's to wait for.
func (p *person) enter(srv *server, dev devices) {
	p.t.Helper()
	p.do(chromedp.Navigate(srv.meetingURL), chromedp.WaitVisible("#join-name"))
	_ = eval[bool](p, `(() => { const e = document.querySelector("#join-name"); e.value = ""; return true })()`)
	p.do(chromedp.SendKeys("#join-name", p.name))
	p.setSwitch("#prejoin-camera", dev.camera)
	p.setSwitch("#prejoin-mic", dev.mic)
	p.acceptNotice()
	p.do(chromedp.Click("#join-button"))
}

// logf logs while the test runs; browser events may arrive after it ends.
func (p *person) logf(format string, args ...any) {
	defer func() { _ = recover() }()
	p.t.Logf(p.name+": "+format, args...)
}

func (p *person) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %v", p.name, err)
	}
}

// eval evaluates JavaScript (awaiting promises) and decodes the result.
func eval[T any](p *person, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	raw, err := p.js(ctx, js)
	var v T
	if err == nil {
		err = decodeJSResult(raw, &v)
	}
	if err != nil {
		p.t.Fatalf("%s: evaluate %q: %v", p.name, js, err)
	}
	return v
}

// setSwitch makes a pre-join device switch on or off by clicking it.
func (p *person) setSwitch(sel string, on bool) {
	p.t.Helper()
	p.waitFor(sel, fmt.Sprintf(`!!document.querySelector(%q)`, sel), 10*time.Second)
	if eval[bool](p, fmt.Sprintf(`document.querySelector(%q).checked`, sel)) != on {
		p.click(sel)
	}
}

// waitFor polls a JavaScript condition (a value or a promise) until it
// holds.
func (p *person) waitFor(what, cond string, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		// await: cond may be a promise (an async check of getStats).
		ok, err := tryEval[bool](p, "(async () => { try { return !!(await ("+cond+")) } catch (e) { return false } })()")
		if ok {
			return
		}
		// An error here is the page navigating under the check (a sign-in
		// redirect, a route change): the next round sees the new page.
		if time.Now().After(deadline) {
			state, _ := tryEval[string](p, `JSON.stringify(window.conclave ? window.conclave.state() : null)`)
			p.t.Fatalf("%s: waited %v for %s (last error: %v); state: %s", p.name, timeout, what, err, state)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// tryEval is eval that returns the error instead of failing the test.
func tryEval[T any](p *person, js string) (T, error) {
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	var v T
	raw, err := p.js(ctx, js)
	if err == nil {
		err = decodeJSResult(raw, &v)
	}
	return v, err
}

func (p *person) id() string {
	return eval[string](p, `window.conclave.state().selfId`)
}

// videoFrames returns decoded frames per remote tile ("participant/source").
func (p *person) videoFrames() map[string]int {
	return eval[map[string]int](p, `(async (decoded) => {
		const out = {};
		const pc = window.conclave.pcs().subscribe;
		for (const v of document.querySelectorAll('[data-participant-id][data-source] video')) {
			const tile = v.closest('[data-participant-id]');
			if (!v.srcObject || !v.getVideoPlaybackQuality) continue;
			let n = v.getVideoPlaybackQuality().totalVideoFrames;
			if (decoded) {
				n = 0;
				const track = v.srcObject.getVideoTracks()[0];
				const rx = pc && track && pc.getReceivers().find(r => r.track === track);
				if (rx && !v.paused && v.readyState >= 2 && v.videoWidth > 0) {
					(await rx.getStats()).forEach(r => { if (r.type === 'inbound-rtp') n = Math.max(n, r.framesDecoded || 0); });
				}
			}
			out[tile.dataset.participantId + '/' + tile.dataset.source] = n;
		}
		return out;
	})(`+strconv.FormatBool(p.decodedFrames)+`)`)
}

// inbound sums the subscribe connection's inbound RTP statistics.
type inbound struct {
	FramesDecoded int `json:"framesDecoded"`
	AudioPackets  int `json:"audioPackets"`
	AudioStreams  int `json:"audioStreams"`
	VideoStreams  int `json:"videoStreams"`
	KeyFrames     int `json:"keyFrames"`
}

func (p *person) inbound() inbound {
	return eval[inbound](p, `(async () => {
		const pc = window.conclave.pcs().subscribe;
		const out = {framesDecoded: 0, audioPackets: 0, audioStreams: 0, videoStreams: 0, keyFrames: 0};
		if (!pc) return out;
		(await pc.getStats()).forEach(r => {
			if (r.type !== 'inbound-rtp') return;
			if (r.kind === 'video' && r.framesDecoded > 0) { out.framesDecoded += r.framesDecoded; out.videoStreams++; out.keyFrames += r.keyFramesDecoded || 0; }
			if (r.kind === 'audio' && r.packetsReceived > 0) { out.audioPackets += r.packetsReceived; out.audioStreams++; }
		});
		return out;
	})()`)
}

// waitVideoFrom waits until the tile of owner/source has decoded frames and
// they keep coming, and returns how long the first frame took.
func (p *person) waitVideoFrom(owner, source string, timeout time.Duration) time.Duration {
	p.t.Helper()
	key := owner + "/" + source
	start := time.Now()
	deadline := start.Add(timeout)
	first := time.Duration(0)
	for {
		n := p.videoFrames()[key]
		if n > 0 && first == 0 {
			first = time.Since(start)
		}
		if first > 0 {
			time.Sleep(700 * time.Millisecond)
			if m := p.videoFrames()[key]; m > n {
				return first
			}
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: no rising video from %s within %v (tiles: %v)", p.name, key, timeout, p.videoFrames())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitAudioStreams waits until audio RTP arrives from n senders.
func (p *person) waitAudioStreams(n int, timeout time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		in := p.inbound()
		if in.AudioStreams >= n && in.AudioPackets > 0 {
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: audio from %d senders wanted, have %+v", p.name, n, in)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (p *person) state(field string) string {
	return eval[string](p, `JSON.stringify(window.conclave.state().`+field+`)`)
}

func (p *person) hasText(sel, text string) bool {
	return strings.Contains(eval[string](p, fmt.Sprintf(`(document.querySelector(%q)||{}).textContent||""`, sel)), text)
}

// foreignRequests returns the URLs the page requested from anywhere but
// the server itself (its websocket URL included, should a browser report
// that as a request).
func (p *person) foreignRequests(base string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	wsBase := "ws" + strings.TrimPrefix(base, "http")
	var out []string
	for _, u := range p.requests {
		if !strings.HasPrefix(u, base+"/") && u != base && !strings.HasPrefix(u, wsBase+"/") && !strings.HasPrefix(u, "data:") && !strings.HasPrefix(u, "blob:") {
			out = append(out, u)
		}
	}
	return out
}
