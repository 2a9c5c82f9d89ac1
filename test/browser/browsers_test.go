package browser

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// firefox102 is the user agent of a Firefox older than the client
// supports (web/src/browsers.ts: Firefox 115 or later).
const firefox102 = "Mozilla/5.0 (X11; Linux x86_64; rv:102.0) Gecko/20100101 Firefox/102.0"

// setUserAgent makes the person's tab claim to be another browser, from
// the next navigation on.
func setUserAgent(ua string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: ua})
		return err
	})
}

// TestBrowserTooOld: the pre-join screen tells a browser whose user agent
// is older than supported so, with how to update it, and lets it join all
// the same; the real Chromium is told nothing. Both are worked out in the
// page: the warning costs no request.
func TestBrowserTooOld(t *testing.T) {
	srv := startServer(t)
	browser := newBrowser(t)

	rita := newPerson(t, browser, "Rita")
	rita.openPrejoin(srv)
	if eval[bool](rita, `!!document.querySelector("#browser-warning")`) {
		t.Fatalf("the real Chromium (%s) is warned: %s", eval[string](rita, `navigator.userAgent`),
			eval[string](rita, `document.querySelector("#browser-warning").textContent`))
	}

	olga := newPerson(t, browser, "Olga")
	olga.do(setUserAgent(firefox102))
	olga.do(chromedp.Navigate(srv.meetingURL), chromedp.WaitVisible("#join-name"))
	olga.waitFor("the warning", `!!document.querySelector("#browser-warning")`, 10*time.Second)
	w := eval[struct {
		Text, Hint, Role, Browser, Version, Reason, JoinDescribedBy string
		Visible                                                     bool
	}](olga, `(() => {
		const w = document.querySelector("#browser-warning");
		const r = w.getBoundingClientRect();
		return {Text: document.querySelector("#browser-warning-text").textContent,
			Hint: document.querySelector("#browser-warning-hint").textContent,
			Role: w.getAttribute("role"), Browser: w.dataset.browser, Version: w.dataset.version, Reason: w.dataset.reason,
			JoinDescribedBy: document.querySelector("#join-button").getAttribute("aria-describedby"),
			Visible: r.width > 0 && r.height > 0 && getComputedStyle(w).visibility !== "hidden"};
	})()`)
	if !strings.HasPrefix(w.Text, "Your browser (Firefox 102) is older than Conclave supports: it needs Firefox 115 or later.") ||
		!strings.Contains(w.Hint, "Help → About Firefox") || w.Role != "status" || w.Browser != "Firefox" || w.Version != "102" ||
		w.Reason != "old" || !strings.Contains(w.JoinDescribedBy, "browser-warning") || !w.Visible {
		t.Fatalf("warning: %+v", w)
	}

	// It does not block: Olga joins as anyone would.
	olga.enter(srv, devices{})
	olga.waitFor("joined", `window.conclave && window.conclave.state().status === "joined"`, 15*time.Second)
	for _, p := range []*person{rita, olga} {
		if got := p.foreignRequests(srv.base); len(got) > 0 {
			t.Errorf("%s: requests off the server: %v", p.name, got)
		}
	}
}

// TestServerVersionFooter: administrators see the server's version, build
// date and update status at the foot of the admin pages; a privacy officer
// on the same pages sees none of it, and their page does not even ask.
func TestServerVersionFooter(t *testing.T) {
	srv := startServer(t)
	cli(t, srv.data, "user", "add", "--data", srv.data, "--email", "dpo@example.org", "--name", "Dee", "--role", "privacy_officer")
	browser := newBrowser(t)

	admin := signIn(t, browser, srv, hostEmail)
	for _, path := range []string{"/admin/users", "/admin/audit"} {
		admin.do(chromedp.Navigate(srv.base + path))
		admin.waitFor(path+": the version footer", `!document.querySelector("#server-version")?.hidden && `+
			`document.querySelector("#server-version").dataset.update === "not_configured"`, 15*time.Second)
	}
	build := eval[string](admin, `document.querySelector("#server-build").textContent`)
	update := eval[string](admin, `document.querySelector("#server-update").textContent`)
	if !strings.HasPrefix(build, "Conclave ") || !strings.Contains(update, "Release feed not configured") {
		t.Fatalf("footer: %q / %q", build, update)
	}

	dpo := signIn(t, browser, srv, "dpo@example.org")
	dpo.do(chromedp.Navigate(srv.base + "/admin/audit"))
	dpo.waitFor("the audit log", `document.querySelectorAll("#audit-rows tr").length > 0`, 15*time.Second)
	if eval[bool](dpo, `!!document.querySelector("#server-version")`) {
		t.Fatal("a privacy officer is shown the server version")
	}
	dpo.mu.Lock()
	defer dpo.mu.Unlock()
	for _, u := range dpo.requests {
		if strings.Contains(u, "/api/admin/version") {
			t.Fatalf("a privacy officer's page asked %s", u)
		}
	}
}
