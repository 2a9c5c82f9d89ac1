package browser

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// These tests drive "nobody gets in uninvited" (docs/security.md, Access
// control) from both sides: a host signed in through /login, and guests
// in browser contexts of their own. The meeting is created with the
// defaults (waiting room on, nobody before a host), hosted by hostEmail.

// startModeratedServer runs a server whose meeting keeps the defaults.
func startModeratedServer(t *testing.T) *server {
	t.Helper()
	return startServerWith(t, "--host", hostEmail)
}

// hostJoins signs the host's account in through the /login page, then
// opens the meeting link and joins; the host is let in at once.
func hostJoins(t *testing.T, browser context.Context, srv *server, dev devices) *person {
	t.Helper()
	p := newPerson(t, browser, hostName)
	p.do(chromedp.Navigate(srv.base+"/login"), chromedp.WaitVisible("#login-email"))
	p.do(
		chromedp.SendKeys("#login-email", hostEmail),
		chromedp.SendKeys("#login-password", hostPassword),
		chromedp.Click("#login-button"),
		chromedp.WaitVisible("#sign-out"), // the signed-in start page
	)
	p.enter(srv, dev)
	p.waitFor("host joined", `window.conclave && window.conclave.state().status === "joined"`, 15*time.Second)
	if got := p.state("role"); got != `"host"` {
		t.Fatalf("host's role is %s, want \"host\"", got)
	}
	return p
}

// guestArrives opens the meeting link as a guest and presses Join; the
// caller waits for what follows.
func guestArrives(t *testing.T, browser context.Context, srv *server, name string, dev devices) *person {
	t.Helper()
	p := newPerson(t, browser, name)
	p.enter(srv, dev)
	return p
}

func (p *person) waitStatus(status string, timeout time.Duration) {
	p.t.Helper()
	p.waitFor("status "+status, `window.conclave && window.conclave.state().status === `+strconv.Quote(status), timeout)
}

// waitText waits until the element sel selects is shown and contains text.
func (p *person) waitText(sel, text string, timeout time.Duration) {
	p.t.Helper()
	p.waitFor(fmt.Sprintf("%s to say %q", sel, text), fmt.Sprintf(
		`(() => { const e = document.querySelector(%q); return !!e && e.checkVisibility() && e.textContent.includes(%q) })()`,
		sel, text), timeout)
}

// waitEnded waits until the person is out (or refused) with code, showing
// message; final endings offer no way to try again.
func (p *person) waitEnded(code, message string, final bool) {
	p.t.Helper()
	p.waitFor("ended with "+code, `window.conclave.state().endCode === `+strconv.Quote(code), 15*time.Second)
	p.waitText("#ended-message", message, 5*time.Second)
	if rejoin := eval[bool](p, `!!document.querySelector("#rejoin")`); rejoin == final {
		p.t.Errorf("%s: ended with %s: Rejoin button shown = %v, want %v", p.name, code, rejoin, !final)
	}
}

// lobbyID waits until the host's waiting room lists name and returns the ID.
func (p *person) lobbyID(name string) string {
	p.t.Helper()
	find := `(window.conclave.state().lobby.find(e => e.name === ` + strconv.Quote(name) + `) || {}).id || ""`
	p.waitFor(name+" in the waiting room", find, 15*time.Second)
	return eval[string](p, find)
}

// openPersonActions opens the participants panel and the actions of one
// participant in it.
func (p *person) openPersonActions(id string) {
	p.t.Helper()
	if eval[string](p, `document.querySelector("#toggle-participants").getAttribute("aria-expanded")`) != "true" {
		p.click("#toggle-participants")
	}
	row := fmt.Sprintf(`[data-person=%q]`, id)
	p.waitFor("row of "+id, fmt.Sprintf(`!!document.querySelector(%q)`, row+" .person-toggle"), 10*time.Second)
	if eval[string](p, fmt.Sprintf(`document.querySelector(%q).getAttribute("aria-expanded")`, row+" .person-toggle")) != "true" {
		p.click(row + " .person-toggle")
	}
}

// personAction clicks one moderation action for participant id.
func (p *person) personAction(id, action string) {
	p.t.Helper()
	p.openPersonActions(id)
	sel := fmt.Sprintf(`[data-person=%q] [data-action=%q]`, id, action)
	p.waitFor(action+" offered", fmt.Sprintf(`!!document.querySelector(%q)`, sel), 10*time.Second)
	p.click(sel)
}

func (p *person) openPanel(name string) {
	p.t.Helper()
	if eval[string](p, `document.querySelector("#toggle-`+name+`").getAttribute("aria-expanded")`) != "true" {
		p.click("#toggle-" + name)
	}
}

// TestWaitingForHost: without a waiting room a guest still waits until a
// host arrives, and is then let in without anyone admitting them.
func TestWaitingForHost(t *testing.T) {
	srv := startServerWith(t, "--host", hostEmail, "--no-waiting-room")
	browser := newBrowser(t)
	ada := guestArrives(t, browser, srv, "Ada", devices{})
	ada.waitStatus("waiting", 15*time.Second)
	ada.waitText("#waiting-message", "Waiting for the host to arrive", 5*time.Second)
	if got := ada.state("waiting.reason"); got != `"host_absent"` {
		t.Errorf("waiting reason %s, want host_absent", got)
	}
	hostJoins(t, browser, srv, devices{})
	ada.waitStatus("joined", 15*time.Second)
}

// TestWaitingRoomAdmit: a guest waits, learning nothing about the meeting,
// until the host admits them; then both are in the call together.
func TestWaitingRoomAdmit(t *testing.T) {
	srv := startModeratedServer(t)
	browser := newBrowser(t)
	host := hostJoins(t, browser, srv, devices{camera: true, mic: true})
	ada := guestArrives(t, browser, srv, "Ada", devices{camera: true, mic: true})
	var adaID, hostID string

	t.Run("the guest waits and learns nothing", func(t *testing.T) {
		ada.waitStatus("waiting", 15*time.Second)
		ada.waitText("#waiting-message", "Waiting for the host to let you in", 5*time.Second)
		if !eval[bool](ada, `document.querySelector("#waiting-leave") !== null`) {
			t.Error("no Leave button on the waiting screen")
		}
		for field, want := range map[string]string{"title": `""`, "others": `[]`, "selfId": `null`, "waiting.reason": `"waiting_room"`} {
			if got := ada.state(field); got != want {
				t.Errorf("waiting guest's %s = %s, want %s", field, got, want)
			}
		}
		if eval[bool](ada, `!!document.querySelector("#tile-grid")`) {
			t.Error("the waiting guest sees the call")
		}
	})

	t.Run("the host sees the guest queued", func(t *testing.T) {
		adaID = host.lobbyID("Ada")
		host.waitText("#toggle-lobby", "Waiting (1)", 5*time.Second)
		host.openPanel("lobby")
		row := fmt.Sprintf(`[data-lobby-id=%q]`, adaID)
		host.waitText(row, "Ada", 5*time.Second)
		host.waitText(row+" .badge", "Guest", 5*time.Second)
		host.click(row + ` [data-action="admit"]`)
	})

	t.Run("admitted, both see each other", func(t *testing.T) {
		ada.waitStatus("joined", 15*time.Second)
		adaID, hostID = ada.id(), host.id()
		host.waitVideoFrom(adaID, "camera", 20*time.Second)
		ada.waitVideoFrom(hostID, "camera", 20*time.Second)
		host.waitText("#toggle-lobby", "Waiting (0)", 5*time.Second)
		if got := ada.state("role"); got != `"guest"` {
			t.Errorf("guest's role %s", got)
		}
		hostTile := fmt.Sprintf(`[data-participant-id=%q][data-source="camera"]`, hostID)
		ada.waitText(hostTile+" .badge.role", "Host", 5*time.Second)
		ada.waitText(hostTile+" .badge.verified", "Verified", 5*time.Second)
		host.waitText(fmt.Sprintf(`[data-participant-id=%q][data-source="camera"] .badge.guest`, adaID), "Guest", 5*time.Second)
		if eval[bool](ada, `!document.querySelector("#toggle-lobby").hidden || !document.querySelector("#toggle-host").hidden`) {
			t.Error("the guest is offered host controls")
		}
	})

	t.Run("muted by the host; unmuted only by the guest", func(t *testing.T) {
		host.personAction(adaID, "mute-audio")
		ada.waitFor("microphone off", `window.conclave.state().local.audio === false`, 10*time.Second)
		host.waitFor("host sees Ada muted", `window.conclave.state().others.some(p => p.id === `+strconv.Quote(adaID)+` && !p.audio)`, 10*time.Second)
		host.personAction(adaID, "ask-unmute")
		ada.waitText("#unmute-prompt", "The host asks you to turn on your microphone", 10*time.Second)
		time.Sleep(500 * time.Millisecond)
		if ada.state("local.audio") != "false" {
			t.Fatal("the request turned the microphone on by itself")
		}
		ada.click("#unmute-accept")
		ada.waitFor("microphone on", `window.conclave.state().local.audio === true`, 10*time.Second)
		host.waitFor("host sees Ada unmuted", `window.conclave.state().others.some(p => p.id === `+strconv.Quote(adaID)+` && p.audio)`, 10*time.Second)
	})

	t.Run("chat, and chat turned off for guests", func(t *testing.T) {
		host.openPanel("chat")
		host.do(chromedp.SendKeys("#chat-input", "Welcome, Ada"), chromedp.Click("#chat-send"))
		ada.waitFor("message arrives", `window.conclave.state().chat.some(m => m.text === "Welcome, Ada" && m.from === `+strconv.Quote(hostID)+`)`, 10*time.Second)
		ada.openPanel("chat")
		ada.waitText("#chat-log", "Welcome, Ada", 5*time.Second)

		host.openPanel("host")
		host.click("#setting-chat")
		ada.waitFor("chat off", `window.conclave.state().settings.chat === false`, 10*time.Second)
		ada.waitFor("input disabled", `document.querySelector("#chat-input").disabled`, 5*time.Second)
		ada.waitText("#chat-note", "The host turned chat off.", 5*time.Second)
		seq := eval[int](ada, `window.conclave.chat("let me talk")`)
		ada.waitFor("forbidden", `window.conclave.state().errors.some(e => e.code === "forbidden" && e.ref === `+strconv.Itoa(seq)+`)`, 10*time.Second)
	})
}

// TestDeniedGuest: a guest the host denies is told so, finally.
func TestDeniedGuest(t *testing.T) {
	srv := startModeratedServer(t)
	browser := newBrowser(t)
	host := hostJoins(t, browser, srv, devices{})
	bob := guestArrives(t, browser, srv, "Bob", devices{})
	bob.waitStatus("waiting", 15*time.Second)
	id := host.lobbyID("Bob")
	host.openPanel("lobby")
	host.click(fmt.Sprintf(`[data-lobby-id=%q] [data-action="deny"]`, id))
	bob.waitEnded("denied", "The host did not let you in.", true)
	host.waitFor("queue empty", `window.conclave.state().lobby.length === 0`, 10*time.Second)
}

// TestLockedMeeting: a locked meeting refuses newcomers; someone already
// waiting is told, and the host may still let them in.
func TestLockedMeeting(t *testing.T) {
	srv := startModeratedServer(t)
	browser := newBrowser(t)
	host := hostJoins(t, browser, srv, devices{})
	cleo := guestArrives(t, browser, srv, "Cleo", devices{})
	cleo.waitStatus("waiting", 15*time.Second)
	cleoID := host.lobbyID("Cleo")

	host.openPanel("host")
	host.waitText("#lock-meeting", "Lock meeting", 5*time.Second)
	host.click("#lock-meeting")
	host.waitFor("locked", `window.conclave.state().settings.locked === true`, 10*time.Second)
	host.waitText("#lock-meeting", "Unlock meeting", 5*time.Second)

	t.Run("the waiting guest is told", func(t *testing.T) {
		cleo.waitText("#waiting-locked", "The meeting is locked; the host may still let you in", 10*time.Second)
	})

	dan := guestArrives(t, browser, srv, "Dan", devices{})
	t.Run("a newcomer is refused", func(t *testing.T) {
		dan.waitEnded("meeting_locked", "This meeting is locked. Nobody new can join.", false)
	})

	t.Run("the host still admits the one waiting", func(t *testing.T) {
		if got := eval[int](host, `window.conclave.admit(`+strconv.Quote(cleoID)+`)`); got == 0 {
			t.Fatal("admit not sent")
		}
		cleo.waitStatus("joined", 15*time.Second)
	})

	t.Run("unlocked, newcomers wait again", func(t *testing.T) {
		host.click("#lock-meeting")
		host.waitFor("unlocked", `window.conclave.state().settings.locked === false`, 10*time.Second)
		dan.click("#rejoin")
		dan.waitFor("pre-join", `!!document.querySelector("#join-button")`, 10*time.Second)
		dan.acceptNotice()
		dan.click("#join-button")
		dan.waitStatus("waiting", 15*time.Second)
	})

	t.Run("ending the meeting reaches those in it and those waiting", func(t *testing.T) {
		host.click("#end-meeting")
		host.waitFor("asked to confirm", `document.activeElement && document.activeElement.id === "end-meeting-confirm"`, 5*time.Second)
		host.click("#end-meeting-confirm")
		cleo.waitEnded("meeting_ended", "The host ended the meeting.", false)
		dan.waitEnded("meeting_ended", "The host ended the meeting.", false)
	})
}

// TestBannedGuest: removed and banned, a guest cannot come back from the
// same browser.
func TestBannedGuest(t *testing.T) {
	srv := startModeratedServer(t)
	browser := newBrowser(t)
	host := hostJoins(t, browser, srv, devices{})
	eve := guestArrives(t, browser, srv, "Eve", devices{camera: true})
	eve.waitStatus("waiting", 15*time.Second)
	host.lobbyID("Eve")
	host.openPanel("lobby")
	host.click("#lobby-admit-all")
	eve.waitStatus("joined", 15*time.Second)
	eveID := eve.id()

	host.personAction(eveID, "remove-ban")
	eve.waitEnded("banned", "You were removed and cannot rejoin this meeting.", true)
	if got := eve.state("local"); got != `{"audio":false,"video":false,"screen":false}` {
		t.Errorf("after the ban Eve still captures %s", got)
	}
	host.waitFor("Eve gone", `!window.conclave.state().others.some(p => p.id === `+strconv.Quote(eveID)+`)`, 10*time.Second)

	// Same browser, same device token: refused at hello. (Leaving the page
	// first makes opening the link a real page load, not a hash change.)
	eve.do(chromedp.Navigate("about:blank"))
	eve.enter(srv, devices{})
	eve.waitEnded("banned", "You were removed and cannot rejoin this meeting.", true)
}

// TestPresenterScreenShare: a guest may not share the screen (the button
// says why, and the server refuses a forged media_state) until the host
// makes them presenter; taking the role away stops the share.
func TestPresenterScreenShare(t *testing.T) {
	srv := startModeratedServer(t)
	browser := newBrowser(t)
	host := hostJoins(t, browser, srv, devices{})
	finn := guestArrives(t, browser, srv, "Finn", devices{})
	finn.waitStatus("waiting", 15*time.Second)
	if eval[int](host, `window.conclave.admit(`+strconv.Quote(host.lobbyID("Finn"))+`)`) == 0 {
		t.Fatal("admit not sent")
	}
	finn.waitStatus("joined", 15*time.Second)
	finnID := finn.id()

	t.Run("a guest cannot share", func(t *testing.T) {
		if !eval[bool](finn, `document.querySelector("#toggle-screen").disabled`) {
			t.Error("screen-share button enabled for a guest")
		}
		if title := eval[string](finn, `document.querySelector("#toggle-screen").title`); title != "Only presenters can share their screen" {
			t.Errorf("screen-share button title %q", title)
		}
		seq := eval[int](finn, `window.conclave.send("media_state", {audio: false, video: false, screen: true})`)
		if seq == 0 {
			t.Fatal("forged media_state not sent")
		}
		finn.waitFor("forbidden", `window.conclave.state().errors.some(e => e.code === "forbidden" && e.ref === `+strconv.Itoa(seq)+`)`, 10*time.Second)
		if eval[bool](host, `window.conclave.state().others.some(p => p.id === `+strconv.Quote(finnID)+` && p.screen)`) {
			t.Error("the host was told Finn shares a screen")
		}
	})

	t.Run("as presenter the share reaches the host", func(t *testing.T) {
		host.personAction(finnID, "make-presenter")
		finn.waitFor("presenter", `window.conclave.state().role === "presenter"`, 10*time.Second)
		finn.waitFor("button enabled", `!document.querySelector("#toggle-screen").disabled`, 5*time.Second)
		host.waitText(fmt.Sprintf(`[data-participant-id=%q][data-source="camera"] .badge.role`, finnID), "Presenter", 5*time.Second)
		finn.click("#toggle-screen")
		finn.passShareReminder()
		finn.waitFor("sharing", `window.conclave.state().local.screen === true`, 10*time.Second)
		host.waitVideoFrom(finnID, "screen", 20*time.Second)
	})

	t.Run("losing the role stops the share", func(t *testing.T) {
		host.personAction(finnID, "remove-presenter")
		finn.waitFor("share stopped", `window.conclave.state().local.screen === false`, 10*time.Second)
		finn.waitFor("button disabled", `document.querySelector("#toggle-screen").disabled`, 5*time.Second)
		host.waitFor("host sees no share", `!window.conclave.state().others.some(p => p.id === `+strconv.Quote(finnID)+` && p.screen)`, 10*time.Second)
	})
}
