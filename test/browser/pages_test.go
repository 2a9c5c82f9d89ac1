package browser

import (
	"os"
	"regexp"
	"strconv"
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

// layoutProblems checks, in the page's own boxes (getBoundingClientRect,
// not pixels), that the shared header's navigation and Sign out are
// there and visible, that the header takes at most two rows, and that the
// header and every table fit within the viewport's width.
const layoutProblems = `(() => {
  const vw = document.documentElement.clientWidth, out = [];
  const box = (sel) => {
    const e = document.querySelector(sel);
    if (!e) { out.push(sel + " missing"); return null; }
    const r = e.getBoundingClientRect();
    if (r.width < 1 || r.height < 1 || getComputedStyle(e).visibility === "hidden") out.push(sel + " not visible");
    if (r.left < -0.5 || r.right > vw + 0.5) out.push(sel + " spans " + Math.round(r.left) + "–" + Math.round(r.right) + " of " + vw);
    return r;
  };
  box("#site-header"); box("#site-nav"); box("#site-nav a"); box("#sign-out");
  const header = document.querySelector("#site-header");
  if (header) {
    // Rows: boxes that overlap vertically share one.
    let rows = 0, bottom = -Infinity;
    Array.from(header.children).map((c) => c.getBoundingClientRect()).filter((r) => r.height > 0)
      .sort((a, b) => a.top - b.top).forEach((r) => {
        if (r.top >= bottom - 0.5) rows++;
        bottom = Math.max(bottom, r.bottom);
      });
    if (rows > 2) out.push("the header has " + rows + " rows");
    const nav = document.querySelector("#site-nav"), link = document.querySelector("#site-nav a");
    if (nav && link && nav.getBoundingClientRect().height > 2.2 * link.getBoundingClientRect().height) out.push("the navigation wraps onto more than two lines");
  }
  document.querySelectorAll("main table").forEach((t, i) => {
    const r = t.getBoundingClientRect();
    if (r.right > vw + 0.5 || r.left < -0.5) out.push("table " + i + " spans " + Math.round(r.left) + "–" + Math.round(r.right) + " of " + vw);
    const wrap = t.closest(".table-wrap");
    if (wrap && wrap.scrollWidth > wrap.clientWidth + 1) out.push("table " + i + " scrolls sideways (" + wrap.scrollWidth + " in " + wrap.clientWidth + ")");
  });
  if (document.documentElement.scrollWidth > vw + 1) {
    const wide = Array.from(document.querySelectorAll("body *")).filter((e) => e.getBoundingClientRect().right > vw + 1)
      .slice(0, 3).map((e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + "." + e.className);
    out.push("the page scrolls sideways: " + document.documentElement.scrollWidth + " in " + vw + " (" + wide.join(", ") + ")");
  }
  return out;
})()`

// TestHeaderAndTablesFit: every signed-in page, the admin pages
// included, carries the same header with the navigation and Sign out; at
// 1280×800 and 390×844 the header takes at most two rows and the tables
// (audit log with details, subject requests, records of processing) fit
// the width, so that no column hides behind a scroll.
func TestHeaderAndTablesFit(t *testing.T) {
	srv := startServer(t)
	browser := newBrowser(t)
	p := signIn(t, browser, srv, hostEmail)
	// A request in the register, so that its table has a row.
	if s := eval[int](p, `fetch("/api/privacy/requests", {method: "POST", headers: {"Content-Type": "application/json"}, `+
		`body: JSON.stringify({kind: "access", subject_ref: "u_0123456789abcdef0123456789abcdef", notes: "Asked by letter on the first of the month, answered by post"})}).then(r => r.status)`); s != 201 {
		t.Fatalf("record a request: %d", s)
	}
	pages := map[string]string{
		"/":                 `!!document.querySelector("#meeting-list")`,
		"/admin/audit":      `document.querySelectorAll("#audit-rows tr").length > 2 && !!document.querySelector("#audit-rows details")`,
		"/admin/requests":   `document.querySelectorAll("#request-rows tr").length === 1`,
		"/admin/processing": `document.querySelectorAll("#processing-report table").length >= 3`,
		"/admin/privacy":    `!!document.querySelector("#notice-markdown")`,
	}
	for _, size := range [][2]int64{{1280, 800}, {390, 844}} {
		p.do(chromedp.EmulateViewport(size[0], size[1]))
		for _, path := range []string{"/", "/admin/audit", "/admin/requests", "/admin/processing", "/admin/privacy"} {
			p.do(chromedp.Navigate(srv.base + path))
			p.waitFor(path+" rendered", `!!document.querySelector("#site-nav") && `+pages[path], 15*time.Second)
			if got := eval[[]string](p, layoutProblems); len(got) > 0 {
				t.Errorf("%s at %d×%d: %s", path, size[0], size[1], strings.Join(got, "; "))
			}
			if path != "/" && !eval[bool](p, `document.querySelector("#site-nav a[aria-current=page]")?.getAttribute("href") === `+strconv.Quote(path)) {
				t.Errorf("%s at %d×%d: the navigation does not mark the page", path, size[0], size[1])
			}
		}
	}
	// Sign out works from an admin page.
	p.do(chromedp.Navigate(srv.base + "/admin/audit"))
	p.waitFor("the audit log", `!!document.querySelector("#sign-out")`, 10*time.Second)
	p.click("#sign-out")
	p.waitFor("signed out", `location.pathname === "/" && !!document.querySelector("#sign-in-link")`, 10*time.Second)
}
