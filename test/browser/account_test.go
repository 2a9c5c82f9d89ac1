package browser

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestAccountLifecycle: a member changes their password from their account
// page (their other session ends, this one stays) and cannot manage
// accounts; an admin disables a member from the accounts page (the
// member's session ends at once) and cannot lock themselves out.
func TestAccountLifecycle(t *testing.T) {
	srv := startServer(t)
	cli(t, srv.data, "user", "add", "--data", srv.data, "--email", "max@example.org", "--name", "Max")
	cli(t, srv.data, "user", "add", "--data", srv.data, "--email", "zoe@example.org", "--name", "Zoe")
	browser := newBrowser(t)
	const signedIn = `fetch("/api/me").then(r => r.status === 200)`

	t.Run("a member changes their password", func(t *testing.T) {
		here := signIn(t, browser, srv, "max@example.org")
		elsewhere := signIn(t, browser, srv, "max@example.org")
		if eval[bool](here, `!!document.querySelector("#users-link")`) {
			t.Error("a member is offered the accounts page")
		}
		here.click("#account-link")
		here.waitFor("the account page", `location.pathname === "/account" && !!document.querySelector("#password-form")`, 10*time.Second)
		here.do(chromedp.SendKeys("#password-current", cliPassword), chromedp.SendKeys("#password-new", "a brand new passphrase"))
		here.click("#password-submit")
		here.waitFor("the change confirmed", `(document.querySelector("#password-changed")||{}).textContent.includes("Every other session")`, 10*time.Second)
		if !eval[bool](here, signedIn) {
			t.Error("the session that changed the password was signed out")
		}
		if eval[bool](elsewhere, signedIn) {
			t.Error("the other session still works after the password change")
		}
		here.do(chromedp.Navigate(srv.base + "/admin/users"))
		here.waitFor("refusal", `(document.querySelector("#users-no-access")||{}).textContent === "Only administrators manage accounts."`, 10*time.Second)
	})

	t.Run("an admin disables a member", func(t *testing.T) {
		zoe := signIn(t, browser, srv, "zoe@example.org")
		admin := signIn(t, browser, srv, "host@example.org")
		admin.click("#users-link")
		admin.waitFor("the accounts", `document.querySelectorAll("#users-rows tr").length === 3`, 10*time.Second)
		own := `Array.from(document.querySelectorAll("#users-rows tr")).find(r => r.textContent.includes("host@example.org"))`
		if !eval[bool](admin, own+`.querySelector("select").disabled && `+own+`.querySelector("button").disabled && `+own+`.textContent.includes("another administrator")`) {
			t.Error("an admin's own row can be changed, or does not say why not")
		}
		row := `Array.from(document.querySelectorAll("#users-rows tr")).find(r => r.textContent.includes("zoe@example.org"))`
		eval[bool](admin, row+`.querySelector("button").click() || true`)
		admin.waitFor("Zoe disabled", row+`.dataset.disabled === "true"`, 10*time.Second)
		if eval[bool](zoe, signedIn) {
			t.Error("a disabled member's session still works")
		}
		eval[bool](admin, row+`.querySelector("button").click() || true`)
		admin.waitFor("Zoe enabled again", row+`.dataset.disabled === "false"`, 10*time.Second)
	})
}
