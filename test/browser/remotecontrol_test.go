package browser

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Remote control as the people in the meeting meet it (docs/client.md,
// "Remote control"): the host turns it on for the meeting; Sam shares his
// screen; Cleo asks for control and Sam refuses, then she asks again and
// he grants it. Everyone sees who controls whose screen; Sam sees the
// agent's command with a pairing code, Cleo a Release button and her
// capture frame, the host Revoke. The host revokes: it ends for all, and
// both say why.

// screenTile selects the screen share tile of participant id as others see it.
func screenTile(id string) string {
	return fmt.Sprintf(`.screen-tile[data-participant-id=%q][data-self="false"]`, id)
}

// shown is a JS expression: the element sel selects exists and is visible.
func shown(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.checkVisibility() })()`, sel)
}

func TestRemoteControl(t *testing.T) {
	t.Setenv("CONCLAVE_REMOTE_CONTROL", "true")
	t.Setenv("CONCLAVE_REMOTE_CONTROL_ROLES", "host,cohost,presenter,attendee,guest") // Cleo is a guest
	srv := startServerWith(t, "--host", hostEmail, "--no-waiting-room", "--join-before-host", "--screen-share", "everyone")
	browser := newBrowser(t)
	host := hostJoins(t, browser, srv, devices{})
	sam := join(t, browser, srv, "Sam", devices{})
	cleo := join(t, browser, srv, "Cleo", devices{})
	samID := strings.Trim(sam.state("selfId"), `"`)
	cleoID := strings.Trim(cleo.state("selfId"), `"`)
	request := screenTile(samID) + " .rc-request"

	// Off by default: a share has no Request control button.
	sam.click("#toggle-screen")
	sam.passShareReminder()
	sam.waitFor("sharing", `window.conclave.state().local.screen === true`, 10*time.Second)
	cleo.waitFor("Sam's screen tile", `!!document.querySelector(`+strconv.Quote(screenTile(samID))+`)`, 15*time.Second)
	if eval[bool](cleo, shown(request)) {
		t.Fatal("Request control is offered while remote control is off")
	}

	host.openPanel("host")
	host.click("#setting-remote-control")
	for _, p := range []*person{host, sam, cleo} {
		p.waitFor("remote control on", `window.conclave.state().settings.remote_control === true`, 10*time.Second)
	}
	cleo.waitFor("the Request control button", shown(request), 10*time.Second)
	if eval[bool](sam, `!!document.querySelector('.screen-tile[data-self="true"] .rc-request')`) {
		t.Fatal("the sharer is offered to request control of their own screen")
	}

	// Refused first.
	cleo.click(request)
	cleo.waitFor("the request pending", `document.querySelector(`+strconv.Quote(request)+`).disabled`, 5*time.Second)
	sam.waitText("#control-prompt", "Cleo asks to control your screen", 10*time.Second)
	if got := eval[string](sam, `document.querySelector("#control-prompt").getAttribute("role")`); got != "alertdialog" {
		t.Fatalf("the prompt's role is %q", got)
	}
	if got := eval[string](sam, `document.activeElement.id`); got != "control-refuse" {
		t.Fatalf("focus in the prompt on %q", got)
	}
	sam.click("#control-refuse")
	cleo.waitText("#remote-control-notice", "not granted: refused", 10*time.Second)
	cleo.waitFor("the button back", `!document.querySelector(`+strconv.Quote(request)+`).disabled`, 5*time.Second)

	// Granted.
	cleo.click(request)
	sam.waitText("#control-prompt", "Cleo asks to control your screen", 10*time.Second)
	sam.click("#control-grant")
	sam.waitFor("the prompt closed", `document.querySelector("#control-prompt").hidden`, 5*time.Second)
	for _, p := range []*person{host, sam, cleo} {
		p.waitText("#remote-control-banner", "Cleo is controlling Sam’s screen", 10*time.Second)
		if got := eval[string](p, `document.querySelector("#remote-control-banner .rc-grant").dataset.controller`); got != cleoID {
			t.Errorf("%s: the banner names controller %q, want %q", p.name, got, cleoID)
		}
		if got := eval[string](p, `document.querySelector("#remote-control-banner").getAttribute("aria-live")`); got != "polite" {
			t.Errorf("%s: the banner is not announced (aria-live %q)", p.name, got)
		}
	}
	// The sharer: Stop, and the agent's command with a pairing code.
	sam.waitText(".rc-agent-command", "conclave agent --server "+srv.base+" --meeting "+srv.meetingID+" --code ", 10*time.Second)
	if code := eval[string](sam, `document.querySelector(".rc-agent").dataset.code`); code == "" || strings.Contains(code, ".") {
		t.Errorf("pairing code %q (a meeting without E2EE has no key part)", code)
	}
	if !eval[bool](sam, shown(".rc-stop")) || eval[bool](sam, shown(".rc-revoke")) {
		t.Error("the sharer does not see Stop alone")
	}
	// The controller: Release, the frame around the screen, focus on it.
	cleo.waitFor("Release control", shown(".rc-release"), 5*time.Second)
	cleo.waitFor("the capture frame", `document.querySelector(`+strconv.Quote(screenTile(samID))+`).classList.contains("rc-controlled")`, 10*time.Second)
	cleo.waitFor("focus on the shared screen", `document.activeElement === document.querySelector(`+strconv.Quote(screenTile(samID)+" video")+`)`, 5*time.Second)
	if eval[bool](cleo, shown(".rc-agent-command")) || eval[bool](cleo, shown(".rc-revoke")) {
		t.Error("the controller sees the sharer's or the host's controls")
	}
	if eval[bool](cleo, shown(request)) {
		t.Error("Request control is still offered for a controlled screen")
	}
	// The host: Revoke.
	host.waitFor("Revoke", shown(".rc-revoke"), 5*time.Second)
	if eval[bool](host, shown(".rc-agent-command")) {
		t.Error("the host sees the pairing code")
	}

	host.click(".rc-revoke")
	for _, p := range []*person{host, sam, cleo} {
		p.waitFor("the banner gone", `document.querySelector("#remote-control-banner").hidden`, 10*time.Second)
	}
	sam.waitText("#remote-control-notice", "Remote control of your screen ended: a host revoked it", 5*time.Second)
	cleo.waitText("#remote-control-notice", "Remote control of Sam’s screen ended: a host revoked it", 5*time.Second)
	cleo.waitFor("no capture frame", `!document.querySelector(`+strconv.Quote(screenTile(samID))+`).classList.contains("rc-controlled")`, 5*time.Second)
	cleo.waitFor("Request control again", shown(request), 5*time.Second)
}
