package browser

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAccountRights: from their account page, a member corrects their
// name and, with their password, their e-mail address (they stay signed
// in and sign in with the new address afterwards) and asks for erasure,
// which reaches the officers' register as an open request after a
// confirmation; an officer corrects an account from a rectification
// request in the register; an account that accepted the privacy notice in
// a meeting withdraws the acceptance and is asked to accept it again at
// the next join.
func TestAccountRights(t *testing.T) {
	srv := startServer(t)
	cli(t, srv.data, "user", "add", "--data", srv.data, "--email", "max@example.org", "--name", "Max")
	browser := newBrowser(t)
	const signedIn = `fetch("/api/me").then(r => r.status === 200)`

	t.Run("a member corrects their details", func(t *testing.T) {
		max := signIn(t, browser, srv, "max@example.org")
		max.click("#account-link")
		max.waitFor("the details form", `location.pathname === "/account" && document.querySelector("#profile-name").value === "Max"`, 10*time.Second)
		max.do(chromedp.SetValue("#profile-name", "Max Mustermann"))
		max.click("#profile-submit")
		max.waitFor("the name saved", `document.querySelector("#profile-saved").textContent.includes("saved") && `+
			`document.querySelector("#signed-in-as").textContent.includes("Max Mustermann")`, 10*time.Second)

		max.do(chromedp.SetValue("#profile-email", "max.mustermann@example.org"))
		max.click("#profile-submit")
		max.waitFor("the password asked for", `(document.querySelector("#profile-error")||{}).textContent.includes("password")`, 5*time.Second)
		max.do(chromedp.SendKeys("#profile-password", cliPassword))
		max.click("#profile-submit")
		max.waitFor("the e-mail address saved", `document.querySelector("#signed-in-as").textContent.includes("max.mustermann@example.org")`, 10*time.Second)
		if !eval[bool](max, signedIn) {
			t.Error("correcting the e-mail address signed the person out")
		}
		if got := eval[string](max, `fetch("/api/me").then(r => r.json()).then(j => j.user.email + " " + j.user.name)`); got != "max.mustermann@example.org Max Mustermann" {
			t.Errorf("the server has %q", got)
		}
		again := signIn(t, browser, srv, "max.mustermann@example.org")
		if !eval[bool](again, signedIn) {
			t.Error("cannot sign in with the corrected address")
		}
	})

	t.Run("a member asks for erasure", func(t *testing.T) {
		max := signIn(t, browser, srv, "max.mustermann@example.org")
		max.do(chromedp.Navigate(srv.base + "/account"))
		max.waitFor("the requests section", `!!document.querySelector("#erasure-ask") && (document.querySelector("#my-requests")||{}).textContent.includes("no requests")`, 10*time.Second)
		max.click("#erasure-ask")
		max.waitFor("the confirmation", `!document.querySelector("#erasure-confirm-box").hidden`, 5*time.Second)
		max.click("#erasure-confirm")
		max.waitFor("the receipt", `document.querySelector("#request-sent").textContent.includes("sent to the privacy officer") && `+
			`!!document.querySelector('#my-requests li[data-kind="erasure"][data-status="open"]')`, 10*time.Second)
		if !eval[bool](max, signedIn) {
			t.Error("asking for erasure erased (or signed out) the account at once")
		}
		id := eval[string](max, `fetch("/api/me").then(r => r.json()).then(j => j.user.id)`)

		admin := signIn(t, browser, srv, hostEmail)
		admin.click("#requests-link")
		admin.waitFor("the request in the register", `Array.from(document.querySelectorAll("#request-rows tr")).some(r => `+
			`r.textContent.includes("`+id+`") && r.children[1].textContent === "erasure")`, 10*time.Second)
	})

	t.Run("an officer corrects an account on request", func(t *testing.T) {
		admin := signIn(t, browser, srv, hostEmail)
		id := eval[string](admin, `fetch("/api/users").then(r => r.json()).then(j => j.users.find(u => u.email === "max.mustermann@example.org").id)`)
		if s := eval[int](admin, `fetch("/api/privacy/requests", {method: "POST", headers: {"Content-Type": "application/json"}, `+
			`body: JSON.stringify({kind: "rectification", subject_ref: "`+id+`"})}).then(r => r.status)`); s != 201 {
			t.Fatalf("record a request: %d", s)
		}
		admin.do(chromedp.Navigate(srv.base + "/admin/requests"))
		form := `#request-rows form[data-rectify]`
		admin.waitFor("the correction form", `!!document.querySelector('`+form+`')`, 10*time.Second)
		admin.do(chromedp.SetValue(form+` input[type="text"]`, "Maximilian Mustermann"))
		admin.click(form + ` button[type="submit"]`)
		admin.waitFor("the correction done", `document.querySelector('`+form+` [data-request-done]').textContent === "Corrected."`, 10*time.Second)
		if got := eval[string](admin, `fetch("/api/users").then(r => r.json()).then(j => j.users.find(u => u.id === "`+id+`").name)`); got != "Maximilian Mustermann" {
			t.Errorf("the account's name is %q", got)
		}
	})

	t.Run("an account withdraws its notice acceptance", func(t *testing.T) {
		admin := signIn(t, browser, srv, hostEmail)
		openPrejoin := func() {
			t.Helper()
			admin.do(chromedp.Navigate("about:blank"))
			admin.do(chromedp.Navigate(srv.meetingURL), chromedp.WaitVisible("#join-name"))
			admin.setSwitch("#prejoin-camera", false)
			admin.setSwitch("#prejoin-mic", false)
			admin.waitFor("the privacy notice", noticeLoaded, 10*time.Second)
		}
		openPrejoin()
		admin.acceptNotice()
		admin.click("#join-button")
		admin.waitStatus("joined", 15*time.Second)

		admin.do(chromedp.Navigate(srv.base + "/account"))
		standing := `#my-consents li[data-kind="notice"][data-state="standing"]`
		admin.waitFor("the standing acceptance", `!!document.querySelector('`+standing+`')`, 10*time.Second)
		if !eval[bool](admin, `document.querySelector('`+standing+` .hint').textContent.includes("accept the privacy notice again")`) {
			t.Error("the page does not say what withdrawing does")
		}
		admin.click(standing + ` button[data-withdraw="notice"]`)
		admin.waitFor("the withdrawal", `!!document.querySelector('#my-consents li[data-kind="notice"][data-state="withdrawn"]') && `+
			`document.querySelector("#consent-withdrawn").textContent.startsWith("Withdrawn.")`, 10*time.Second)
		if eval[bool](admin, `fetch("/api/me/notice").then(r => r.json()).then(j => j.accepted)`) {
			t.Error("the server still counts the withdrawn acceptance")
		}
		openPrejoin()
		if eval[bool](admin, noticeAcceptedBefore) || !eval[bool](admin, `!!document.querySelector("#notice-accept").offsetParent`) {
			t.Error("after withdrawing, the next join does not ask for the tick again")
		}
	})
}
