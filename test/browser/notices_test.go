package browser

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// waitPill waits until the status pill says text (plain words, not the
// state's name) and its data-state is state.
func (p *person) waitPill(state, text string) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("status pill %q", text), fmt.Sprintf(
		`(() => { const e = document.querySelector("#meeting-status"); return !!e && e.dataset.state === %q && e.textContent === %q })()`,
		state, text), 15*time.Second)
}

// noTitle fails the test when the page shows the meeting's title or ID
// anywhere (the title is "Browser test", see startServerWith).
func (p *person) noTitle(srv *server, when string) {
	p.t.Helper()
	if got := eval[string](p, `document.querySelector("#meeting-title").textContent`); got != "Meeting" {
		p.t.Errorf("%s: %s: the page heading says %q, want \"Meeting\"", p.name, when, got)
	}
	for _, secret := range []string{"Browser test", srv.meetingID} {
		if eval[bool](p, `document.body.textContent.includes(`+strconv.Quote(secret)+`) || document.title.includes(`+strconv.Quote(secret)+`)`) {
			p.t.Errorf("%s: %s: the page shows %q", p.name, when, secret)
		}
	}
}

// focusOutsideNotices: showing a notice never moves keyboard focus.
func (p *person) focusOutsideNotices(when string) {
	p.t.Helper()
	if eval[bool](p, `!!(document.activeElement && document.activeElement.closest("#call-notices"))`) {
		p.t.Errorf("%s: %s: keyboard focus moved into the notices", p.name, when)
	}
}

// TestCallNotices walks a guest from a bare link (no passcode) to the call
// and out again, and the host who lets them in: the status pill's words at
// each step, the title shown only once the server accepted the passcode,
// the host's visible "is waiting" notice with Admit, a chat notice while
// the chat is closed, the sound setting, and disabled controls that say why.
func TestCallNotices(t *testing.T) {
	srv := startModeratedServer(t)
	browser := newBrowser(t)
	host := hostJoins(t, browser, srv, devices{})
	host.waitPill("joined", "In the meeting")
	host.waitText("#meeting-title", "Browser test", 5*time.Second)

	ada := newPerson(t, browser, "Ada")
	t.Run("the join page shows neither title nor ID", func(t *testing.T) {
		ada.do(chromedp.Navigate(srv.base+"/m/"+srv.meetingID), chromedp.WaitVisible("#join-passcode"))
		ada.waitPill("prejoin", "Ready to join")
		ada.waitFor("the privacy notice", noticeLoaded, 10*time.Second)
		ada.noTitle(srv, "before joining")
	})

	t.Run("Join says why it is disabled", func(t *testing.T) {
		if !eval[bool](ada, `document.querySelector("#join-button").disabled`) {
			t.Fatal("Join is enabled before the notice is accepted")
		}
		ada.waitText("#join-reason", "privacy notice", 5*time.Second)
		if got := eval[string](ada, `document.querySelector("#join-button").getAttribute("aria-describedby")`); got != "join-reason" {
			t.Errorf("Join is described by %q, want join-reason", got)
		}
		ada.do(chromedp.SendKeys("#join-name", "Ada"))
		ada.setSwitch("#prejoin-camera", false)
		ada.setSwitch("#prejoin-mic", false)
		ada.acceptNotice()
		ada.waitFor("the reason gone", `document.querySelector("#join-reason").hidden && !document.querySelector("#join-button").disabled`, 5*time.Second)
	})

	t.Run("a wrong passcode shows no title", func(t *testing.T) {
		ada.do(chromedp.SendKeys("#join-passcode", "not-the-passcode"))
		ada.click("#join-button")
		ada.waitEnded("join_refused", "Meeting not found or wrong passcode", false)
		ada.waitPill("error", "Could not join")
		ada.noTitle(srv, "after a wrong passcode")
	})

	var adaID string
	t.Run("waiting: plain words, still no title", func(t *testing.T) {
		ada.click("#rejoin")
		ada.do(chromedp.WaitVisible("#join-passcode"))
		ada.do(chromedp.SendKeys("#join-passcode", srv.passcode))
		ada.acceptNotice()
		ada.click("#join-button")
		ada.waitPill("waiting", "Waiting to be let in")
		ada.noTitle(srv, "while waiting")
		if got := ada.state("title"); got != `""` {
			t.Errorf("the waiting guest's title is %s", got)
		}
	})

	t.Run("the host sees a notice and admits from it", func(t *testing.T) {
		adaID = host.lobbyID("Ada")
		toast := fmt.Sprintf(`#call-notices [data-notice="waiting"][data-lobby-id=%q]`, adaID)
		host.waitText(toast, "Ada is waiting to join", 10*time.Second)
		host.focusOutsideNotices("a guest arrived")
		if eval[string](host, `document.querySelector("#call-notices").getAttribute("role")`) != "status" {
			t.Error("the notices are not a status region")
		}
		host.click(toast + ` [data-action="admit"]`)
		ada.waitStatus("joined", 15*time.Second)
		host.waitFor("the notice gone", `!document.querySelector(`+strconv.Quote(toast)+`)`, 5*time.Second)
	})

	t.Run("admitted: the title, and the status", func(t *testing.T) {
		ada.waitPill("joined", "In the meeting")
		ada.waitText("#meeting-title", "Browser test", 5*time.Second)
		if !eval[bool](ada, `document.title.startsWith("Browser test")`) {
			t.Errorf("document title %q", eval[string](ada, `document.title`))
		}
	})

	t.Run("a disabled toolbar control says why", func(t *testing.T) {
		if !eval[bool](ada, `document.querySelector("#toggle-screen").disabled`) {
			t.Fatal("a guest's screen-share button is enabled")
		}
		ada.waitText("#controls-note", "only presenters can share their screen", 5*time.Second)
		if got := eval[string](ada, `document.querySelector("#toggle-screen").getAttribute("aria-describedby")`); got != "controls-note" {
			t.Errorf("the share button is described by %q, want controls-note", got)
		}
		if eval[bool](host, `!document.querySelector("#controls-note").hidden`) {
			t.Error("the host, who can share, is shown a reason")
		}
	})

	t.Run("a chat notice while the chat is closed", func(t *testing.T) {
		if eval[string](ada, `document.querySelector("#toggle-chat").getAttribute("aria-expanded")`) == "true" {
			t.Fatal("chat open already")
		}
		if eval[int](host, `window.conclave.chat("Hello Ada, welcome to the meeting")`) == 0 {
			t.Fatal("chat not sent")
		}
		toast := `#call-notices [data-notice="chat"]`
		ada.waitText(toast, "Host", 10*time.Second)
		ada.waitText(toast+" .toast-preview", "Hello Ada, welcome to the meeting", 5*time.Second)
		ada.focusOutsideNotices("a message arrived")
		ada.waitText("#toggle-chat", "Chat (1)", 5*time.Second)
		ada.click(toast + ` [data-action="open-chat"]`)
		ada.waitFor("chat open", `document.querySelector("#toggle-chat").getAttribute("aria-expanded") === "true"`, 5*time.Second)
		ada.waitText("#chat-log", "Hello Ada, welcome to the meeting", 5*time.Second)
		ada.waitFor("the notice gone", `!document.querySelector(`+strconv.Quote(toast)+`)`, 5*time.Second)

		// The host's own messages never make a notice for the host.
		if eval[bool](host, `!!document.querySelector(`+strconv.Quote(toast)+`)`) {
			t.Error("the sender got a notice of their own message")
		}
	})

	t.Run("the notice sound is off until turned on, and remembered", func(t *testing.T) {
		ada.openPanel("settings")
		ada.waitFor("the sound switch", `!!document.querySelector("#setting-notice-sound")`, 5*time.Second)
		if eval[bool](ada, `document.querySelector("#setting-notice-sound").checked`) {
			t.Fatal("the notice sound is on by default")
		}
		ada.click("#setting-notice-sound")
		ada.waitFor("remembered", `localStorage.getItem("conclave.noticeSound") === "1"`, 5*time.Second)
	})

	t.Run("several waiting share one notice", func(t *testing.T) {
		for _, name := range []string{"Bob", "Cleo", "Dan"} {
			guestArrives(t, browser, srv, name, devices{}).waitStatus("waiting", 15*time.Second)
		}
		group := `#call-notices [data-notice="waiting-group"]`
		host.waitText(group, "3 people are waiting to join", 10*time.Second)
		if n := eval[int](host, `document.querySelectorAll('#call-notices [data-notice="waiting"]').length`); n != 0 {
			t.Errorf("%d single notices besides the grouped one", n)
		}
		host.focusOutsideNotices("three guests arrived")
		host.click(group + ` [data-action="open-lobby"]`)
		host.waitFor("the waiting room open", `document.querySelector("#toggle-lobby").getAttribute("aria-expanded") === "true"`, 5*time.Second)
		host.waitFor("the notice gone", `!document.querySelector(`+strconv.Quote(group)+`)`, 5*time.Second)
		host.click("#lobby-deny-all")
		host.waitFor("nobody waiting", `window.conclave.state().lobby.length === 0`, 10*time.Second)
		host.waitFor("Admit all disabled, with the reason", `document.querySelector("#lobby-admit-all").disabled && `+
			`document.querySelector("#lobby-admit-all").getAttribute("aria-describedby") === "lobby-empty" && `+
			`document.querySelector("#lobby-empty").checkVisibility()`, 5*time.Second)
		host.click("#toggle-lobby") // closes the panel again
	})

	t.Run("a guest who left sees \"You left\"", func(t *testing.T) {
		ada.click("#leave")
		ada.waitEnded("left", "You left the meeting.", false)
		ada.waitPill("ended", "You left")
		host.waitFor("Ada gone", `!window.conclave.state().others.some(p => p.id === `+strconv.Quote(adaID)+`)`, 10*time.Second)
		host.waitPill("joined", "In the meeting")
	})

	t.Run("\"The meeting ended\" when the host ends it", func(t *testing.T) {
		ada.click("#rejoin")
		ada.do(chromedp.WaitVisible("#join-button"))
		ada.acceptNotice()
		ada.click("#join-button")
		ada.waitPill("waiting", "Waiting to be let in")
		if eval[int](host, `window.conclave.admit(`+strconv.Quote(host.lobbyID("Ada"))+`)`) == 0 {
			t.Fatal("admit not sent")
		}
		ada.waitPill("joined", "In the meeting")
		if eval[int](host, `window.conclave.endMeeting()`) == 0 {
			t.Fatal("end not sent")
		}
		ada.waitEnded("meeting_ended", "The host ended the meeting.", false)
		ada.waitPill("ended", "The meeting ended")
	})
}

// TestDisabledReasons: on the home page, "Let people join before the host"
// is disabled while the waiting room is on, and says why, visibly.
func TestDisabledReasons(t *testing.T) {
	srv := startModeratedServer(t)
	browser := newBrowser(t)
	host := signIn(t, browser, srv, hostEmail)
	host.do(chromedp.WaitVisible("#create-meeting"))
	host.click("#meeting-options summary")
	host.waitFor("the options", `document.querySelector("#opt-join-before-host").checkVisibility()`, 5*time.Second)
	if !eval[bool](host, `document.querySelector("#opt-join-before-host").disabled`) {
		t.Fatal("join before host is enabled while the waiting room is on")
	}
	host.waitText("#opt-join-before-host-hint", "Only without a waiting room", 5*time.Second)
	if got := eval[string](host, `document.querySelector("#opt-join-before-host").getAttribute("aria-describedby")`); got != "opt-join-before-host-hint" {
		t.Errorf("described by %q", got)
	}
	host.click("#opt-waiting-room")
	host.waitFor("enabled", `!document.querySelector("#opt-join-before-host").disabled`, 5*time.Second)
	if eval[bool](host, `document.querySelector("#opt-join-before-host-hint").textContent.includes("Only without a waiting room")`) {
		t.Error("the reason stays after the switch was enabled")
	}
}
