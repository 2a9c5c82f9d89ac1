package browser

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// prejoinSays waits until the pre-join screen's encryption line is in
// state (on, off, refused, unknown, blocked) and contains text.
func (p *person) prejoinSays(state, text string) {
	p.t.Helper()
	p.waitFor("the pre-join screen saying "+state, `(n => !!n && !n.hidden && n.dataset.e2ee === `+jsString(state)+` &&
		n.textContent.includes(`+jsString(text)+`))(document.querySelector("#prejoin-e2ee"))`, 10*time.Second)
}

// TestPrejoinSaysWhetherEncrypted: before anyone enters, the pre-join
// screen says whether the meeting is end-to-end encrypted, from the server
// (POST /api/meetings/{id}/join-info, with the passcode): a sensitive
// meeting is, and says it is sensitive; an ordinary one says the server
// could see and hear it. With the passcode typed, the screen says it once
// the passcode is right, and nothing while it is wrong. A page told
// "end-to-end encrypted" that is then welcomed into a meeting that is not
// refuses to join. The new-meeting form makes a sensitive meeting, listed
// as sensitive and end-to-end encrypted.
func TestPrejoinSaysWhetherEncrypted(t *testing.T) {
	browser := newBrowser(t)
	sensitive := startServerWith(t, "--no-waiting-room", "--join-before-host", "--sensitive")
	plain := startServer(t)

	t.Run("a sensitive meeting is end-to-end encrypted, and says so before the join", func(t *testing.T) {
		ada := newPerson(t, browser, "Ada")
		ada.do(chromedp.Navigate(sensitive.meetingURL), chromedp.WaitVisible("#join-name"))
		ada.prejoinSays("on", "Sensitive meeting. End-to-end encrypted: not even the server can see or hear this meeting.")
		ada.enter(sensitive, devices{camera: true, mic: false})
		ada.waitFor("joined, encrypted", `window.conclave.state().status === "joined" && window.conclave.state().settings.e2ee && window.conclave.state().e2ee.on`, 15*time.Second)
	})

	t.Run("a typed passcode: said once it is right", func(t *testing.T) {
		bob := newPerson(t, browser, "Bob")
		bob.do(chromedp.Navigate(sensitive.base+"/m/"+sensitive.meetingID), chromedp.WaitVisible("#join-passcode"))
		if !eval[bool](bob, `document.querySelector("#prejoin-e2ee").hidden`) {
			t.Error("the encryption line shows before there is a passcode")
		}
		bob.do(chromedp.SendKeys("#join-name", "Bob"), chromedp.SendKeys("#join-passcode", "wrongpasscode1"), chromedp.Focus("#join-name"))
		bob.prejoinSays("refused", "shown once the passcode is right")
		bob.setSwitch("#prejoin-camera", false)
		bob.setSwitch("#prejoin-mic", false)
		bob.acceptNotice()
		_ = eval[bool](bob, `(document.querySelector("#join-passcode").value = "") === ""`)
		bob.do(chromedp.SendKeys("#join-passcode", sensitive.passcode), chromedp.Focus("#join-name"))
		bob.prejoinSays("on", "End-to-end encrypted: not even the server can see or hear this meeting.")
		bob.click("#join-button")
		bob.waitFor("joined", `window.conclave.state().status === "joined" && window.conclave.state().e2ee.on`, 15*time.Second)
	})

	t.Run("an ordinary meeting says the server could see and hear it", func(t *testing.T) {
		cleo := newPerson(t, browser, "Cleo")
		cleo.do(chromedp.Navigate(plain.meetingURL), chromedp.WaitVisible("#join-name"))
		cleo.prejoinSays("off", "Encrypted to the server: the server could see and hear this meeting.")
	})

	t.Run("announced as encrypted, welcomed as not: the page refuses to join", func(t *testing.T) {
		// The page is told "end-to-end encrypted" before the join (as a
		// server that turns encryption off after announcing it would),
		// and the welcome then says the meeting is not.
		dee := newPerson(t, browser, "Dee")
		dee.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
				const realFetch = window.fetch;
				window.fetch = (url, init) => String(url).includes("/join-info")
					? Promise.resolve(new Response('{"e2ee":true,"sensitive":false}', {status: 200, headers: {"Content-Type": "application/json"}}))
					: realFetch(url, init);`})
			return err
		}))
		dee.do(chromedp.Navigate(plain.meetingURL), chromedp.WaitVisible("#join-name"))
		dee.prejoinSays("on", "End-to-end encrypted")
		dee.enter(plain, devices{camera: true, mic: true})
		dee.waitEnded("e2ee_downgrade", "the server now says it is not", true)
		if got := dee.state("local"); got != `{"audio":false,"video":false,"screen":false}` {
			t.Errorf("after refusing Dee still captures %s", got)
		}
		if eval[bool](dee, `!!window.conclave.pcs().publish`) {
			t.Error("a publishing connection was made")
		}
	})

	t.Run("the form makes a sensitive meeting, listed as such", func(t *testing.T) {
		host := signIn(t, browser, plain, hostEmail)
		host.waitFor("the meeting form", `!!document.querySelector("#opt-sensitive")`, 10*time.Second)
		_ = eval[bool](host, `(document.querySelector("#meeting-options").open = true)`)
		host.click("#opt-sensitive")
		host.waitFor("sensitive turns encryption on", `document.querySelector("#opt-sensitive").checked && document.querySelector("#opt-e2ee").checked`, 5*time.Second)
		host.do(chromedp.SendKeys("#meeting-title", "Clinic"))
		host.click("#create-meeting")
		host.waitFor("the new meeting listed as sensitive and encrypted", `Array.from(document.querySelectorAll("#meeting-list .meeting-item")).some(li =>
			li.querySelector(".meeting-name").textContent === "Clinic" && li.querySelector(".meeting-settings").textContent.includes("sensitive · end-to-end encrypted"))`, 10*time.Second)
	})
}
