package browser

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestMeetingManage: the host makes a new passcode from the meeting's
// Manage panel on the home page; the old link is refused, the new one gets
// a guest in; the host sets the meeting's own retention within the
// limits; then the host deletes the meeting and it leaves the list.
func TestMeetingManage(t *testing.T) {
	srv := startServer(t)
	browser := newBrowser(t)
	host := signIn(t, browser, srv, hostEmail)

	row := fmt.Sprintf(`document.querySelector('li[data-meeting-id=%s]')`, strconv.Quote(srv.meetingID))
	field := func(name string) string {
		return fmt.Sprintf(`(document.getElementById(%s)||{}).value`, strconv.Quote("meeting-"+srv.meetingID+"-"+name))
	}
	button := func(name string) string { return "#meeting-" + srv.meetingID + "-" + name }
	host.waitFor("the meeting listed", `!!`+row, 10*time.Second)
	host.click(`li[data-meeting-id="` + srv.meetingID + `"] .meeting-manage > summary`)
	host.waitFor("the Manage panel open", row+`.querySelector(".meeting-manage").open && `+field("passcode")+` === `+strconv.Quote(srv.passcode), 5*time.Second)
	// The page asks with window.confirm; answer yes as the person would.
	eval[bool](host, `(window.confirm = () => true, true)`)

	var newURL string
	t.Run("a new passcode", func(t *testing.T) {
		host.click(button("new-passcode"))
		host.waitFor("the new passcode shown", field("passcode")+` && `+field("passcode")+` !== `+strconv.Quote(srv.passcode)+
			` && `+field("link")+`.endsWith("#pwd=" + `+field("passcode")+`)`, 10*time.Second)
		// The link's origin is the server's public URL; the test server
		// listens elsewhere, so keep the path and the fragment.
		link := eval[string](host, `(u => u.pathname + u.hash)(new URL(`+field("link")+`))`)
		if !strings.HasPrefix(link, "/m/"+srv.meetingID+"#pwd=") {
			t.Fatalf("new link %q", link)
		}
		newURL = srv.base + link
	})

	t.Run("the old link is refused", func(t *testing.T) {
		old := newPerson(t, browser, "Old link")
		old.enter(srv, devices{})
		old.waitEnded("join_refused", "Meeting not found or wrong passcode", false)
	})

	t.Run("the new link gets in", func(t *testing.T) {
		if newURL == "" {
			t.Skip("no new link")
		}
		fresh := *srv
		fresh.meetingURL = newURL
		guest := newPerson(t, browser, "New link")
		guest.enter(&fresh, devices{})
		guest.waitFor("joined or waiting", `["joined", "waiting"].includes(window.conclave.state().status)`, 15*time.Second)
	})

	// The meeting's own retention, within the administrator's limit (90
	// days by default), for what this server stores: more is refused with the server's reason and
	// changes nothing; a shorter period is saved and shown; emptied, the
	// meeting follows the organisation again.
	t.Run("retention", func(t *testing.T) {
		panel := `li[data-meeting-id="` + srv.meetingID + `"] details.meeting-retention`
		chat := button("retention-chat")
		host.click(panel + ` > summary`)
		host.waitFor("the retention fields", `!!document.querySelector(`+strconv.Quote(chat)+`)`, 10*time.Second)
		host.waitText(chat+"-hint", "at most 2160h", 5*time.Second)
		// Recording and transcription are off on this server: no field
		// suggests the meeting could have recordings or transcripts.
		for _, cat := range []string{"recording", "transcript"} {
			if eval[bool](host, `!!document.querySelector(`+strconv.Quote(button("retention-"+cat))+`)`) {
				t.Errorf("a %s period is offered on a server that does not allow them", cat)
			}
		}
		if !eval[bool](host, `!!document.querySelector(`+strconv.Quote(button("retention-file"))+`)`) {
			t.Error("no period for shared files")
		}
		own := func() string {
			return eval[string](host, `fetch("/api/meetings/`+srv.meetingID+`/retention").then(r => r.json()).then(j => j.overrides.chat ?? "")`)
		}

		host.do(chromedp.SetValue(chat, "5000h"))
		host.click(button("retention-save"))
		host.waitText(panel+" .error-box", "chat retention must be at most 90 days, the organisation's limit", 10*time.Second)
		if got := own(); got != "" {
			t.Errorf("a refused period was stored: %q", got)
		}

		host.do(chromedp.SetValue(chat, "2h"))
		host.click(button("retention-save"))
		host.waitText(chat+"-hint", "Now this meeting: 2h", 10*time.Second)
		if got := own(); got != "2h" {
			t.Errorf("the meeting's chat is kept for %q, want 2h", got)
		}
		if !eval[bool](host, `document.querySelector(`+strconv.Quote(panel+" .error-box")+`).hidden`) {
			t.Error("the earlier error still shows after a save")
		}

		// chromedp's SetValue cannot set an empty value: clear it here.
		_ = eval[bool](host, `(document.querySelector(`+strconv.Quote(chat)+`).value = "", true)`)
		host.click(button("retention-save"))
		host.waitText(chat+"-hint", "Now organisation's period", 10*time.Second)
		if got := own(); got != "" {
			t.Errorf("emptied, the meeting still keeps chat for %q", got)
		}
	})

	t.Run("delete", func(t *testing.T) {
		host.waitFor("the panel redrawn", `!!document.querySelector(`+strconv.Quote(button("delete"))+`)`, 5*time.Second)
		host.click(button("delete"))
		host.waitFor("the meeting gone from the list", `!`+row+` && document.querySelectorAll("li.meeting-item").length === 0`, 10*time.Second)
		if got := eval[int](host, `fetch("/api/meetings/`+srv.meetingID+`/passcode", {method: "POST"}).then(r => r.status)`); got != 404 {
			t.Errorf("the deleted meeting answers %d, want 404", got)
		}
	})
}
