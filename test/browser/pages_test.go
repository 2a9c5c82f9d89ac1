package browser

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// pageRoutes reads the client's page list from internal/web/server.go, so
// that a page added there is visited here without anyone remembering to.
func pageRoutes(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile("../../internal/web/server.go")
	if err != nil {
		t.Fatal(err)
	}
	list := regexp.MustCompile(`for _, page := range \[\]string\{(.*)\} \{`).FindSubmatch(src)
	if list == nil {
		t.Fatal("no page list in internal/web/server.go")
	}
	var paths []string
	for _, m := range regexp.MustCompile(`"GET (/[^"]*)"`).FindAllSubmatch(list[1], -1) {
		paths = append(paths, strings.TrimSuffix(string(m[1]), "{$}"))
	}
	if len(paths) < 5 {
		t.Fatalf("page list %q", list[1])
	}
	return paths
}

// TestNoThirdPartyRequests opens every page of the client and the admin
// UI, the transparency page and the printable records of processing,
// signed in as an administrator, and checks that the browser asked
// nothing of any other origin (GDPR Art. 25, 32: no tracking, no CDNs).
func TestNoThirdPartyRequests(t *testing.T) {
	srv := startServer(t)
	browser := newBrowser(t)
	p := signIn(t, browser, srv, hostEmail)

	if !eval[bool](p, `!!document.querySelector("#processing-link") && !!document.querySelector("#audit-link")`) {
		t.Fatal("the admin's home page lacks the links to the audit log and the records of processing")
	}
	pages := append(pageRoutes(t), "/privacy/info")
	for _, path := range pages {
		url := srv.base + strings.ReplaceAll(path, "{id}", srv.meetingID)
		if strings.Contains(path, "{id}") {
			url += "#pwd=" + srv.passcode
		}
		p.do(chromedp.Navigate(url))
		p.waitFor(path+" rendered", `document.readyState === "complete" && !document.querySelector(".loading") && !!document.querySelector("h1")`, 15*time.Second)
		switch path {
		case "/m/{id}":
			p.waitFor("the pre-join privacy link", `document.querySelector("#prejoin-privacy").getAttribute("href") === "/privacy/info"`, 10*time.Second)
		case "/admin/processing":
			p.waitFor("the records of processing", `document.querySelectorAll("#processing-report [data-section]").length >= 6 && `+
				`document.querySelector("#processing-report").textContent.includes("Retention periods")`, 10*time.Second)
		case "/privacy/info":
			// The inline stylesheet applies: the policy's hash matches it.
			p.waitFor("the styled transparency page", `document.body.textContent.includes("Your rights") && `+
				`getComputedStyle(document.body).maxWidth !== "none"`, 10*time.Second)
		}
	}
	p.do(chromedp.Navigate(srv.base + "/api/privacy/report?format=html"))
	p.waitFor("the printable report, styled", `document.title === "Records of processing activities" && `+
		`getComputedStyle(document.querySelector("th")).backgroundColor === "rgb(238, 238, 238)"`, 10*time.Second)

	if got := p.foreignRequests(srv.base); len(got) > 0 {
		t.Errorf("requests off the server: %v", got)
	}
	p.mu.Lock()
	n := len(p.requests)
	p.mu.Unlock()
	if n < len(pages) {
		t.Errorf("only %d requests seen for %d pages; is request logging working?", n, len(pages))
	}
}
