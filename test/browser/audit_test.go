package browser

import (
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// cliPassword is the password cli gives every account it creates.
const cliPassword = "correct horse battery staple"

// TestAudit drives the audit log page: an admin signs in through the login
// page, browses, filters and exports; a privacy officer may read it too; a
// member is told they have no access, and that refusal shows up in the log.
func TestAudit(t *testing.T) {
	srv := startServer(t)
	cli(t, srv.data, "user", "add", "--data", srv.data, "--email", "dpo@example.org", "--name", "Dee", "--role", "privacy_officer")
	cli(t, srv.data, "user", "add", "--data", srv.data, "--email", "max@example.org", "--name", "Max")
	browser := newBrowser(t)

	t.Run("a member has no access", func(t *testing.T) {
		p := signIn(t, browser, srv, "max@example.org")
		if eval[bool](p, `!!document.querySelector("#audit-link")`) {
			t.Fatal("a member is offered the audit log link")
		}
		p.do(chromedp.Navigate(srv.base + "/admin/audit"))
		p.waitFor("no-access message", `(document.querySelector("#audit-no-access")||{}).textContent === "You do not have access to the audit log."`, 10*time.Second)
		if eval[bool](p, `!!document.querySelector("#audit-rows, #export-csv")`) {
			t.Fatal("a member sees the audit log page")
		}
	})

	t.Run("a privacy officer can read it", func(t *testing.T) {
		p := signIn(t, browser, srv, "dpo@example.org")
		p.click("#audit-link")
		p.waitFor("rows", `location.pathname === "/admin/audit" && document.querySelectorAll("#audit-rows tr").length > 0`, 10*time.Second)
		if eval[bool](p, `!!document.querySelector("#audit-no-access")`) {
			t.Fatal("privacy officer refused")
		}
	})

	t.Run("an admin browses, filters and exports", func(t *testing.T) {
		p := signIn(t, browser, srv, "host@example.org")
		p.click("#audit-link")
		p.waitFor("own login listed", rowsWith(`r.dataset.action === "auth.login.success"`), 10*time.Second)
		p.waitFor("chain intact", `document.querySelector("#audit-chain").dataset.state === "intact"`, 5*time.Second)
		if !eval[bool](p, `Array.from(document.querySelectorAll("#audit-filters input, #audit-filters select")).every(e => e.labels.length > 0)`) {
			t.Error("a filter field has no label")
		}

		filterByAction(p, "auth.login.success")
		p.waitFor("only logins", `location.search.includes("action=auth.login.success") && `+
			rowsWith(`true`)+` && `+allRows(`r.dataset.action === "auth.login.success"`), 10*time.Second)
		checkCSVExport(t, p, "auth.login.success")

		p.do(chromedp.Navigate(srv.base + "/admin/audit?outcome=denied"))
		p.waitFor("the member's refusal", rowsWith(`r.dataset.action === "audit.view" && r.textContent.includes("denied")`), 10*time.Second)
		if got := p.foreignRequests(srv.base); len(got) > 0 {
			t.Errorf("requests off the server: %v", got)
		}
	})
}

// signIn opens the login page in a fresh browser context (its own cookies)
// and signs in from the keyboard, as a person would.
func signIn(t *testing.T, browser context.Context, srv *server, email string) *person {
	t.Helper()
	p := passwordStep(t, browser, srv, email)
	p.waitFor("home page after sign-in", `location.pathname === "/" && !!document.querySelector("#sign-out")`, 15*time.Second)
	return p
}

// rowsWith holds when some result row r satisfies cond.
func rowsWith(cond string) string {
	return `Array.from(document.querySelectorAll("#audit-rows tr")).some(r => ` + cond + `)`
}

// allRows holds when every result row r satisfies cond.
func allRows(cond string) string {
	return `Array.from(document.querySelectorAll("#audit-rows tr")).every(r => ` + cond + `)`
}

// filterByAction picks action in the action filter and submits
// the form with Enter from a text field.
func filterByAction(p *person, action string) {
	p.t.Helper()
	p.do(chromedp.Focus("#audit-action"))
	p.do(chromedp.SetValue("#audit-action", action))
	p.do(chromedp.Focus("#audit-actor"), chromedp.KeyEvent(kb.Enter))
}

// checkCSVExport downloads the CSV export link as the page offers it and
// checks that it holds only the filtered action.
func checkCSVExport(t *testing.T, p *person, action string) {
	t.Helper()
	href := eval[string](p, `document.querySelector("#export-csv").href`)
	if !strings.Contains(href, "format=csv") || !strings.Contains(href, "action="+action) {
		t.Fatalf("export link %q does not carry the filter", href)
	}
	got := eval[[]string](p, `fetch(document.querySelector("#export-csv").href).then(async r => [r.headers.get("content-type"), await r.text()])`)
	if len(got) != 2 || got[0] != "text/csv; charset=utf-8" {
		t.Fatalf("export answered %v", got)
	}
	rows, err := csv.NewReader(strings.NewReader(got[1])).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%s", err, got[1])
	}
	if len(rows) < 2 || rows[0][2] != "action" {
		t.Fatalf("export rows %v", rows)
	}
	for _, r := range rows[1:] {
		if r[2] != action {
			t.Fatalf("export holds %q, filtered for %q", r[2], action)
		}
	}
}
