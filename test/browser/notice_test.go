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

// noticeAcceptedBefore holds when the pre-join screen says the signed-in
// person accepted the version in force before, instead of asking for the tick.
const noticeAcceptedBefore = `document.querySelector("#prejoin-notice").dataset.accepted === "true"`

// acceptNotice ticks "I have read the privacy notice" on the pre-join
// screen, unless it says this account accepted the version before.
func (p *person) acceptNotice() {
	p.t.Helper()
	p.waitFor("the privacy notice", noticeLoaded, 10*time.Second)
	if eval[bool](p, noticeAcceptedBefore) {
		return
	}
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

// TestNoticeAcceptedOnce: before any administrator published a notice, a
// guest reads a complete one generated from the configuration (no
// placeholders, no note to administrators) and the administrator's home
// page leads to the editor. A signed-in person who accepted the version
// in force is not asked again at the next join: the pre-join screen says
// when they accepted it, the text stays readable, Join needs no tick and
// the ledger gains nothing. Once a new version is published, the tick is
// back.
func TestNoticeAcceptedOnce(t *testing.T) {
	srv := startServer(t)
	browser := newBrowser(t)

	gus := newPerson(t, browser, "Gus")
	gus.openPrejoin(srv)
	text := noticeText(gus)
	for _, bad := range []string{"[", "]", "Administrators", "default text"} {
		if strings.Contains(text, bad) {
			t.Errorf("a guest is shown %q in the notice:\n%s", bad, text)
		}
	}
	if !strings.Contains(text, "Your rights") || !strings.Contains(text, "What this server stores") {
		t.Errorf("the generated notice is incomplete:\n%s", text)
	}

	admin := signIn(t, browser, srv, hostEmail)
	admin.waitFor("the lead to review the notice", `!!document.querySelector("#notice-review:not([hidden]) a[href='/admin/privacy']")`, 10*time.Second)

	joinAgain := func() {
		t.Helper()
		admin.do(chromedp.Navigate("about:blank"))
		admin.do(chromedp.Navigate(srv.meetingURL), chromedp.WaitVisible("#join-name"))
		admin.setSwitch("#prejoin-camera", false)
		admin.setSwitch("#prejoin-mic", false)
		admin.waitFor("the privacy notice", noticeLoaded, 10*time.Second)
	}
	joinAgain()
	if eval[bool](admin, noticeAcceptedBefore) || !eval[bool](admin, `!!document.querySelector("#notice-accept").offsetParent`) {
		t.Fatal("the first join does not ask for the tick")
	}
	admin.acceptNotice()
	admin.click("#join-button")
	admin.waitStatus("joined", 15*time.Second)

	joinAgain()
	admin.waitFor("the sentence instead of the tick", noticeAcceptedBefore, 5*time.Second)
	said := eval[string](admin, `document.querySelector("#notice-accepted").textContent`)
	if !strings.HasPrefix(said, "You accepted version 1 on ") {
		t.Fatalf("pre-join says %q", said)
	}
	if eval[bool](admin, `!!document.querySelector("#notice-accept").offsetParent`) {
		t.Fatal("the tick box is still shown")
	}
	if !eval[bool](admin, `document.querySelector("#notice-details").contains(document.querySelector("#notice-text")) && `+
		`document.querySelector("#notice-text").textContent.includes("Your rights")`) {
		t.Fatal("the notice is not readable under the sentence")
	}
	admin.waitFor("Join enabled without a tick", `!document.querySelector("#join-button").disabled`, 5*time.Second)
	admin.click("#join-button")
	admin.waitStatus("joined", 15*time.Second)
	if n := eval[int](admin, `fetch("/api/me/consents").then(r => r.json()).then(j => j.consents.filter(c => c.kind === "notice").length)`); n != 1 {
		t.Errorf("%d notice acceptances in the ledger after two joins, want 1", n)
	}

	admin.do(chromedp.Navigate(srv.base + "/admin/privacy"))
	admin.waitFor("the editor", `!!document.querySelector("#notice-markdown") && document.querySelector("#notice-markdown").value.includes("Privacy notice")`, 10*time.Second)
	admin.do(chromedp.SetValue("#notice-markdown", "# House rules\n\nVersion two of our notice."))
	admin.click("#notice-publish")
	admin.waitFor("version 2 published", `document.querySelector("#notice-current").textContent.includes("Version 2")`, 10*time.Second)
	admin.do(chromedp.Navigate(srv.base + "/"))
	admin.waitFor("the home page", `!!document.querySelector("#sign-out")`, 10*time.Second)
	if eval[bool](admin, `!!document.querySelector("#notice-review:not([hidden])")`) {
		t.Error("the lead to review the notice stays after publishing")
	}

	joinAgain()
	if eval[bool](admin, noticeAcceptedBefore) || !eval[bool](admin, `!!document.querySelector("#notice-accept").offsetParent`) {
		t.Fatal("a new version is not asked for again")
	}
	if !eval[bool](admin, `document.querySelector("#join-button").disabled`) {
		t.Fatal("Join is enabled before the new version is accepted")
	}
}
