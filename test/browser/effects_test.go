package browser

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The segmentation model loads and compiles on first use; under the
// software WebGL of a headless Chromium on a loaded machine that takes a
// while.
const effectTimeout = 60 * time.Second

// sharpnessJS defines window.__sharpness(track) in the page: the mean
// absolute difference between horizontally and vertically neighbouring
// pixels of the track's current frame, drawn at 320×180. A blur lowers it
// whatever the fake camera's moving pattern shows. window.__rawCamera()
// opens a second fake camera: Chromium's fake device draws the same
// pattern for each capture, so its frames are the camera "without blur".
const sharpnessJS = `(() => {
	if (window.__sharpness) return true;
	const videos = new Map();
	window.__sharpness = async (track) => {
		let v = videos.get(track);
		if (!v) {
			v = document.createElement('video');
			v.muted = true;
			v.srcObject = new MediaStream([track]);
			videos.set(track, v);
			await v.play();
		}
		if (v.videoWidth === 0) return -1;
		const c = document.createElement('canvas');
		c.width = 320; c.height = 180;
		const ctx = c.getContext('2d', { willReadFrequently: true });
		ctx.drawImage(v, 0, 0, c.width, c.height);
		const d = ctx.getImageData(0, 0, c.width, c.height).data;
		let sum = 0, n = 0;
		const lum = (i) => 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
		for (let y = 0; y < c.height - 1; y++) for (let x = 0; x < c.width - 1; x++) {
			const i = (y * c.width + x) * 4;
			sum += Math.abs(lum(i) - lum(i + 4)) + Math.abs(lum(i) - lum(i + 4 * c.width));
			n++;
		}
		return sum / n;
	};
	window.__rawCamera = async () => {
		if (!window.__raw) {
			const s = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 1280 }, height: { ideal: 720 } } });
			window.__raw = s.getVideoTracks()[0];
		}
		return window.__raw;
	};
	// sharpness of track / sharpness of the raw camera, measured together;
	// the median of five such pairs, 100 ms apart, as the fake camera's
	// pattern moves.
	window.__ratio = async (track) => {
		const raw = await window.__rawCamera();
		const rs = [];
		for (let i = 0; i < 5; i++) {
			if (i > 0) await new Promise((r) => setTimeout(r, 100));
			const [a, b] = await Promise.all([window.__sharpness(track), window.__sharpness(raw)]);
			if (a < 0 || b <= 0) return -1;
			rs.push(a / b);
		}
		rs.sort((x, y) => x - y);
		return rs[2];
	};
	return true;
})()`

// A frame counts as blurred below this sharpness relative to the camera,
// and as the camera's own above the other: measured about 0.4–0.6 with
// blur, 1.0–1.5 without (the fake pattern moves between the two captures).
const (
	blurred = 0.75
	sharp   = 0.85
)

// previewTrack and sentTrack select the pre-join preview's track and the
// camera track the publish connection sends.
const (
	previewTrack = `document.querySelector("#prejoin-preview").srcObject.getVideoTracks()[0]`
	sentTrack    = `window.conclave.pcs().publish.getSenders().map((s) => s.track).find((t) => t && t.kind === "video" && t.readyState === "live")`
)

// ratio is the sharpness of track relative to the raw fake camera.
func (p *person) ratio(track string) float64 {
	p.t.Helper()
	_ = eval[bool](p, sharpnessJS)
	// A measurement that outlasts tryEval's 10 s (a loaded machine: five
	// pairs of frames through the segmentation model) counts as none yet,
	// and waitRatio measures again until its own deadline.
	r, err := tryEval[float64](p, `window.__ratio(`+track+`)`)
	if err != nil {
		p.t.Logf("%s: sharpness not measured yet: %v", p.name, err)
		return -1
	}
	return r
}

// waitRatio waits until the sharpness ratio of track passes ok.
func (p *person) waitRatio(what, track string, ok func(float64) bool) float64 {
	p.t.Helper()
	deadline := time.Now().Add(effectTimeout)
	for {
		r := p.ratio(track)
		if r >= 0 && ok(r) {
			return r
		}
		if time.Now().After(deadline) {
			state, _ := tryEval[string](p, `JSON.stringify(window.conclave.state().effect)`)
			p.t.Fatalf("%s: %s: sharpness ratio %.3f; effect %s", p.name, what, r, state)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// pickEffect chooses a background effect in a picker as a person would:
// the select's value changes and it fires change.
func (p *person) pickEffect(sel, effect string) {
	p.t.Helper()
	p.do(chromedp.SetValue(sel, effect))
	_ = eval[bool](p, fmt.Sprintf(`document.querySelector(%q).dispatchEvent(new Event("change")), true`, sel))
}

// passShareReminder confirms the reminder shown before sharing the screen.
func (p *person) passShareReminder() {
	p.t.Helper()
	p.waitFor("the screen-share reminder", `!!document.querySelector("#share-reminder[open]")`, 10*time.Second)
	p.click("#share-reminder-continue")
}

// TestBackgroundBlur: blur picked on the pre-join screen makes the
// preview's frames blurred where the camera without it stays sharp; the
// model comes from the server only; the choice is remembered in the
// browser; in the call the sent camera track is the blurred one, and
// picking None in the call's toolbar sends the sharp camera again.
func TestBackgroundBlur(t *testing.T) {
	srv := startServer(t)
	browser := newBrowser(t)
	bea := newPerson(t, browser, "Bea")
	bea.do(chromedp.Navigate(srv.meetingURL), chromedp.WaitVisible("#join-name"))
	bea.do(chromedp.SendKeys("#join-name", bea.name))
	bea.setSwitch("#prejoin-mic", false)
	bea.setSwitch("#prejoin-camera", true)
	bea.waitFor("the camera preview", `document.querySelector("#prejoin-preview").videoWidth > 0`, 15*time.Second)

	withoutR := bea.waitRatio("without an effect the preview is as sharp as the camera", previewTrack, func(r float64) bool { return r > sharp })
	t.Logf("without effect: preview/camera sharpness %.3f", withoutR)
	for _, path := range []string{"/static/segmentation/", "selfie_segmentation"} {
		for _, u := range bea.requestsSoFar() {
			if strings.Contains(u, path) {
				t.Fatalf("the model was loaded before anyone picked an effect: %s", u)
			}
		}
	}

	bea.pickEffect("#prejoin-effect", "blur")
	bea.waitFor("the blurred preview", `document.querySelector("#prejoin-preview").dataset.effect === "blur"`, effectTimeout)
	blurredR := bea.waitRatio("with blur the preview is blurred", previewTrack, func(r float64) bool { return r < blurred })
	t.Logf("with blur: preview/camera sharpness %.3f", blurredR)
	if got := eval[string](bea, `localStorage.getItem("conclave.effect")`); got != "blur" {
		t.Fatalf("remembered effect %q", got)
	}

	bea.acceptNotice()
	bea.click("#join-button")
	bea.waitFor("joined", `window.conclave.state().status === "joined"`, 15*time.Second)
	if st := bea.state("effect"); !strings.Contains(st, `"chosen":"blur","active":true`) {
		t.Fatalf("effect in the call: %s", st)
	}
	if got := eval[string](bea, `document.querySelector("#call-effect").value`); got != "blur" {
		t.Fatalf("the call's picker shows %q", got)
	}
	bea.waitFor("the camera sent", sentTrack+` !== undefined`, 15*time.Second)
	sent := bea.waitRatio("the call sends the blurred camera", sentTrack, func(r float64) bool { return r < blurred })
	t.Logf("sent with blur: %.3f", sent)

	bea.pickEffect("#call-effect", "none")
	bea.waitFor("the effect off", `window.conclave.state().effect.active === false`, effectTimeout)
	sharpR := bea.waitRatio("with None the call sends the sharp camera", sentTrack, func(r float64) bool { return r > sharp })
	t.Logf("sent without effect: %.3f", sharpR)

	bea.pickEffect("#call-effect", "calm")
	bea.waitFor("the virtual background", `window.conclave.state().effect.active === true && window.conclave.state().effect.chosen === "calm"`, effectTimeout)
	// Turning the camera off stops the effect with it.
	bea.click("#toggle-camera")
	bea.waitFor("camera and effect off", `window.conclave.state().local.video === false && window.conclave.state().effect.active === false`, 10*time.Second)

	var wasm bool
	for _, u := range bea.requestsSoFar() {
		wasm = wasm || strings.HasSuffix(u, "/static/segmentation/selfie_segmentation_solution_simd_wasm_bin.wasm")
	}
	if !wasm {
		t.Fatal("the model's WebAssembly was not loaded from the server")
	}
	if foreign := bea.foreignRequests(srv.base); len(foreign) > 0 {
		t.Fatalf("requests left the server: %v", foreign)
	}
	if st := bea.state("effect"); strings.Contains(st, `"error":"`) {
		t.Fatalf("effect error: %s", st)
	}
}

// requestsSoFar copies the URLs the page requested.
func (p *person) requestsSoFar() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// TestScreenShareReminder: Share screen first reminds to close private
// windows and prefer one window; Escape cancels without sharing and gives
// focus back; going on shares; "don't remind me again" is kept in this
// browser, and the next share starts at once.
func TestScreenShareReminder(t *testing.T) {
	srv := startServer(t)
	browser := newBrowser(t)
	sam := join(t, browser, srv, "Sam", devices{})

	sam.click("#toggle-screen")
	sam.waitFor("the reminder", `!!document.querySelector("#share-reminder[open]")`, 10*time.Second)
	if !sam.hasText("#share-reminder", "Close private windows") || !sam.hasText("#share-reminder", "one window") {
		t.Fatalf("reminder text: %q", eval[string](sam, `document.querySelector("#share-reminder").textContent`))
	}
	if got := eval[string](sam, `document.activeElement.id`); got != "share-reminder-continue" {
		t.Fatalf("focus in the reminder on %q", got)
	}
	sam.do(chromedp.KeyEvent(kb.Escape))
	sam.waitFor("the reminder closed", `!document.querySelector("#share-reminder")`, 5*time.Second)
	if got := eval[string](sam, `document.activeElement.id`); got != "toggle-screen" {
		t.Fatalf("focus after Escape on %q", got)
	}
	if sam.state("local.screen") != "false" {
		t.Fatal("Escape shared the screen")
	}

	sam.click("#toggle-screen")
	sam.waitFor("the reminder", `!!document.querySelector("#share-reminder[open]")`, 10*time.Second)
	sam.click("#share-reminder-off")
	sam.click("#share-reminder-continue")
	sam.waitFor("sharing", `window.conclave.state().local.screen === true`, 10*time.Second)
	if got := eval[string](sam, `localStorage.getItem("conclave.shareReminderOff")`); got != "1" {
		t.Fatalf("reminder setting %q", got)
	}

	sam.click("#toggle-screen") // stop: no reminder
	sam.waitFor("stopped", `window.conclave.state().local.screen === false`, 10*time.Second)
	sam.click("#toggle-screen")
	sam.waitFor("sharing again", `window.conclave.state().local.screen === true`, 10*time.Second)
	if eval[bool](sam, `!!document.querySelector("#share-reminder")`) {
		t.Fatal("reminded again after \"don't remind me again\"")
	}
}

// TestOrgMediaDefaultsOff: an organisation that starts camera and
// microphone off gets both switches off on the pre-join screen, even in a
// browser that remembered them on, and no device starts; the person may
// still turn the camera on.
func TestOrgMediaDefaultsOff(t *testing.T) {
	t.Setenv("CONCLAVE_CAMERA_DEFAULT_ON", "false")
	t.Setenv("CONCLAVE_MICROPHONE_DEFAULT_ON", "false")
	srv := startServer(t)
	browser := newBrowser(t)
	olga := newPerson(t, browser, "Olga")
	olga.do(chromedp.Navigate(srv.base + "/"))
	_ = eval[bool](olga, `localStorage.setItem("conclave.camOn", "1"), localStorage.setItem("conclave.micOn", "1"), true`)
	olga.do(chromedp.Navigate(srv.meetingURL), chromedp.WaitVisible("#join-name"))
	olga.waitFor("the pre-join switches", `!!document.querySelector("#prejoin-camera") && !!document.querySelector("#prejoin-mic")`, 10*time.Second)
	if eval[bool](olga, `document.querySelector("#prejoin-camera").checked || document.querySelector("#prejoin-mic").checked`) {
		t.Fatal("a device switch starts on although the organisation starts them off")
	}
	olga.waitFor("the note", `document.querySelector("#media-note").textContent.includes("camera and microphone off")`, 10*time.Second)
	if got := olga.state("local"); got != `{"audio":false,"video":false,"screen":false}` {
		t.Fatalf("devices started: %s", got)
	}
	olga.setSwitch("#prejoin-camera", true)
	olga.waitFor("the camera on", `window.conclave.state().local.video === true`, 15*time.Second)
}
