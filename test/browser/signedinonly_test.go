package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSignedInOnlyMeeting: a host creates a meeting with the new-meeting
// form's "Signed-in participants only" switch on; a guest with the invite
// link is refused with the reason, and the signed-in host gets in.
func TestSignedInOnlyMeeting(t *testing.T) {
	srv := startServer(t)
	browser := newBrowser(t)
	host := signIn(t, browser, srv, hostEmail)
	host.waitFor("the meeting options", `!!document.querySelector("#meeting-options")`, 10*time.Second)
	_ = eval[bool](host, `(document.querySelector("#meeting-options").open = true)`)
	host.do(chromedp.SetValue("#meeting-title", "Accounts only"))
	host.setSwitch("#opt-signed-in-only", true)
	host.click("#create-meeting")
	host.waitFor("the invite link", `!!document.querySelector("#join-url") && document.querySelector("#join-url").value !== ""`, 10*time.Second)
	// The link's origin is the server's public URL; the test server
	// listens elsewhere, so keep the path and the fragment.
	link := eval[string](host, `(u => u.pathname + u.hash)(new URL(document.querySelector("#join-url").value))`)
	if !strings.HasPrefix(link, "/m/") || !strings.Contains(link, "#pwd=") {
		t.Fatalf("invite link %q", link)
	}
	if !eval[bool](host, `fetch("/api/meetings").then(r => r.json()).then(j => j.meetings.some(m => m.title === "Accounts only" && m.signed_in_only === true))`) {
		t.Fatal("the meeting was not created signed-in only")
	}
	only := *srv
	only.meetingURL = srv.base + link

	t.Run("a guest is refused", func(t *testing.T) {
		guest := newPerson(t, browser, "Guest")
		guest.enter(&only, devices{})
		guest.waitEnded("sign_in_required", "This meeting admits only signed-in participants", true)
	})

	t.Run("the signed-in host gets in", func(t *testing.T) {
		host.enter(&only, devices{})
		host.waitStatus("joined", 15*time.Second)
	})
}
