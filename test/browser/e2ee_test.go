package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/conclave-meet/conclave/internal/eventually"
)

// e2eeState is the test hook's e2ee field (web/src/hook.ts).
type e2eeState struct {
	On              bool     `json:"on"`
	Support         string   `json:"support"`
	SafetyCode      string   `json:"safetyCode"`
	KeyChanged      []string `json:"keyChanged"`
	FramesEncrypted int      `json:"framesEncrypted"`
	FramesDecrypted int      `json:"framesDecrypted"`
	DecryptFailures int      `json:"decryptFailures"`
	WaitingForKey   int      `json:"waitingForKey"`
	SendDropped     int      `json:"sendDropped"`
	UnwrapFailures  int      `json:"unwrapFailures"`
	Generation      int      `json:"generation"`
}

func (p *person) e2ee() e2eeState {
	p.t.Helper()
	var s e2eeState
	if err := json.Unmarshal([]byte(p.state("e2ee")), &s); err != nil {
		p.t.Fatalf("%s: e2ee state: %v", p.name, err)
	}
	return s
}

// waitSameCode waits until everyone shows the same complete safety code,
// other than not, and returns it.
func waitSameCode(t *testing.T, not string, people ...*person) string {
	t.Helper()
	var codes []string
	eventually.True(t, "the same safety code everywhere", func() bool {
		codes = make([]string, len(people))
		same := true
		for i, p := range people {
			codes[i] = p.e2ee().SafetyCode
			same = same && codes[i] != "" && codes[i] != not && codes[i] == codes[0]
		}
		return same
	})
	return codes[0]
}

// TestEndToEndEncryption: in a meeting created with --e2ee, two Chromium
// participants see the "End-to-end encrypted" label, see and hear each
// other through the E2EE worker (frames encrypted and decrypted, none
// failing) and show the same safety code; a third joins, the code changes
// and is again the same for all three, who all see each other. A changed
// public key is flagged and splits the codes; a leave brings a new key. A
// browser without encoded transforms is told so and turned away. A normal
// meeting shows no label, and the new-meeting form makes an encrypted
// meeting.
func TestEndToEndEncryption(t *testing.T) {
	srv := startServerWith(t, "--no-waiting-room", "--join-before-host", "--e2ee")
	browser := newBrowser(t)

	ada := join(t, browser, srv, "Ada", devices{camera: true, mic: true})
	bob := join(t, browser, srv, "Bob", devices{camera: true, mic: true})
	adaID, bobID := ada.id(), bob.id()

	t.Run("both see the label and each other's decrypted media", func(t *testing.T) {
		for _, p := range []*person{ada, bob} {
			p.waitFor("E2EE on and labelled", `window.conclave.state().settings.e2ee === true && window.conclave.state().e2ee.on &&
				(l => !!l && l.offsetParent !== null && l.textContent.includes("End-to-end encrypted"))(document.querySelector("#e2ee-label"))`, 10*time.Second)
		}
		ada.waitVideoFrom(bobID, "camera", 20*time.Second)
		bob.waitVideoFrom(adaID, "camera", 20*time.Second)
		ada.waitAudioStreams(1, 10*time.Second)
		bob.waitAudioStreams(1, 10*time.Second)
		for _, p := range []*person{ada, bob} {
			p.waitFor("frames through the worker", `(s => s.framesEncrypted > 50 && s.framesDecrypted > 50)(window.conclave.state().e2ee)`, 10*time.Second)
			s := p.e2ee()
			t.Logf("%s: %+v", p.name, s)
			if s.DecryptFailures != 0 || s.UnwrapFailures != 0 || len(s.KeyChanged) != 0 {
				t.Errorf("%s: %+v, want no failures and no key changes", p.name, s)
			}
		}
	})

	var code2 string
	t.Run("both show the same safety code", func(t *testing.T) {
		code2 = waitSameCode(t, "", ada, bob)
		if len(strings.ReplaceAll(code2, " ", "")) != 20 {
			t.Errorf("safety code %q, want five groups of four digits", code2)
		}
		// The label opens the dialog that shows it.
		ada.click("#e2ee-label")
		ada.waitFor("the dialog with the code", `document.querySelector("#e2ee-dialog").open && document.querySelector("#e2ee-code").textContent === `+jsString(code2), 5*time.Second)
		if !ada.hasText("#e2ee-label-text", "not verified") {
			t.Error("the label does not say the code is not verified yet")
		}
		ada.click("#e2ee-verified")
		ada.waitFor("the label verified", `document.querySelector("#e2ee-label-text").textContent === "End-to-end encrypted · verified"`, 5*time.Second)
		ada.click("#e2ee-close")
		ada.waitFor("the dialog closed", `!document.querySelector("#e2ee-dialog").open`, 5*time.Second)
	})

	// Cleo joins in the test's scope: the next step uses her too.
	cleo := join(t, browser, srv, "Cleo", devices{camera: true, mic: true})
	cleoID := cleo.id()
	t.Run("a third joins: a new code, the same for all three", func(t *testing.T) {
		code3 := waitSameCode(t, code2, ada, bob, cleo)
		// A new code is not the one Ada verified.
		ada.waitFor("the label back to not verified", `document.querySelector("#e2ee-label-text").textContent === "End-to-end encrypted · not verified"`, 5*time.Second)
		t.Logf("safety code with two: %s, with three: %s", code2, code3)
		cleo.waitVideoFrom(adaID, "camera", 20*time.Second)
		cleo.waitVideoFrom(bobID, "camera", 20*time.Second)
		ada.waitVideoFrom(cleoID, "camera", 20*time.Second)
		bob.waitVideoFrom(cleoID, "camera", 20*time.Second)
		for _, p := range []*person{ada, bob, cleo} {
			p.waitFor("frames decrypted", `window.conclave.state().e2ee.framesDecrypted > 50`, 10*time.Second)
			s := p.e2ee()
			t.Logf("%s: %+v", p.name, s)
			if s.DecryptFailures != 0 || s.UnwrapFailures != 0 || len(s.KeyChanged) != 0 {
				t.Errorf("%s: %+v, want no failures and no key changes", p.name, s)
			}
		}
		// Ada and Bob drew new sending keys when Cleo joined.
		for _, p := range []*person{ada, bob} {
			p.waitFor("a new key generation", `window.conclave.state().e2ee.generation >= 1`, 10*time.Second)
		}
	})

	t.Run("a key changed mid-meeting is flagged and the codes differ", func(t *testing.T) {
		// Bob's page publishes another public key, as a server substituting
		// his key would make the others see.
		if !eval[bool](bob, `(async () => {
			const pair = await crypto.subtle.generateKey({name: "ECDH", namedCurve: "P-256"}, true, ["deriveBits"]);
			const spki = new Uint8Array(await crypto.subtle.exportKey("spki", pair.publicKey));
			const b64 = btoa(String.fromCharCode(...spki)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
			return window.conclave.send("e2ee_pubkey", {spki: b64}) > 0;
		})()`) {
			t.Fatal("Bob's new key was not sent")
		}
		for _, p := range []*person{ada, cleo} {
			p.waitFor("Bob flagged", `window.conclave.state().e2ee.keyChanged.includes(`+jsString(bobID)+`) &&
				(w => !w.hidden && w.textContent.includes("Bob") && w.textContent.includes("compare the safety code"))(document.querySelector("#e2ee-warning"))`, 10*time.Second)
		}
		others := waitSameCode(t, "", ada, cleo)
		if own := bob.e2ee().SafetyCode; own == others {
			t.Errorf("Bob's code %q equals the others' after the substitution", own)
		}
	})

	t.Run("someone leaves: a new sending key; then all leave", func(t *testing.T) {
		before := ada.e2ee().Generation
		cleo.click("#leave")
		ada.waitFor("Cleo gone and a new key", `!window.conclave.state().others.some(p => p.id === `+jsString(cleoID)+`) &&
			window.conclave.state().e2ee.generation > `+fmt.Sprint(before), 10*time.Second)
		// The calls end, so the browser is free for what follows.
		ada.click("#leave")
		bob.click("#leave")
		for _, p := range []*person{ada, bob, cleo} {
			p.waitFor("left", `window.conclave.state().status === "ended"`, 10*time.Second)
		}
	})

	t.Run("a browser without encoded transforms is told so and turned away", func(t *testing.T) {
		eve := newPerson(t, browser, "Eve")
		eve.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
				delete window.RTCRtpScriptTransform;
				delete RTCRtpSender.prototype.createEncodedStreams;
				delete RTCRtpReceiver.prototype.createEncodedStreams;`})
			return err
		}))
		// The pre-join screen knows the meeting is encrypted (join-info)
		// and keeps this browser out before it enters.
		eve.do(chromedp.Navigate(srv.meetingURL), chromedp.WaitVisible("#join-name"))
		eve.waitFor("the pre-join refusal", `(n => n.dataset.e2ee === "blocked" && n.textContent.includes("This meeting is end-to-end encrypted, and this browser cannot take part"))(document.querySelector("#prejoin-e2ee"))`, 10*time.Second)
		eve.acceptNotice()
		eve.waitFor("Join disabled, saying why", `document.querySelector("#join-button").disabled &&
			document.querySelector("#join-reason").textContent.includes("cannot join an end-to-end encrypted meeting")`, 5*time.Second)

		// Should the pre-join check fail (here: its request refused by the
		// page), the browser still says it could not take part in one and,
		// let in, leaves at once rather than send clear media.
		frank := newPerson(t, browser, "Frank")
		frank.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
				delete window.RTCRtpScriptTransform;
				delete RTCRtpSender.prototype.createEncodedStreams;
				delete RTCRtpReceiver.prototype.createEncodedStreams;
				const realFetch = window.fetch;
				window.fetch = (url, init) => String(url).includes("/join-info") ? Promise.reject(new TypeError("blocked")) : realFetch(url, init);`})
			return err
		}))
		frank.do(chromedp.Navigate(srv.meetingURL), chromedp.WaitVisible("#join-name"))
		frank.waitFor("the pre-join note", `(n => !!n && n.textContent.includes("cannot take part in end-to-end encrypted meetings"))(document.querySelector("#e2ee-unsupported"))`, 10*time.Second)
		frank.waitFor("the check failed", `document.querySelector("#prejoin-e2ee").dataset.e2ee === "unknown"`, 10*time.Second)
		frank.enter(srv, devices{camera: true, mic: true})
		frank.waitEnded("e2ee_unsupported", "This meeting is end-to-end encrypted, and this browser cannot take part", true)
		if got := frank.state("local"); got != `{"audio":false,"video":false,"screen":false}` {
			t.Errorf("after leaving Frank still captures %s", got)
		}
	})

	t.Run("a normal meeting has no E2EE label; the form makes an encrypted one", func(t *testing.T) {
		plain := startServer(t)
		dee := join(t, browser, plain, "Dee", devices{camera: false, mic: false})
		if s := dee.e2ee(); s.On {
			t.Errorf("normal meeting: e2ee %+v", s)
		}
		if eval[bool](dee, `!!document.querySelector("#e2ee-label") || window.conclave.state().settings.e2ee`) {
			t.Error("a normal meeting shows the E2EE label or setting")
		}
		if !dee.hasText("#e2ee-plain", "the server could see and hear this meeting") {
			t.Error("a normal meeting does not say the server could see and hear it")
		}

		host := signIn(t, browser, plain, hostEmail)
		host.waitFor("the meeting form", `!!document.querySelector("#opt-e2ee")`, 10*time.Second)
		_ = eval[bool](host, `(document.querySelector("#meeting-options").open = true)`)
		host.click("#opt-e2ee")
		host.waitFor("the switch on", `document.querySelector("#opt-e2ee").checked`, 5*time.Second)
		host.do(chromedp.SendKeys("#meeting-title", "Telehealth"))
		host.click("#create-meeting")
		host.waitFor("the new meeting listed as encrypted", `Array.from(document.querySelectorAll("#meeting-list .meeting-item")).some(li =>
			li.querySelector(".meeting-name").textContent === "Telehealth" && li.querySelector(".meeting-settings").textContent.includes("end-to-end encrypted"))`, 10*time.Second)
	})
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestEndToEndEncryptionFirefox: Firefox (RTCRtpScriptTransform) and
// Chromium in one end-to-end encrypted meeting see each other's camera,
// decrypted, and show the same safety code.
func TestEndToEndEncryptionFirefox(t *testing.T) {
	srv := startServerWith(t, "--no-waiting-room", "--join-before-host", "--e2ee")
	waitFirefox := startFirefoxAsync(t)
	browser := newBrowser(t)
	ada := join(t, browser, srv, "Ada", devices{camera: true, mic: true})
	ff := waitFirefox()
	t.Logf("browser: %s", ff.version)
	fox := joinFirefox(t, ff, srv, "Fiona", devices{camera: true, mic: true})
	adaID, foxID := ada.id(), fox.id()

	fox.waitFor("E2EE on and labelled", `window.conclave.state().e2ee.on && !!document.querySelector("#e2ee-label")`, 10*time.Second)
	fox.waitVideoFrom(adaID, "camera", 30*time.Second)
	ada.waitVideoFrom(foxID, "camera", 30*time.Second)
	waitSameCode(t, "", ada, fox)
	for _, p := range []*person{ada, fox} {
		p.waitFor("frames through the worker", `(s => s.framesEncrypted > 50 && s.framesDecrypted > 50)(window.conclave.state().e2ee)`, 15*time.Second)
		s := p.e2ee()
		t.Logf("%s: %+v", p.name, s)
		if s.DecryptFailures != 0 || s.UnwrapFailures != 0 {
			t.Errorf("%s: %+v, want no failures", p.name, s)
		}
	}
}
