package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// joinFirefox is join for Firefox: it opens the meeting link in the
// browser's first tab, sets the name and devices on the pre-join screen and
// presses Join (clicks are real mouse input). Page errors are logged and
// requests recorded, as for Chromium. One participant per Firefox.
func joinFirefox(t *testing.T, ff *firefox, srv *server, name string, dev devices) *person {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	p := &person{t: t, name: name, ctx: ctx, decodedFrames: true}
	tab := ff.tab
	p.js = func(ctx context.Context, expr string) ([]byte, error) {
		v, err := ff.evaluate(ctx, tab, expr)
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	}
	p.click = func(sel string) {
		p.t.Helper()
		ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
		defer cancel()
		// Scrolled into view first, as chromedp.Click does and a person would:
		// the pointer action needs the element inside the viewport.
		v, err := ff.evaluate(ctx, tab, fmt.Sprintf(
			`(() => { const e = document.querySelector(%q); e?.scrollIntoView({block: "center"}); return e })()`, sel))
		node, ok := v.(bidiRemoteRef)
		if err != nil || !ok {
			p.t.Fatalf("%s: no %s to click (%v)", p.name, sel, err)
		}
		if err := ff.click(ctx, tab, node); err != nil {
			p.t.Fatalf("%s: click %s: %v", p.name, sel, err)
		}
	}
	ff.on("network.beforeRequestSent", func(params json.RawMessage) {
		var e struct {
			Context string `json:"context"`
			Request struct {
				URL string `json:"url"`
			} `json:"request"`
		}
		if json.Unmarshal(params, &e) == nil && e.Context == tab {
			p.mu.Lock()
			p.requests = append(p.requests, e.Request.URL)
			p.mu.Unlock()
		}
	})
	ff.on("log.entryAdded", func(params json.RawMessage) {
		var e struct {
			Type  string `json:"type"` // console | javascript
			Level string `json:"level"`
			Text  string `json:"text"`
		}
		if json.Unmarshal(params, &e) == nil && (e.Type == "javascript" || e.Level == "error" || e.Level == "warn") {
			p.logf("page %s %s: %s", e.Type, e.Level, e.Text)
		}
	})
	sctx, scancel := context.WithTimeout(ctx, 20*time.Second)
	defer scancel()
	if err := ff.subscribe(sctx, "network.beforeRequestSent", "log.entryAdded"); err != nil {
		t.Fatalf("%s: subscribe: %v", name, err)
	}
	if err := ff.navigate(sctx, tab, srv.meetingURL); err != nil {
		t.Fatalf("%s: open the meeting link: %v", name, err)
	}
	p.waitFor("the pre-join form", `document.querySelector("#join-name")`, 10*time.Second)
	// The Firefox ESR the tests run is a supported browser: no notice
	// that it is too old (web/src/browsers.ts, TestBrowserTooOld).
	if w := eval[string](p, `document.querySelector("#browser-warning")?.textContent ?? ""`); w != "" {
		t.Errorf("%s: Firefox is warned: %s", name, w)
	}
	_ = eval[bool](p, fmt.Sprintf(`(() => {
		const e = document.querySelector("#join-name");
		e.focus(); e.value = %q; e.dispatchEvent(new Event("input", {bubbles: true}));
		return true })()`, name))
	p.setSwitch("#prejoin-camera", dev.camera)
	p.setSwitch("#prejoin-mic", dev.mic)
	p.acceptNotice()
	p.click("#join-button")
	p.waitFor("joined", `window.conclave && window.conclave.state().status === "joined"`, 15*time.Second)
	return p
}

// TestFirefoxMeeting is a meeting between Chromium and Firefox: each sees
// and hears the other; Firefox sends its camera as two simulcast layers
// that the server reads, turns it off and on, survives an ICE restart,
// receives Chromium's screen share and reports that it cannot share its
// own (headless Firefox has no screen); its media stays on loopback, its
// page on the server's origin; and it leaves cleanly.
func TestFirefoxMeeting(t *testing.T) {
	start := time.Now()
	// Steps run in order on the same meeting; a failing step stops the test.
	step := func(name string) { t.Logf("--- %s (%v)", name, time.Since(start).Round(time.Millisecond)) }
	srv := startServer(t)
	step("start Firefox and Chromium; Ada joins from Chromium")
	waitFirefox := startFirefoxAsync(t) // the slowest to start: meanwhile, Chromium
	browser := newBrowser(t)
	ada := join(t, browser, srv, "Ada", devices{camera: true, mic: true})
	ff := waitFirefox()
	t.Logf("browser: %s", ff.version)
	step("Fiona joins from Firefox")
	fox := joinFirefox(t, ff, srv, "Fiona", devices{camera: true, mic: true})
	adaID, foxID := ada.id(), fox.id()

	step("Firefox's ICE connects")
	// Firefox offers no 127.0.0.1 candidate, only the machine's other
	// addresses (docs/client.md): the server has to accept those.
	deadline := time.Now().Add(15 * time.Second)
	for !eval[bool](fox, `(() => { const c = window.conclave.state().connected; return c.publish && c.subscribe })()`) {
		if time.Now().After(deadline) {
			t.Fatalf("Firefox's ICE did not connect (%s); Firefox's candidates: %s", fox.state("ice"), eval[string](fox, `(async () => {
				const out = new Set();
				for (const pc of Object.values(window.conclave.pcs())) {
					if (pc) (await pc.getStats()).forEach(r => { if (r.type === 'local-candidate') out.add(r.address + '/' + r.protocol); });
				}
				return [...out].join(' ');
			})()`))
		}
		time.Sleep(200 * time.Millisecond)
	}

	step("Firefox sees and hears Chromium")
	took := fox.waitVideoFrom(adaID, "camera", 20*time.Second)
	fox.waitAudioStreams(1, 10*time.Second)
	t.Logf("first frame from Chromium after %v; Firefox receives %+v", took, fox.inbound())

	step("Chromium sees and hears Firefox")
	took = ada.waitVideoFrom(foxID, "camera", 20*time.Second)
	ada.waitAudioStreams(1, 10*time.Second)
	t.Logf("first frame from Firefox after %v; Chromium receives %+v", took, ada.inbound())
	if !fox.hasText(`[data-participant-id="`+adaID+`"][data-source="camera"]`, "Ada") {
		t.Error("Firefox's tile for Ada does not show her name")
	}

	step("Firefox sends two simulcast layers")
	// Layer h needs a bandwidth estimate of about 1.45 Mbit/s in Firefox;
	// the profile's estimate floor (firefoxPrefs) gives it at once.
	fox.waitFor("both layers sending", `(async () => {
		const frames = async () => {
			const f = {};
			(await window.conclave.pcs().publish.getStats()).forEach(r => {
				if (r.type === 'outbound-rtp' && r.kind === 'video' && r.rid) f[r.rid] = r.framesEncoded || 0;
			});
			return f;
		};
		const a = await frames();
		await new Promise(r => setTimeout(r, 1000));
		const b = await frames();
		return b.l > a.l && b.h > a.h;
	})()`, 25*time.Second)
	type layer struct {
		Width, Height, Frames int
	}
	layers := eval[map[string]layer](fox, `(async () => {
		const out = {};
		(await window.conclave.pcs().publish.getStats()).forEach(r => {
			if (r.type === 'outbound-rtp' && r.kind === 'video' && r.rid) out[r.rid] = {Width: r.frameWidth, Height: r.frameHeight, Frames: r.framesEncoded};
		});
		return out;
	})()`)
	t.Logf("Firefox's camera layers: %+v", layers)
	if l, h := layers["l"], layers["h"]; l.Width <= 0 || l.Width >= h.Width || l.Height >= h.Height {
		t.Errorf("layer l (%dx%d) should be smaller than layer h (%dx%d)", l.Width, l.Height, h.Width, h.Height)
	}
	if got := eval[string](fox, `JSON.stringify(window.conclave.pcs().publish.getTransceivers()
		.flatMap(tx => tx.sender.getParameters().encodings || []).filter(e => e.rid)
		.map(e => e.rid + ':' + (e.scaleResolutionDownBy || 1)))`); got != `["l:2","h:1"]` {
		t.Errorf("Firefox's camera encodings (rid:scale) = %s, want l:2 then h:1", got)
	}

	// The server's receiver reports name each layer it reads.
	fox.waitFor("receiver reports from the server for both layers", `(async () => {
		const st = await window.conclave.pcs().publish.getStats();
		const got = {};
		st.forEach(r => {
			if (r.type !== 'remote-inbound-rtp' || r.kind !== 'video' || !(r.packetsReceived > 0)) return;
			const out = st.get(r.localId);
			if (out && out.rid) got[out.rid] = true;
		});
		return got.l && got.h;
	})()`, 10*time.Second)

	step("Firefox turns its camera off and on again")
	fox.click("#toggle-camera")
	fox.waitFor("camera off", `window.conclave.state().local.video === false`, 5*time.Second)
	ada.waitFor("Ada sees Fiona's camera off", `window.conclave.state().others.some(p => p.id === "`+foxID+`" && p.video === false)`, 5*time.Second)
	fox.click("#toggle-camera")
	fox.waitFor("camera on", `window.conclave.state().local.video === true`, 5*time.Second)
	ada.waitFor("Ada sees Fiona's camera on", `window.conclave.state().others.some(p => p.id === "`+foxID+`" && p.video === true)`, 5*time.Second)
	before := ada.videoFrames()[foxID+"/camera"]
	ada.waitFor("frames from the new camera track", `(() => {
		const v = document.querySelector('[data-participant-id="`+foxID+`"][data-source="camera"] video');
		return v && v.getVideoPlaybackQuality().totalVideoFrames > `+strconv.Itoa(before+10)+` })()`, 15*time.Second)

	step("ICE restart in Firefox keeps the participant and the media")
	for _, pc := range []string{"publish", "subscribe"} {
		if !eval[bool](fox, `window.conclave.restartIce("`+pc+`")`) {
			t.Fatalf("restartIce(%s) refused", pc)
		}
	}
	fox.waitFor("both restarts counted", `(() => { const r = window.conclave.state().iceRestarts; return r.publish >= 1 && r.subscribe >= 1 })()`, 10*time.Second)
	fox.waitFor("connected again", `(() => { const s = window.conclave.state().ice; return ["connected","completed"].includes(s.publish) && ["connected","completed"].includes(s.subscribe) })()`, 15*time.Second)
	before = fox.videoFrames()[adaID+"/camera"]
	fox.waitFor("more frames from Chromium", `(async () => {
		const pc = window.conclave.pcs().subscribe;
		let n = 0;
		(await pc.getStats()).forEach(r => { if (r.type === 'inbound-rtp' && r.kind === 'video') n = Math.max(n, r.framesDecoded || 0); });
		return n > `+strconv.Itoa(before+10)+`;
	})()`, 15*time.Second)
	before = ada.videoFrames()[foxID+"/camera"]
	ada.waitFor("more frames from Firefox", `(() => {
		const v = document.querySelector('[data-participant-id="`+foxID+`"][data-source="camera"] video');
		return v && v.getVideoPlaybackQuality().totalVideoFrames > `+strconv.Itoa(before+10)+` })()`, 15*time.Second)
	if fox.id() != foxID {
		t.Fatal("Fiona got a new participant ID: she rejoined instead of recovering")
	}

	step("Firefox receives Chromium's screen share")
	ada.click("#toggle-screen")
	ada.passShareReminder()
	ada.waitFor("screen sharing", `window.conclave.state().local.screen === true`, 10*time.Second)
	took = fox.waitVideoFrom(adaID, "screen", 20*time.Second)
	t.Logf("screen share visible in Firefox after %v", took)

	step("Firefox tries to share its screen")
	// Firefox fakes cameras and microphones only; headless, it has no
	// screen to capture, so getDisplayMedia fails with NotFoundError.
	// The client must say so and carry on. Should a Firefox ever offer a
	// screen here, the share has to reach Chromium instead.
	fox.click("#toggle-screen")
	fox.passShareReminder()
	// On a loaded machine the click's user activation can lapse before
	// getDisplayMedia runs, which Firefox answers with NotAllowedError.
	fox.waitFor("screen shared or refused", `window.conclave.state().local.screen === true ||
		document.querySelector("#announcer").textContent.includes("Could not share the screen") ||
		document.querySelector("#announcer").textContent.includes("Screen sharing was cancelled")`, 20*time.Second)
	if eval[bool](fox, `window.conclave.state().local.screen`) {
		took = ada.waitVideoFrom(foxID, "screen", 20*time.Second)
		t.Logf("Firefox shares its screen; Chromium shows it after %v", took)
	} else {
		t.Logf("Firefox cannot share a screen here: %q", eval[string](fox, `document.querySelector("#announcer").textContent`))
		if got := eval[string](fox, `document.querySelector("#toggle-screen").getAttribute("aria-pressed")`); got != "false" {
			t.Errorf("screen button aria-pressed = %q after a refused share", got)
		}
		if s := fox.state("status"); s != `"joined"` {
			t.Errorf("Firefox's status after a refused share: %s", s)
		}
	}

	step("Firefox's media goes to the server on loopback only")
	pairs := eval[[]string](fox, `(async () => {
		const out = [];
		for (const name of ['publish', 'subscribe']) {
			const st = await window.conclave.pcs()[name].getStats();
			st.forEach(r => {
				if (r.type !== 'candidate-pair' || !r.nominated || r.state !== 'succeeded') return;
				const rc = st.get(r.remoteCandidateId);
				out.push(name + ' ' + (rc ? rc.address + ':' + rc.port + '/' + rc.protocol : '?'));
			});
		}
		return out;
	})()`)
	if len(pairs) < 2 {
		t.Errorf("nominated candidate pairs: %v; want one per connection", pairs)
	}
	for _, p := range pairs {
		if !strings.Contains(p, " 127.0.0.1:") {
			t.Errorf("Firefox's media goes to %s, not to the server on 127.0.0.1", p)
		}
	}

	step("no request leaves the server's origin")
	if foreign := fox.foreignRequests(srv.base); len(foreign) > 0 {
		t.Errorf("Firefox's page requested %v", foreign)
	}
	fox.mu.Lock()
	n := len(fox.requests)
	fox.mu.Unlock()
	if n < 3 {
		t.Errorf("Firefox: only %d requests seen; is request logging working?", n)
	}

	step("Firefox holds no connection off loopback")
	conns, err := offLoopback(ff.pid)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		t.Errorf("Firefox is connected off loopback: %s", c)
	}

	step("Firefox leaves")
	fox.click("#leave")
	ada.waitFor("Fiona gone", `!window.conclave.state().others.some(p => p.id === "`+foxID+`")`, 10*time.Second)
	ada.waitFor("Fiona's tile gone", `!document.querySelector('[data-participant-id="`+foxID+`"]')`, 10*time.Second)
	fox.waitFor("Firefox's meeting ended", `window.conclave.state().status === "ended"`, 5*time.Second)
	t.Logf("done after %v", time.Since(start).Round(time.Millisecond))
}
