package browser

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestOrganisationLockDown: an administrator locks screen sharing and
// chat, caps meetings at 25 participants and leaves recording and
// transcription off (their default). A host sees each of those choices
// in the new-meeting form disabled with "Locked by your organisation", the
// cap as the field's maximum and in its hint, so that more than the cap
// fails the form's check before anything is sent; in the call, the host controls show
// the locked settings disabled with the note (docs/operations.md,
// "Organisation lock-down").
func TestOrganisationLockDown(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "user", "add", "--data", data, "--email", hostEmail, "--name", hostName, "--role", "admin")
	var m struct {
		ID       string `json:"id"`
		Passcode string `json:"passcode"`
	}
	out := cli(t, data, "meeting", "create", "--data", data, "--title", "Locked down", "--host", hostEmail, "--no-waiting-room", "--json")
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatal(err)
	}
	pid, base := serveData(t, data, "--lock-screen-share=true", "--lock-chat-off=true", "--max-participants=25")
	srv := &server{pid: pid, base: base, meetingID: m.ID, passcode: m.Passcode, meetingURL: base + "/m/" + m.ID + "#pwd=" + m.Passcode, data: data}
	browser := newBrowser(t)

	t.Run("the new-meeting form", func(t *testing.T) {
		host := signIn(t, browser, srv, hostEmail)
		host.waitFor("the meeting options", `!!document.querySelector("#meeting-options")`, 10*time.Second)
		_ = eval[bool](host, `(document.querySelector("#meeting-options").open = true)`)
		for _, c := range []struct{ input, hint string }{
			{"#opt-recording", "#opt-recording-hint"},
			{"#opt-transcription", "#opt-transcription-hint"},
			{"#opt-screen-share", "#opt-screen-share-hint"},
		} {
			if !eval[bool](host, `(() => { const e = document.querySelector("`+c.input+`"); return !!e && e.disabled && e.checkVisibility(); })()`) {
				t.Errorf("%s is not shown disabled", c.input)
			}
			if got := eval[string](host, `document.querySelector("`+c.hint+`")?.textContent ?? ""`); !strings.HasPrefix(got, "Locked by your organisation") {
				t.Errorf("%s reads %q", c.hint, got)
			}
			if got := eval[string](host, `document.querySelector("`+c.input+`").getAttribute("aria-describedby") ?? ""`); !strings.Contains(got, strings.TrimPrefix(c.hint, "#")) {
				t.Errorf("%s is described by %q, not its note", c.input, got)
			}
		}
		if got := eval[string](host, `document.querySelector("#opt-max").max`); got != "25" {
			t.Errorf("the participant field's maximum is %q, want 25", got)
		}
		host.waitText("#opt-max-hint", "Your organisation allows at most 25 per meeting", 5*time.Second)

		// The browser's own check refuses more than the maximum before
		// the form is sent (and the server would refuse it too).
		host.do(chromedp.SetValue("#opt-max", "30"))
		if !eval[bool](host, `document.querySelector("#opt-max").validity.rangeOverflow && !document.querySelector("#new-meeting-form").checkValidity()`) {
			t.Error("30 participants pass the form's check under a cap of 25")
		}
	})

	t.Run("the host controls in the call", func(t *testing.T) {
		host := hostJoins(t, browser, srv, devices{})
		host.openPanel("host")
		for _, id := range []string{"setting-screen-share", "setting-chat"} {
			host.waitFor(id+" locked", `document.querySelector("#`+id+`").disabled && !document.querySelector("#`+id+`-org").hidden`, 10*time.Second)
			if got := eval[string](host, `document.querySelector("#`+id+`-org").textContent`); got != "Locked by your organisation" {
				t.Errorf("#%s-org reads %q", id, got)
			}
			if got := eval[string](host, `document.querySelector("#`+id+`").getAttribute("aria-describedby")`); !strings.Contains(got, id+"-org") {
				t.Errorf("#%s is described by %q, not the note", id, got)
			}
		}
		if eval[bool](host, `document.querySelector("#setting-private-chat").disabled`) {
			t.Error("private chat, which the organisation did not lock, is disabled")
		}
	})
}
