package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// noticeLoaded holds once the pre-join screen shows the privacy notice and
// its checkbox can be ticked.
const noticeLoaded = `!!document.querySelector("#notice-accept:not([disabled])")`

// acceptNotice ticks "I have read the privacy notice" on the pre-join screen.
func (p *person) acceptNotice() {
	p.t.Helper()
	p.waitFor("the privacy notice", noticeLoaded, 10*time.Second)
	p.setSwitch("#notice-accept", true)
}

// openPrejoin opens the meeting link as a guest with camera and microphone
// off and fills in the name, without accepting the notice.
func (p *person) openPrejoin(srv *server) {
	p.t.Helper()
	p.do(chromedp.Navigate(srv.meetingURL), chromedp.WaitVisible("#join-name"))
	p.do(chromedp.SendKeys("#join-name", p.name))
	p.setSwitch("#prejoin-camera", false)
	p.setSwitch("#prejoin-mic", false)
	p.waitFor("the privacy notice", noticeLoaded, 10*time.Second)
}

func noticeText(p *person) string {
	return eval[string](p, `document.querySelector("#notice-text").textContent`)
}

// TestPrivacyNotice: a guest reads the notice and cannot join before
// ticking that they read it; an administrator publishes a new version;
// a guest whose pre-join screen still showed the old one is refused by the
// server and shown the new text, and joins after accepting it.
func TestPrivacyNotice(t *testing.T) {
	srv := startServer(t)
	browser := newBrowser(t)

	gus := newPerson(t, browser, "Gus")
	gus.openPrejoin(srv)
	if got := noticeText(gus); !strings.Contains(got, "What this server stores") {
		t.Fatalf("the default notice is not shown: %q", got)
	}
	if !eval[bool](gus, `document.querySelector("#join-button").disabled`) {
		t.Fatal("Join is enabled before the notice is accepted")
	}
	gus.acceptNotice()
	gus.waitFor("Join enabled", `!document.querySelector("#join-button").disabled`, 5*time.Second)
	gus.click("#join-button")
	gus.waitStatus("joined", 15*time.Second)

	// Ida's pre-join screen shows version 1 while the admin publishes 2.
	ida := newPerson(t, browser, "Ida")
	ida.openPrejoin(srv)
	ida.acceptNotice()

	admin := signIn(t, browser, srv, hostEmail)
	admin.click("#notice-link")
	admin.waitFor("the editor", `location.pathname === "/admin/privacy" && document.querySelector("#notice-markdown").value.includes("Privacy notice")`, 10*time.Second)
	admin.do(chromedp.SetValue("#notice-markdown", "# House rules\n\nVersion two of our notice."))
	admin.click("#notice-publish")
	admin.waitFor("version 2 published", `document.querySelector("#notice-current").textContent.includes("Version 2") && `+
		`!!document.querySelector('#notice-versions li[data-version="2"]')`, 10*time.Second)

	ida.click("#join-button")
	ida.waitFor("the new notice shown again", `document.body.dataset.meetingState === "prejoin" && `+
		`(document.querySelector("#notice-text")||{}).textContent.includes("Version two of our notice")`, 15*time.Second)
	if eval[bool](ida, `document.querySelector("#notice-accept").checked`) {
		t.Fatal("the new version is ticked without being read")
	}
	ida.acceptNotice()
	ida.click("#join-button")
	ida.waitStatus("joined", 15*time.Second)
}
