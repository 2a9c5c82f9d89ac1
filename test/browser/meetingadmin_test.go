package browser

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMeetingManage: the host makes a new passcode from the meeting's
// Manage panel on the home page; the old link is refused, the new one gets
// a guest in; then the host deletes the meeting and it leaves the list.
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

	t.Run("delete", func(t *testing.T) {
		host.waitFor("the panel redrawn", `!!document.querySelector(`+strconv.Quote(button("delete"))+`)`, 5*time.Second)
		host.click(button("delete"))
		host.waitFor("the meeting gone from the list", `!`+row+` && document.querySelectorAll("li.meeting-item").length === 0`, 10*time.Second)
		if got := eval[int](host, `fetch("/api/meetings/`+srv.meetingID+`/passcode", {method: "POST"}).then(r => r.status)`); got != 404 {
			t.Errorf("the deleted meeting answers %d, want 404", got)
		}
	})
}
