package browser

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chatOpened waits until the person's chat holds a message from from whose
// text, decrypted in their browser, is text, and returns it as JSON.
func (p *person) chatOpened(from, text string) string {
	p.t.Helper()
	find := `(window.conclave.state().chat.find(m => m.from === ` + strconv.Quote(from) + ` && m.text === ` + strconv.Quote(text) +
		` && m.seal === "open") || null)`
	p.waitFor("decrypted "+strconv.Quote(text), find+` !== null`, 15*time.Second)
	return eval[string](p, `JSON.stringify(`+find+`)`)
}

// TestEndToEndEncryptedChat: in an end-to-end encrypted meeting (made by
// the administrator with chat history for late joiners), Chromium
// participants read each other's messages, decrypted in their browsers,
// while the server relays and stores only ciphertext; file sharing is off,
// saying why. A late joiner sees the earlier messages as "encrypted
// before you joined", and reads what is written after. A private message
// reaches its recipient; a third participant's page, given its
// ciphertext, cannot open it. The privacy officer's review shows only
// that each message is end-to-end encrypted.
func TestEndToEndEncryptedChat(t *testing.T) {
	srv := startServerWith(t, "--no-waiting-room", "--join-before-host")
	browser := newBrowser(t)
	officer := signIn(t, browser, srv, hostEmail)
	var created struct {
		ID       string `json:"id"`
		Passcode string `json:"passcode"`
	}
	body := eval[string](officer, `fetch("/api/meetings", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(`+
		`{title: "Counselling", waiting_room: false, join_before_host: true, e2ee: true, chat_history: true, screen_share: "everyone"})}).then(r => r.text())`)
	if err := json.Unmarshal([]byte(body), &created); err != nil || created.ID == "" {
		t.Fatalf("create the meeting: %s (%v)", body, err)
	}
	m := *srv
	m.meetingID, m.passcode = created.ID, created.Passcode
	m.meetingURL = m.base + "/m/" + m.meetingID + "#pwd=" + m.passcode

	ada := join(t, browser, &m, "Ada", devices{})
	bob := join(t, browser, &m, "Bob", devices{})
	adaID, bobID := ada.id(), bob.id()
	for _, p := range []*person{ada, bob} {
		p.waitFor("E2EE on", `window.conclave.state().settings.e2ee === true && window.conclave.state().e2ee.on`, 10*time.Second)
	}
	waitSameCode(t, "", ada, bob)

	secrets := []string{"Ada to all: the plan is on", "Bob to all: understood", "Ada to Bob only: room 7", "Ada to the three of us"}

	t.Run("two participants read each other's messages; no file sharing", func(t *testing.T) {
		ada.openPanel("chat")
		ada.waitFor("the reason for no file sharing", `document.querySelector("#chat-files-off").checkVisibility() && `+
			`document.querySelector("#chat-files-off").textContent.includes("end-to-end encrypted") && document.querySelector("#chat-attach").hidden`, 5*time.Second)
		if eval[bool](ada, `window.conclave.state().fileSharing`) {
			t.Error("a file capability in an encrypted meeting")
		}
		ada.say(secrets[0])
		sent := bob.chatOpened(adaID, secrets[0])
		ada.chatOpened(adaID, secrets[0])
		var wire struct {
			Ciphertext string `json:"ciphertext"`
		}
		if err := json.Unmarshal([]byte(sent), &wire); err != nil || len(wire.Ciphertext) < 40 {
			t.Errorf("the message did not come as ciphertext: %s (%v)", sent, err)
		}
		bob.say(secrets[1])
		ada.chatOpened(bobID, secrets[1])
		bob.waitText(chatRow(eval[string](bob, `window.conclave.state().chat.find(m => m.text === `+strconv.Quote(secrets[1])+`).id`)), secrets[1], 5*time.Second)
	})

	cy := join(t, browser, &m, "Cy", devices{})
	waitSameCode(t, "", ada, bob, cy)

	t.Run("a late joiner sees earlier messages as encrypted before they joined", func(t *testing.T) {
		cy.waitFor("the history, unreadable", `(c => c.length === 2 && c.every(m => m.history && m.seal === "before_join" && m.text === ""))(window.conclave.state().chat)`, 15*time.Second)
		cy.openPanel("chat")
		cy.waitFor("said so in the log", `Array.from(document.querySelectorAll("#chat-log [data-e2ee=before_join]")).length === 2 && `+
			`document.querySelector("#chat-log").textContent.includes("Encrypted before you joined")`, 5*time.Second)
		cy.neverSaw(secrets[0])
		cy.neverSaw(secrets[1])
	})

	t.Run("a private message is readable by its recipient only", func(t *testing.T) {
		ada.chatTo(bobID)
		ada.say(secrets[2])
		got := bob.chatOpened(adaID, secrets[2])
		ada.chatOpened(adaID, secrets[2])
		// Cy's page, handed the very message Bob received, cannot open it.
		var opened struct {
			Text string `json:"text"`
			Seal string `json:"seal"`
		}
		res := eval[string](cy, `(async () => { const m = `+got+`; m.text = ""; return JSON.stringify(await window.conclave.openChat(m)) })()`)
		if err := json.Unmarshal([]byte(res), &opened); err != nil || opened.Seal != "unreadable" || opened.Text != "" {
			t.Errorf("Cy's page opened the private message: %s (%v)", res, err)
		}
		cy.neverSaw(secrets[2])
		if s := eval[string](bob, `window.conclave.state().chat.find(m => m.text === `+strconv.Quote(secrets[2])+`).to.join()`); s != bobID {
			t.Errorf("the private message went to %q", s)
		}
	})

	t.Run("after the join, everyone reads new messages", func(t *testing.T) {
		ada.chatTo()
		ada.say(secrets[3])
		for _, p := range []*person{ada, bob, cy} {
			p.chatOpened(adaID, secrets[3])
		}
	})

	t.Run("the officer's review shows only that messages are encrypted", func(t *testing.T) {
		api := eval[string](officer, `fetch("/api/privacy/chat?meeting=`+m.meetingID+`").then(r => r.text())`)
		var review struct {
			Messages []struct {
				Text string `json:"text"`
				E2EE bool   `json:"e2ee"`
				Note string `json:"note"`
			} `json:"messages"`
		}
		if err := json.Unmarshal([]byte(api), &review); err != nil || len(review.Messages) != len(secrets) {
			t.Fatalf("review: %s (%v)", api, err)
		}
		for i, r := range review.Messages {
			if r.Text != "" || !r.E2EE || !strings.Contains(r.Note, "the server cannot read this message") {
				t.Errorf("reviewed message %d: %+v", i, r)
			}
		}
		for _, s := range secrets {
			if strings.Contains(api, s) {
				t.Errorf("the review holds %q", s)
			}
		}
		officer.do(chromedp.Navigate(m.base + "/admin/chat"))
		officer.waitFor("the review page", `!!document.querySelector("#chat-review-query")`, 10*time.Second)
		officer.do(chromedp.SetValue("#chat-review-query", m.meetingID))
		officer.click("#chat-review-submit")
		rows := `Array.from(document.querySelectorAll("#chat-review-rows tr"))`
		officer.waitFor("every message, marked encrypted", rows+`.length === 4 && `+rows+`.every(r => r.dataset.e2ee === "true" && `+
			`r.textContent.includes("End-to-end encrypted: the server cannot read this message"))`, 10*time.Second)
		for _, s := range secrets {
			if officer.hasText("#chat-review-rows", s) {
				t.Errorf("the review page shows %q", s)
			}
		}
	})
}
