package browser

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conclave-meet/conclave/internal/client"
)

// TestOfficerReviewsChat: two participants (Go clients speaking the
// protocol) exchange a message to everyone and a private one; the
// administrator, as privacy officer, opens the chat review from the
// requests register, reviews the meeting's chat, sees both messages
// opened with their senders, and the look is in the audit log.
func TestOfficerReviewsChat(t *testing.T) {
	srv := startServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(srv.base, "http") + "/ws"
	received := make(chan string, 8)
	join := func(name string) *client.Client {
		t.Helper()
		c, err := client.Dial(ctx, ws, client.Hello{MeetingID: srv.meetingID, Passcode: srv.passcode, Name: name, NoticeVersion: 1},
			client.Options{OnMessage: func(typ string, data json.RawMessage) {
				if typ == "chat" && name == "Ada" {
					received <- string(data)
				}
			}})
		if err != nil {
			t.Fatalf("%s joins: %v", name, err)
		}
		t.Cleanup(c.Close)
		return c
	}
	ada, bo := join("Ada"), join("Bo")
	if err := ada.Send(ctx, "chat", map[string]any{"text": "Ahoy, everyone"}); err != nil {
		t.Fatal(err)
	}
	if err := bo.Send(ctx, "chat", map[string]any{"text": "Just between us", "to": []string{ada.ID()}}); err != nil {
		t.Fatal(err)
	}
	// Ada's copies of both mean both are stored: chat is kept before it is sent.
	for range 2 {
		select {
		case <-received:
		case <-ctx.Done():
			t.Fatal("the chat did not arrive")
		}
	}

	browser := newBrowser(t)
	officer := signIn(t, browser, srv, hostEmail)
	officer.do(chromedp.Navigate(srv.base + "/admin/requests"))
	officer.waitFor("the register", `!!document.querySelector("#chat-review-link")`, 10*time.Second)
	officer.click("#chat-review-link")
	officer.waitFor("the review page", `location.pathname === "/admin/chat" && !!document.querySelector("#chat-review-query")`, 10*time.Second)
	officer.do(chromedp.SetValue("#chat-review-query", srv.meetingID))
	officer.click("#chat-review-submit")
	rows := `Array.from(document.querySelectorAll("#chat-review-rows tr"))`
	officer.waitFor("both messages", rows+`.length === 2`, 10*time.Second)
	if !eval[bool](officer, rows+`[0].textContent.includes("Ahoy, everyone") && `+rows+`[0].textContent.includes("Ada") && `+
		rows+`[0].children[3].textContent === "everyone"`) {
		t.Errorf("the message to everyone: %s", eval[string](officer, rows+`[0].textContent`))
	}
	if !eval[bool](officer, rows+`[1].textContent.includes("Just between us") && `+rows+`[1].children[2].textContent.includes("Bo") && `+
		rows+`[1].children[3].textContent.includes("`+ada.ID()+`")`) {
		t.Errorf("the private message: %s", eval[string](officer, rows+`[1].textContent`))
	}
	if eval[bool](officer, `document.querySelector("#chat-review-export").disabled`) {
		t.Error("nothing to download after the review")
	}
	// The meeting's shared files are reviewed with its chat, and the page
	// says that, with no scanner configured, files are not scanned.
	officer.waitFor("the files part of the review", `!document.querySelector("#file-review").hidden && `+
		`document.querySelector("#file-review-scanning").textContent.includes("not scanned")`, 10*time.Second)
	if n := eval[int](officer, `fetch("/api/audit?action=chat.review").then(r => r.json()).then(j => j.entries.filter(e => `+
		`e.meeting === "`+srv.meetingID+`" && e.details.count === "2").length)`); n != 1 {
		t.Errorf("%d chat.review entries for the review", n)
	}
}

// TestChatOptionsInTheBrowser: the new-meeting form offers both chat
// options, off by default; a meeting made with them on says so in the
// list and in its Manage panel, which offers to read the chat afterwards.
func TestChatOptionsInTheBrowser(t *testing.T) {
	srv := startServer(t)
	browser := newBrowser(t)
	host := signIn(t, browser, srv, hostEmail)
	host.do(chromedp.WaitVisible("#create-meeting"))
	host.click("#meeting-options summary")
	host.waitFor("the chat options", `document.querySelector("#opt-chat-history").checkVisibility() && `+
		`document.querySelector("#opt-chat-after").checkVisibility()`, 5*time.Second)
	if eval[bool](host, `document.querySelector("#opt-chat-history").checked || document.querySelector("#opt-chat-after").checked`) {
		t.Fatal("a chat option is on by default")
	}
	host.do(chromedp.SetValue("#meeting-title", "Chat kept"))
	host.click("#opt-chat-history")
	host.click("#opt-chat-after")
	host.click("#create-meeting")
	item := `Array.from(document.querySelectorAll("li.meeting-item")).find(li => li.textContent.includes("Chat kept"))`
	host.waitFor("the meeting listed with its chat options", `(li => !!li && li.querySelector(".meeting-settings").textContent.includes("chat shown to late joiners") && `+
		`li.querySelector(".meeting-settings").textContent.includes("chat readable afterwards"))(`+item+`)`, 10*time.Second)
	id := eval[string](host, item+`.dataset.meetingId`)
	if !eval[bool](host, `fetch("/api/meetings").then(r => r.json()).then(j => j.meetings.some(m => m.id === "`+id+`" && m.chat_history && m.chat_after))`) {
		t.Fatal("the server did not store the chat options")
	}
	host.click(`li[data-meeting-id="` + id + `"] .meeting-manage > summary`)
	host.click(`li[data-meeting-id="` + id + `"] .meeting-chat > summary`)
	host.waitFor("the chat part of Manage", `document.querySelector("#meeting-`+id+`-chat-policy").textContent.includes("can read the chat they were part of") && `+
		`document.querySelector("#meeting-`+id+`-chat-read").checkVisibility()`, 5*time.Second)
}
