package browser

import (
	"fmt"
	"testing"
	"time"
)

// TestAdmitPastLimit: in a meeting for two, the host admitting a second
// guest is told the meeting is full and stays in it; meeting_full answering
// an admit is not a join refusal (web/src/session.ts onError).
func TestAdmitPastLimit(t *testing.T) {
	srv := startServerWith(t, "--host", hostEmail, "--max-participants", "2")
	browser := newBrowser(t)
	host := hostJoins(t, browser, srv, devices{})
	ada := guestArrives(t, browser, srv, "Ada", devices{})
	ada.waitStatus("waiting", 15*time.Second)
	host.openPanel("lobby")
	host.click(fmt.Sprintf(`[data-lobby-id=%q] [data-action="admit"]`, host.lobbyID("Ada")))
	ada.waitStatus("joined", 15*time.Second)

	bob := guestArrives(t, browser, srv, "Bob", devices{})
	bob.waitStatus("waiting", 15*time.Second)
	host.click(fmt.Sprintf(`[data-lobby-id=%q] [data-action="admit"]`, host.lobbyID("Bob")))

	host.waitText("#mod-notice", "The meeting is full", 10*time.Second)
	host.waitFor("meeting_full recorded as non-fatal", `window.conclave.state().errors.some(e => e.code === "meeting_full")`, 5*time.Second)
	if got := host.state("status"); got != `"joined"` {
		t.Fatalf("host's status after the refused admit: %s, want \"joined\"", got)
	}
	// The host's connection still carries messages: Ada gets this chat.
	seq := eval[int](host, `window.conclave.chat("still here")`)
	if seq == 0 {
		t.Fatal("the host could not send a chat message")
	}
	ada.waitFor("host's chat after the refusal", `window.conclave.state().chat.some(m => m.text === "still here")`, 10*time.Second)
	if got := bob.state("status"); got != `"waiting"` {
		t.Errorf("Bob's status %s, want still \"waiting\"", got)
	}

	count := func(action string) int {
		return eval[int](host, `fetch("/api/audit?action=`+action+`").then(r => r.json()).then(j => j.entries.length)`)
	}
	if n := count("meeting.admit"); n != 1 {
		t.Errorf("%d meeting.admit entries, want 1 (Ada)", n)
	}
	if n := count("meeting.leave"); n != 0 {
		t.Errorf("%d meeting.leave entries, want none: nobody left", n)
	}
}
