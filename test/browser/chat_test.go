package browser

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The chat panel (docs/client.md, Meeting flow 11): messages to everyone,
// privately to one person or to a group picked under "To", the host's
// chat settings and deletions, as each participant's page shows them.

// chatTo opens the chat's To list and leaves exactly the participants
// ids ticked (none: Everyone), then closes it with Done.
func (p *person) chatTo(ids ...string) {
	p.t.Helper()
	p.openPanel("chat")
	if eval[string](p, `document.querySelector("#chat-to").getAttribute("aria-expanded")`) != "true" {
		p.click("#chat-to")
	}
	p.waitFor("the To list", `document.querySelector("#chat-to-list").checkVisibility()`, 5*time.Second)
	if !eval[bool](p, `document.querySelector("#chat-to-everyone").checked`) {
		p.click("#chat-to-everyone") // untick everyone picked before
	}
	for _, id := range ids {
		sel := fmt.Sprintf(`#chat-to-list input[data-target=%q]`, id)
		p.waitFor("a tick box for "+id, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && !e.disabled })()`, sel), 10*time.Second)
		p.click(sel)
	}
	p.click("#chat-to-done")
	p.waitFor("the To list closed, focus back on To", `document.querySelector("#chat-to-list").hidden && document.activeElement === document.querySelector("#chat-to")`, 5*time.Second)
}

// say writes text in the chat's input and presses Send.
func (p *person) say(text string) {
	p.t.Helper()
	p.openPanel("chat")
	p.waitFor("the chat input enabled", `!document.querySelector("#chat-input").disabled`, 5*time.Second)
	_ = eval[bool](p, fmt.Sprintf(`(() => {
		const e = document.querySelector("#chat-input");
		e.focus(); e.value = %q; e.dispatchEvent(new Event("input", {bubbles: true}));
		return true })()`, text))
	p.click("#chat-send")
}

// chatID waits until the person has a message with text and returns its ID.
func (p *person) chatID(text string) string {
	p.t.Helper()
	find := `(window.conclave.state().chat.find(m => m.text === ` + strconv.Quote(text) + `) || {}).id || ""`
	p.waitFor(fmt.Sprintf("message %q", text), find, 10*time.Second)
	return eval[string](p, find)
}

// chatRow is the selector of message id in the chat log.
func chatRow(id string) string {
	return fmt.Sprintf(`#chat-log [data-chat-id=%q]`, id)
}

// neverSaw checks that the person's state and page hold nothing of text.
func (p *person) neverSaw(text string) {
	p.t.Helper()
	if eval[bool](p, `window.conclave.state().chat.some(m => m.text.includes(`+strconv.Quote(text)+`))`) {
		p.t.Errorf("%s received %q", p.name, text)
	}
	if eval[bool](p, `document.body.textContent.includes(`+strconv.Quote(text)+`)`) {
		p.t.Errorf("%s's page shows %q", p.name, text)
	}
}

// TestChat: three people, the host and two guests, in Chromium. A private
// message reaches only its recipient, marked as such; a group message
// reaches the two picked; the host deletes a message for everyone; the
// host's chat settings (who may write, private messages) disable a
// guest's composer, saying why, and the server refuses what it forbids.
func TestChat(t *testing.T) {
	srv := startServerWith(t, "--host", hostEmail, "--no-waiting-room")
	browser := newBrowser(t)
	host := hostJoins(t, browser, srv, devices{})
	ada := join(t, browser, srv, "Ada", devices{})
	bo := join(t, browser, srv, "Bo", devices{})
	hostID, adaID, boID := host.id(), ada.id(), bo.id()
	for _, p := range []*person{host, ada} {
		p.waitFor("three in the meeting", `window.conclave.state().others.length === 2`, 10*time.Second)
	}

	t.Run("the To list is a keyboard-operable group", func(t *testing.T) {
		ada.openPanel("chat")
		ada.waitText("#chat-to", "Everyone", 5*time.Second)
		if got := eval[string](ada, `document.querySelector("#chat-to-list legend").textContent`); got != "Send to" {
			t.Errorf("the To list's legend is %q", got)
		}
		ada.do(chromedp.Focus("#chat-to"), chromedp.KeyEvent(kb.Enter))
		ada.waitFor("focus on Everyone", `document.activeElement === document.querySelector("#chat-to-everyone")`, 5*time.Second)
		if n := eval[int](ada, `document.querySelectorAll("#chat-to-list input[data-target]:not([data-target=''])").length`); n != 2 {
			t.Errorf("Ada can pick %d people, want 2 (the host and Bo)", n)
		}
		// Space ticks Bo; Escape closes the list, not the panel.
		ada.do(chromedp.Focus(fmt.Sprintf(`#chat-to-list input[data-target=%q]`, boID)), chromedp.KeyEvent(" "))
		ada.waitText("#chat-to", "Bo (private)", 5*time.Second)
		if eval[bool](ada, `document.querySelector("#chat-to-everyone").checked`) {
			t.Error("Everyone stays ticked with Bo picked")
		}
		ada.do(chromedp.KeyEvent(kb.Escape))
		ada.waitFor("the list closed, focus on To", `document.querySelector("#chat-to-list").hidden && document.activeElement === document.querySelector("#chat-to")`, 5*time.Second)
		if eval[string](ada, `document.querySelector("#toggle-chat").getAttribute("aria-expanded")`) != "true" {
			t.Error("Escape in the To list closed the chat panel")
		}
		if got := eval[string](ada, `document.querySelector("#chat-to-desc").textContent`); got != "Your message goes privately to Bo." {
			t.Errorf("the input's description says %q", got)
		}
	})

	var privID, publicID, groupID string
	t.Run("a private message reaches only its recipient", func(t *testing.T) {
		ada.chatTo(boID)
		ada.say("psst, Bo: only you")
		privID = ada.chatID("psst, Bo: only you")
		if got := ada.state(`chat.find(m => m.id === "` + privID + `").to`); got != `["`+boID+`"]` {
			t.Errorf("the private message went to %s", got)
		}
		ada.waitText(chatRow(privID)+" .chat-to", "privately to Bo", 5*time.Second)

		bo.chatID("psst, Bo: only you")
		bo.openPanel("chat")
		row := chatRow(privID)
		bo.waitText(row, "psst, Bo: only you", 5*time.Second)
		bo.waitText(row+" .chat-from", "Ada", 5*time.Second)
		bo.waitText(row+" .chat-to", "privately to you", 5*time.Second)
		if kind := eval[string](bo, `document.querySelector(`+strconv.Quote(row)+`).dataset.kind`); kind != "private" {
			t.Errorf("Bo's row is marked %q, want private", kind)
		}

		// Messages reach everyone in order: once the host has the next
		// message to everyone, the private one would have come before it.
		ada.chatTo()
		ada.say("hello everyone")
		publicID = host.chatID("hello everyone")
		host.openPanel("chat")
		host.waitText(chatRow(publicID), "hello everyone", 5*time.Second)
		host.neverSaw("psst, Bo")
	})

	t.Run("a group message reaches the two picked", func(t *testing.T) {
		ada.chatTo(boID, hostID)
		ada.waitText("#chat-to", "Bo and Host (group)", 5*time.Second)
		ada.say("to the two of you")
		groupID = ada.chatID("to the two of you")
		if got := ada.state(`chat.find(m => m.id === "` + groupID + `").to.slice().sort()`); !strings.Contains(got, boID) || !strings.Contains(got, hostID) {
			t.Errorf("the group message went to %s", got)
		}
		ada.waitText(chatRow(groupID)+" .chat-to", "to Bo and Host", 5*time.Second)
		bo.chatID("to the two of you")
		bo.waitText(chatRow(groupID)+" .chat-to", "to you and Host", 5*time.Second)
		// With the panel open, the announcer says it (the log itself is
		// not a live region).
		bo.waitFor("the message announced", `document.querySelector("#announcer").textContent.includes("Ada, to you and Host: to the two of you")`, 5*time.Second)
		if eval[bool](bo, `(() => { const l = document.querySelector("#chat-log"); return l.hasAttribute("aria-live") || l.getAttribute("role") === "log" })()`) {
			t.Error("the chat log is a live region")
		}
		host.chatID("to the two of you")
		host.waitText(chatRow(groupID)+" .chat-to", "to you and Bo", 5*time.Second)
		if kind := eval[string](host, `document.querySelector(`+strconv.Quote(chatRow(groupID))+`).dataset.kind`); kind != "group" {
			t.Errorf("the host's row is marked %q, want group", kind)
		}
		ada.chatTo()
	})

	t.Run("the host deletes a message for everyone", func(t *testing.T) {
		if eval[bool](bo, `!!document.querySelector('#chat-log [data-action="delete"]')`) {
			t.Error("a guest is offered Delete")
		}
		row := chatRow(publicID)
		host.openPanel("chat")
		host.click(row + ` [data-action="delete"]`)
		host.waitFor("the confirmation, focused", `document.activeElement === document.querySelector(`+strconv.Quote(row+` [data-action="delete-confirm"]`)+`)`, 5*time.Second)
		host.click(row + ` [data-action="delete-confirm"]`)
		for _, p := range []*person{host, ada, bo} {
			p.waitFor("the message deleted", `window.conclave.state().chat.some(m => m.id === `+strconv.Quote(publicID)+` && m.deleted_by === `+strconv.Quote(hostID)+` && m.text === "")`, 10*time.Second)
			p.openPanel("chat")
			p.waitText(row, "Message deleted by", 5*time.Second)
			if p.hasText("#chat-log", "hello everyone") {
				t.Errorf("%s still shows the deleted text", p.name)
			}
		}
		ada.waitText(row, "Message deleted by Host", 5*time.Second)
		host.waitText(row, "Message deleted by you", 5*time.Second)
		// A guest's forged deletion is refused.
		seq := eval[int](bo, `window.conclave.deleteChat(`+strconv.Quote(groupID)+`)`)
		bo.waitFor("forbidden", `window.conclave.state().errors.some(e => e.code === "forbidden" && e.ref === `+strconv.Itoa(seq)+`)`, 10*time.Second)
	})

	t.Run("writers: hosts and presenters", func(t *testing.T) {
		host.openPanel("host")
		host.click("#setting-chat-writers-presenters")
		bo.waitFor("writers presenters", `window.conclave.state().settings.chat_writers === "presenters"`, 10*time.Second)
		bo.openPanel("chat")
		bo.waitFor("composer disabled", `document.querySelector("#chat-input").disabled && document.querySelector("#chat-send").disabled && document.querySelector("#chat-to").disabled`, 5*time.Second)
		bo.waitText("#chat-note", "Only the host, co-hosts and presenters can write", 5*time.Second)
		if d := eval[string](bo, `document.querySelector("#chat-input").getAttribute("aria-describedby")`); !strings.Contains(d, "chat-note") {
			t.Errorf("the input is described by %q, not the note", d)
		}
		seq := eval[int](bo, `window.conclave.chat("may I?")`)
		bo.waitFor("forbidden", `window.conclave.state().errors.some(e => e.code === "forbidden" && e.ref === `+strconv.Itoa(seq)+`)`, 10*time.Second)
		host.openPanel("chat")
		if eval[bool](host, `document.querySelector("#chat-input").disabled`) {
			t.Error("the host may not write")
		}

		// Made presenter, Bo writes again.
		host.personAction(boID, "make-presenter")
		bo.waitFor("composer enabled", `!document.querySelector("#chat-input").disabled && !document.querySelector("#chat-send").disabled`, 10*time.Second)
		if !eval[bool](bo, `document.querySelector("#chat-note").hidden`) {
			t.Error("the note stays for a presenter")
		}
		host.personAction(boID, "remove-presenter")
		bo.waitFor("composer disabled again", `document.querySelector("#chat-input").disabled`, 10*time.Second)

		host.openPanel("host")
		host.click("#setting-chat-writers-everyone")
		bo.waitFor("composer enabled", `!document.querySelector("#chat-input").disabled`, 10*time.Second)
	})

	t.Run("private messages off", func(t *testing.T) {
		host.openPanel("host")
		host.click("#setting-private-chat")
		ada.waitFor("private chat off", `window.conclave.state().settings.private_chat === false`, 10*time.Second)
		ada.openPanel("chat")
		ada.click("#chat-to")
		box := fmt.Sprintf(`#chat-to-list input[data-target=%q]`, boID)
		ada.waitFor("people cannot be picked", `document.querySelector(`+strconv.Quote(box)+`).disabled`, 5*time.Second)
		ada.waitText("#chat-private-note", "The host turned private messages off", 5*time.Second)
		ada.click("#chat-to-done")
		if eval[bool](ada, `document.querySelector("#chat-input").disabled`) {
			t.Error("private messages off also stopped messages to everyone")
		}
		seq := eval[int](ada, `window.conclave.chat("still private?", `+strconv.Quote(boID)+`)`)
		ada.waitFor("forbidden", `window.conclave.state().errors.some(e => e.code === "forbidden" && e.ref === `+strconv.Itoa(seq)+`)`, 10*time.Second)
		// The host still can.
		host.chatTo(adaID)
		host.say("a word in private")
		ada.chatID("a word in private")
		host.openPanel("host")
		host.click("#setting-private-chat")
		ada.waitFor("private chat on", `window.conclave.state().settings.private_chat === true`, 10*time.Second)
	})

	t.Run("unread count and notice while the chat is closed", func(t *testing.T) {
		bo.toggleClosed("chat")
		host.chatTo()
		host.say("one for the road")
		bo.waitText("#toggle-chat", "Chat (1)", 10*time.Second)
		bo.waitText(`#call-notices [data-notice="chat"]`, "one for the road", 5*time.Second)
	})

	t.Run("a guest's proof on the ended screen", func(t *testing.T) {
		// The server issues every guest a proof on entry (signal
		// sendGuestProof, wired in serve): Cy's page only records the
		// token the server sent, to compare it with the one shown.
		cy := newPerson(t, browser, "Cy")
		cy.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recordGuestProof})
			return err
		}))
		cy.enter(srv, devices{})
		cy.waitStatus("joined", 15*time.Second)
		cyID := cy.id()
		cy.waitFor("the server's guest proof", `window.conclave.state().guestProof !== null && typeof window.__guestToken === "string"`, 10*time.Second)
		token := eval[string](cy, `window.__guestToken`)
		if eval[bool](cy, `(JSON.stringify(localStorage) + JSON.stringify(sessionStorage)).includes(window.__guestToken)`) {
			t.Error("the one-time code is kept in the browser's storage")
		}
		if eval[bool](cy, `!!document.querySelector("#guest-proof")`) {
			t.Error("the proof shows during the call")
		}
		cy.click("#leave")
		cy.waitStatus("ended", 10*time.Second)
		cy.waitText("#guest-proof-id", cyID, 5*time.Second)
		if got := eval[string](cy, `document.querySelector("#guest-proof-token").textContent`); got != token {
			t.Errorf("the one-time code shown is %q, want %q", got, token)
		}
		cy.waitText("#guest-proof", "Your participant ID: "+cyID+" and one-time code: ", 5*time.Second)
		if href := eval[string](cy, `document.querySelector("#guest-proof a").getAttribute("href")`); href != "/privacy/info" {
			t.Errorf("the proof links to %q", href)
		}
		if !eval[bool](cy, `!!document.querySelector("#guest-proof-copy")`) {
			t.Error("no copy button")
		}
		if eval[bool](host, `!!window.conclave.state().guestProof`) {
			t.Error("the signed-in host got a guest proof")
		}
		if got := eval[string](cy, `document.querySelector("#guest-proof-request").getAttribute("href")`); got != "/privacy/request" {
			t.Errorf("the request link goes to %q", got)
		}

		// Cy, who left, asks for erasure with the ID and code the ended
		// screen showed; a wrong code is refused with a clear error and
		// does not use up the right one.
		cy.do(chromedp.Navigate(srv.base + "/privacy/request"))
		cy.waitFor("the request form", `!!document.querySelector("#guest-request-form")`, 10*time.Second)
		cy.click("#guest-request-submit")
		cy.waitText("#guest-request-error", "Enter the participant ID", 5*time.Second)
		cy.do(chromedp.SetValue("#guest-request-participant", cyID), chromedp.SetValue("#guest-request-proof", token+"x"),
			chromedp.SetValue("#guest-request-kind", "erasure"), chromedp.SetValue("#guest-request-notes", "Please erase what you keep of me."))
		cy.click("#guest-request-submit")
		cy.waitText("#guest-request-error", "do not match, or the code was already used or has expired", 10*time.Second)
		cy.do(chromedp.SetValue("#guest-request-proof", token))
		cy.click("#guest-request-submit")
		cy.waitText("#guest-request-done", "was sent to the privacy officer", 10*time.Second)
		if !eval[bool](cy, `document.querySelector("#guest-request-error").hidden && document.querySelector("#guest-request-form").hidden`) {
			t.Error("the error or the form still shows after the request was sent")
		}

		// The host is an administrator: the request is in the register.
		host.do(chromedp.Navigate(srv.base + "/admin/requests"))
		row := `[...document.querySelectorAll("#request-rows tr")].find(tr => tr.textContent.includes(` + strconv.Quote(cyID) + `))`
		host.waitFor("Cy's request in the register", `!!`+row, 10*time.Second)
		if got := eval[string](host, row+`.textContent`); !strings.Contains(got, "erasure") {
			t.Errorf("the register's row for Cy reads %q", got)
		}
	})
}

// recordGuestProof runs before the page's own scripts: it records the
// token of the guest_proof the server sends in window.__guestToken, so
// that the test can compare it with the one the ended screen shows (the
// page's test hook leaves the token out on purpose).
const recordGuestProof = `(() => {
	const Native = window.WebSocket;
	window.WebSocket = class extends Native {
		constructor(...args) {
			super(...args);
			this.addEventListener("message", (ev) => {
				let m;
				try { m = JSON.parse(ev.data); } catch { return; }
				if (m.type === "guest_proof") window.__guestToken = m.data.token;
			});
		}
	};
})()`

// toggleClosed closes a side panel if it is open.
func (p *person) toggleClosed(name string) {
	p.t.Helper()
	if eval[string](p, `document.querySelector("#toggle-`+name+`").getAttribute("aria-expanded")`) == "true" {
		p.click("#toggle-" + name)
	}
}

// TestChatFirefox: a private message sent from Firefox, picked through the
// To list with real clicks, reaches only its Chromium recipient.
func TestChatFirefox(t *testing.T) {
	srv := startServer(t)
	waitFirefox := startFirefoxAsync(t)
	browser := newBrowser(t)
	ada := join(t, browser, srv, "Ada", devices{})
	bo := join(t, browser, srv, "Bo", devices{})
	ff := waitFirefox()
	t.Logf("browser: %s", ff.version)
	fox := joinFirefox(t, ff, srv, "Fiona", devices{})
	adaID := ada.id()
	fox.waitFor("three in the meeting", `window.conclave.state().others.length === 2`, 10*time.Second)

	fox.chatTo(adaID)
	fox.waitText("#chat-to", "Ada (private)", 5*time.Second)
	fox.say("for Ada's eyes only")
	id := fox.chatID("for Ada's eyes only")
	fox.waitText(chatRow(id)+" .chat-to", "privately to Ada", 5*time.Second)

	ada.chatID("for Ada's eyes only")
	ada.openPanel("chat")
	ada.waitText(chatRow(id)+" .chat-to", "privately to you", 5*time.Second)
	ada.waitText(chatRow(id)+" .chat-from", "Fiona", 5*time.Second)

	fox.chatTo()
	fox.say("hello from Firefox")
	bo.chatID("hello from Firefox")
	bo.openPanel("chat")
	bo.waitText("#chat-log", "hello from Firefox", 5*time.Second)
	bo.neverSaw("eyes only")
}
