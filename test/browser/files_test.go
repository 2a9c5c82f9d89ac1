package browser

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/dom"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Files shared in the chat (docs/client.md, Meeting flow 11; docs/api.md,
// "Files"): Attach file uploads to the people under To with the
// participant's capability from welcome; the file arrives as a chat
// message shown as a card whose Download fetches it with the capability
// and saves it through a Blob URL.

// writeFile writes a test file named name into a fresh directory and
// returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// attachFiles presses Attach file in the chat, as a person would, and
// picks paths in the file chooser it opens (intercepted through the
// DevTools protocol, so no native dialog shows).
func (p *person) attachFiles(paths ...string) {
	p.t.Helper()
	opened := make(chan cdp.BackendNodeID, 1)
	lctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	_ = chromedp.Listen(lctx, func(ev any) {
		if e, ok := ev.(*page.EventFileChooserOpened); ok {
			select {
			case opened <- e.BackendNodeID:
			default:
			}
		}
	})
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.SetInterceptFileChooserDialog, page.SetInterceptFileChooserDialogParams{Enabled: true})
		return err
	}))
	p.openPanel("chat")
	p.waitFor("Attach file enabled", `(() => { const b = document.querySelector("#chat-attach"); return !!b && b.checkVisibility() && !b.disabled })()`, 10*time.Second)
	p.click("#chat-attach")
	var node cdp.BackendNodeID
	select {
	case node = <-opened:
	case <-time.After(10 * time.Second):
		p.t.Fatalf("%s: Attach file opened no file chooser", p.name)
	}
	p.do(chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, dom.SetFileInputFiles, dom.SetFileInputFilesParams{Files: paths, BackendNodeID: node})
		return err
	}))
}

// fileMessage waits until the person has a chat message sharing a file
// named name and returns the message's and the file's IDs.
func (p *person) fileMessage(name string) (msgID, fileID string) {
	p.t.Helper()
	find := `(window.conclave.state().chat.find(m => m.file && m.file.name === ` + strconv.Quote(name) + `) || null)`
	p.waitFor("a file message for "+name, find, 15*time.Second)
	ids := eval[[]string](p, `(() => { const m = `+find+`; return [m.id, m.file.id] })()`)
	if len(ids) != 2 || ids[0] == "" || ids[1] == "" {
		p.t.Fatalf("%s: the message sharing %s has IDs %v", p.name, name, ids)
	}
	return ids[0], ids[1]
}

// catchSaves makes the page record what it saves through object URLs
// (window.__saved: the Blob, the download name, whether the URL was
// revoked) instead of handing it to the browser's downloads.
const catchSaves = `(() => {
	window.__saved = [];
	const create = URL.createObjectURL.bind(URL), revoke = URL.revokeObjectURL.bind(URL);
	URL.createObjectURL = (b) => { const url = create(b); window.__saved.push({url, blob: b, name: null, clicked: false, revoked: false}); return url; };
	URL.revokeObjectURL = (u) => { const s = window.__saved.find(x => x.url === u); if (s) s.revoked = true; revoke(u); };
	HTMLAnchorElement.prototype.click = function () {
		const s = window.__saved.find(x => x.url === this.href);
		if (s) { s.name = this.download; s.clicked = true; }
	};
	return true;
})()`

type savedFile struct {
	Name string `json:"name"`
	Text string `json:"text"`
	Size int    `json:"size"`
	Path string `json:"path"`
}

// downloadCard presses the Download button of the file card in message
// msgID and returns what the page saved.
func (p *person) downloadCard(msgID, name string) savedFile {
	p.t.Helper()
	p.openPanel("chat")
	btn := chatRow(msgID) + ` .chat-file button[data-action="download"]`
	p.waitFor("the Download button", `!!document.querySelector(`+strconv.Quote(btn)+`)`, 10*time.Second)
	if got := eval[string](p, `document.querySelector(`+strconv.Quote(btn)+`).getAttribute("aria-label")`); got != "Download "+name {
		p.t.Errorf("%s: the Download button is named %q", p.name, got)
	}
	_ = eval[bool](p, catchSaves)
	p.click(btn)
	p.waitFor("the file saved", `window.__saved.some(s => s.clicked)`, 15*time.Second)
	return eval[savedFile](p, `(async () => {
		const s = window.__saved.find(s => s.clicked);
		return {name: s.name, text: await s.blob.text(), size: s.blob.size, path: location.pathname};
	})()`)
}

// TestFileSharing: the host, Bo and Cy in Chromium. The host sends a text
// file privately to Bo with Attach file: Bo sees its card and Download
// saves exactly its content; Cy never sees it, and Cy's capability cannot
// fetch it (404). An HTML file is refused with the server's reason shown
// to the host; with chat off a guest's Attach file is disabled, saying
// why, and the server refuses the upload all the same.
func TestFileSharing(t *testing.T) {
	srv := startServerWith(t, "--host", hostEmail, "--no-waiting-room")
	browser := newBrowser(t)
	host := hostJoins(t, browser, srv, devices{})
	bo := join(t, browser, srv, "Bo", devices{})
	cy := join(t, browser, srv, "Cy", devices{})
	boID := bo.id()
	for _, p := range []*person{host, bo, cy} {
		p.waitFor("three in the meeting", `window.conclave.state().others.length === 2`, 10*time.Second)
		p.waitFor("file sharing on", `window.conclave.state().fileSharing === true`, 5*time.Second)
	}

	const content = "Agenda for Bo\n1. files — über alles\n2. nothing else\n"
	var msgID, fileID string
	t.Run("a private file reaches only its recipient", func(t *testing.T) {
		host.chatTo(boID)
		host.attachFiles(writeFile(t, "notes.txt", content))
		msgID, fileID = host.fileMessage("notes.txt")
		f := host.state(`chat.find(m => m.id === "` + msgID + `")`)
		if !strings.Contains(f, `"to":["`+boID+`"]`) || !strings.Contains(f, `"size":`+strconv.Itoa(len(content))) || !strings.Contains(f, `"type":"text/plain`) {
			t.Errorf("the host's file message is %s", f)
		}
		// The status line said so; the composer is idle again.
		host.waitFor("the upload done", `document.querySelector("#chat-file-status").dataset.state !== "uploading"`, 10*time.Second)
		if msg := eval[string](host, `document.querySelector("#chat-file-error").textContent`); msg != "" {
			t.Errorf("the host sees an error: %s", msg)
		}

		if got, _ := bo.fileMessage("notes.txt"); got != msgID {
			t.Fatalf("Bo's file message is %s, want %s", got, msgID)
		}
		bo.openPanel("chat")
		row := chatRow(msgID)
		bo.waitText(row+" .chat-file-name", "notes.txt", 5*time.Second)
		bo.waitText(row+" .chat-file-meta", strconv.Itoa(len(content))+" bytes", 5*time.Second)
		bo.waitText(row+" .chat-file-meta", "Text", 5*time.Second)
		bo.waitText(row+" .chat-to", "privately to you", 5*time.Second)
		before := eval[string](bo, `location.pathname`)
		saved := bo.downloadCard(msgID, "notes.txt")
		if saved.Name != "notes.txt" || saved.Text != content || saved.Size != len(content) {
			t.Errorf("Bo saved %q (%d bytes): %q", saved.Name, saved.Size, saved.Text)
		}
		if saved.Path != before {
			t.Errorf("the page navigated to %s", saved.Path)
		}
		got := eval[map[string]any](bo, `window.conclave.fetchFile(`+strconv.Quote(fileID)+`)`)
		if got["status"] != 200.0 || got["text"] != content {
			t.Errorf("Bo's fetch of the file: %v", got)
		}

		// Messages reach everyone in order: once Cy has the next message
		// to everyone, the file would have come before it.
		host.chatTo()
		host.say("after the file")
		cy.chatID("after the file")
		cy.openPanel("chat")
		cy.neverSaw("notes.txt")
		if eval[bool](cy, `window.conclave.state().chat.some(m => m.file) || !!document.querySelector(".chat-file")`) {
			t.Error("Cy received the file message")
		}
		denied := eval[map[string]any](cy, `window.conclave.fetchFile(`+strconv.Quote(fileID)+`)`)
		if denied["status"] != 404.0 || denied["code"] != "not_found" {
			t.Errorf("Cy's fetch of Bo's file: %v, want 404 not_found", denied)
		}
		bo.waitFor("the object URL revoked", `window.__saved.every(s => s.revoked)`, 20*time.Second)
	})

	t.Run("an HTML file is refused with the reason", func(t *testing.T) {
		host.attachFiles(writeFile(t, "page.html", "<!DOCTYPE html>\n<html><body><script>alert(1)</script></body></html>\n"))
		host.waitText("#chat-file-error", "Could not share page.html: This file type is not allowed", 15*time.Second)
		if role := eval[string](host, `document.querySelector("#chat-file-error").getAttribute("role")`); role != "alert" {
			t.Errorf("the upload error's role is %q, want alert", role)
		}
		host.click("#chat-file-error-dismiss")
		host.waitFor("the error dismissed, focus on Attach file",
			`document.querySelector("#chat-file-error").textContent === "" && document.activeElement === document.querySelector("#chat-attach")`, 5*time.Second)
		host.say("after the refusal")
		bo.chatID("after the refusal")
		if eval[bool](bo, `window.conclave.state().chat.some(m => m.text === "page.html")`) {
			t.Error("the refused file was announced")
		}
	})

	t.Run("a deleted file message loses its card", func(t *testing.T) {
		row := chatRow(msgID)
		host.openPanel("chat")
		host.click(row + ` [data-action="delete"]`)
		host.click(row + ` [data-action="delete-confirm"]`)
		for _, p := range []*person{host, bo} {
			p.waitFor("the file message deleted", `window.conclave.state().chat.some(m => m.id === `+strconv.Quote(msgID)+` && m.deleted_by !== null && m.file === null && m.text === "")`, 10*time.Second)
			p.openPanel("chat")
			p.waitText(row, "Message deleted by", 5*time.Second)
			if eval[bool](p, `!!document.querySelector(`+strconv.Quote(row+" .chat-file")+`)`) {
				t.Errorf("%s still shows the file card", p.name)
			}
		}
	})

	t.Run("no file sharing where chat writing is not allowed", func(t *testing.T) {
		host.openPanel("host")
		host.click("#setting-chat")
		bo.waitFor("chat off", `window.conclave.state().settings.chat === false`, 10*time.Second)
		bo.openPanel("chat")
		bo.waitFor("Attach file disabled", `document.querySelector("#chat-attach").disabled`, 5*time.Second)
		if d := eval[string](bo, `document.querySelector("#chat-attach").getAttribute("aria-describedby")`); d != "chat-note" {
			t.Errorf("Attach file is described by %q, not the note", d)
		}
		bo.waitText("#chat-note", "The host turned chat off", 5*time.Second)
		// Past the disabled button, the server refuses.
		r := eval[map[string]any](bo, `window.conclave.uploadFile("sneaky.txt", "let me in", [])`)
		if r["status"] != 403.0 || r["code"] != "forbidden" {
			t.Errorf("Bo's upload with chat off: %v, want 403 forbidden", r)
		}
		bo.waitText("#chat-file-error", "Could not share sneaky.txt: You may not share files", 5*time.Second)
		host.openPanel("host")
		host.click("#setting-chat")
		bo.waitFor("Attach file enabled", `!document.querySelector("#chat-attach").disabled`, 10*time.Second)
	})
}

// TestFileSharingFirefox: Ada and Cy in Chromium, Fiona in Firefox. A
// file picked in Firefox's chat (the file input set through WebDriver
// BiDi) goes privately to Ada, who downloads it; Ada sends a file
// privately to Fiona, whose Download in Firefox saves exactly its bytes.
// Cy, a recipient of neither, sees neither, and Cy's capability cannot
// fetch them (404).
func TestFileSharingFirefox(t *testing.T) {
	srv := startServer(t)
	waitFirefox := startFirefoxAsync(t)
	browser := newBrowser(t)
	ada := join(t, browser, srv, "Ada", devices{})
	cy := join(t, browser, srv, "Cy", devices{})
	ff := waitFirefox()
	t.Logf("browser: %s", ff.version)
	fox := joinFirefox(t, ff, srv, "Fiona", devices{})
	adaID, foxID := ada.id(), fox.id()
	for _, p := range []*person{ada, cy, fox} {
		p.waitFor("three in the meeting", `window.conclave.state().others.length === 2`, 10*time.Second)
		p.waitFor("file sharing on", `window.conclave.state().fileSharing === true`, 5*time.Second)
	}

	const foxContent = "from Firefox, with love\n"
	path := writeFile(t, "fox.txt", foxContent)
	fox.chatTo(adaID)
	fox.waitFor("Attach file enabled", `(() => { const b = document.querySelector("#chat-attach"); return !!b && b.checkVisibility() && !b.disabled })()`, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	v, err := ff.evaluate(ctx, ff.tab, `document.querySelector("#chat-file")`)
	node, ok := v.(bidiRemoteRef)
	if err != nil || !ok {
		t.Fatalf("no file input in Firefox's chat: %v", err)
	}
	if err := ff.call(ctx, "input.setFiles", map[string]any{
		"context": ff.tab,
		"element": map[string]any{"sharedId": node.SharedID},
		"files":   []string{path},
	}, nil); err != nil {
		t.Fatalf("set the file in Firefox: %v", err)
	}
	foxMsg, foxFile := fox.fileMessage("fox.txt")
	fox.waitText(chatRow(foxMsg)+" .chat-to", "privately to Ada", 10*time.Second)

	if got, _ := ada.fileMessage("fox.txt"); got != foxMsg {
		t.Fatalf("Ada's file message is %s, want %s", got, foxMsg)
	}
	ada.openPanel("chat")
	ada.waitText(chatRow(foxMsg)+" .chat-from", "Fiona", 10*time.Second)
	ada.waitText(chatRow(foxMsg)+" .chat-to", "privately to you", 5*time.Second)
	saved := ada.downloadCard(foxMsg, "fox.txt")
	if saved.Name != "fox.txt" || saved.Text != foxContent {
		t.Errorf("Ada saved %q: %q", saved.Name, saved.Text)
	}

	// Not ASCII, so that "exactly the bytes" covers the text's encoding.
	const adaContent = "Für Fiona — nur für dich\n"
	ada.chatTo(foxID)
	ada.attachFiles(writeFile(t, "for-fiona.txt", adaContent))
	adaMsg, adaFile := ada.fileMessage("for-fiona.txt")
	if got, _ := fox.fileMessage("for-fiona.txt"); got != adaMsg {
		t.Fatalf("Fiona's file message is %s, want %s", got, adaMsg)
	}
	fox.openPanel("chat")
	fox.waitText(chatRow(adaMsg)+" .chat-from", "Ada", 10*time.Second)
	fox.waitText(chatRow(adaMsg)+" .chat-to", "privately to you", 5*time.Second)
	saved = fox.downloadCard(adaMsg, "for-fiona.txt")
	if saved.Name != "for-fiona.txt" || saved.Text != adaContent || saved.Size != len(adaContent) {
		t.Errorf("Fiona saved %q (%d bytes): %q", saved.Name, saved.Size, saved.Text)
	}

	// Messages reach everyone in order: once Cy has the next message to
	// everyone, both files would have come before it.
	ada.chatTo()
	ada.say("after the files")
	cy.chatID("after the files")
	cy.openPanel("chat")
	cy.neverSaw("fox.txt")
	cy.neverSaw("for-fiona.txt")
	if eval[bool](cy, `window.conclave.state().chat.some(m => m.file) || !!document.querySelector(".chat-file")`) {
		t.Error("Cy received a file message")
	}
	for _, id := range []string{foxFile, adaFile} {
		denied := eval[map[string]any](cy, `window.conclave.fetchFile(`+strconv.Quote(id)+`)`)
		if denied["status"] != 404.0 || denied["code"] != "not_found" {
			t.Errorf("Cy's fetch of file %s: %v, want 404 not_found", id, denied)
		}
	}
}
