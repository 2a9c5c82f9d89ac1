package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/notice"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/records"
	"github.com/conclave-meet/conclave/internal/store"
)

// newNoticeEnv is a test server with the notice service and its default.
func newNoticeEnv(t *testing.T) *testEnv {
	t.Helper()
	var svc *notice.Service
	e := newTestEnv(t, func(o *Options) {
		svc = &notice.Service{Store: sqliteOf(o)}
		o.Notices = svc
	})
	if _, err := svc.EnsureDefault(context.Background()); err != nil {
		t.Fatal(err)
	}
	return e
}

func currentNotice(t *testing.T, e *testEnv, c *http.Client) noticeJSON {
	t.Helper()
	r := do(t, c, "GET", e.srv.URL+"/api/privacy/notice", "")
	expectStatus(t, r, http.StatusOK)
	var n noticeJSON
	r.json(t, &n)
	return n
}

func TestNoticeIsPublicAndRendered(t *testing.T) {
	e := newNoticeEnv(t)
	n := currentNotice(t, e, e.client(t)) // no session: guests read it too
	if n.Version != 1 || n.Markdown != notice.DefaultMarkdown || !strings.Contains(n.HTML, "<h1>Privacy notice</h1>") || !n.Default {
		t.Fatalf("default notice %+v", n)
	}
}

// TestServedDefaultIsComplete: until an administrator publishes a notice,
// everyone is served the one generated from the configuration (as
// `conclave serve` sets it up), with no placeholders and no note to
// administrators, marked as the default; a published one is not.
func TestServedDefaultIsComplete(t *testing.T) {
	for _, org := range []string{"", "Example e.V."} {
		var svc *notice.Service
		e := newTestEnv(t, func(o *Options) {
			o.Config.Organisation = org
			o.Config.PrivacyContact = ""
			reg := privacy.NewRegistry()
			if err := reg.Register(notice.ConsentKind{Store: sqliteOf(o)}); err != nil {
				t.Fatal(err)
			}
			svc = &notice.Service{Store: sqliteOf(o), Default: records.NoticeMarkdown(records.Inputs{Config: o.Config, Registry: reg})}
			o.Notices = svc
		})
		if _, err := svc.EnsureDefault(context.Background()); err != nil {
			t.Fatal(err)
		}
		n := currentNotice(t, e, e.client(t))
		if !n.Default || n.Version != 1 || !strings.Contains(n.HTML, "Your rights") || !strings.Contains(n.Markdown, "Acceptances of the privacy notice") {
			t.Fatalf("served default %+v", n)
		}
		for _, bad := range []string{"[", "]", "Administrators", "default text"} {
			if strings.Contains(n.Markdown, bad) || strings.Contains(n.HTML, bad) {
				t.Errorf("organisation %q: the served notice contains %q:\n%s", org, bad, n.Markdown)
			}
		}
		if org != "" && !strings.Contains(n.Markdown, org) {
			t.Errorf("the served notice does not name %q:\n%s", org, n.Markdown)
		}
		admin, _ := e.signedInAs(t, "admin@example.org", store.RoleAdmin)
		expectStatus(t, do(t, admin, "POST", e.srv.URL+"/api/privacy/notice", `{"markdown":"# Ours"}`), http.StatusCreated)
		if n := currentNotice(t, e, e.client(t)); n.Default || n.Version != 2 {
			t.Fatalf("published notice %+v, want not the default", n)
		}
	}
}

// TestMyNotice: a signed-in account learns whether it accepted the
// version in force, and when; a new version makes it unaccepted again.
// Without a session it is refused (guests have nothing on record).
func TestMyNotice(t *testing.T) {
	e := newNoticeEnv(t)
	c, u := e.signedInAs(t, "m@example.org", store.RoleMember)
	get := func() myNoticeJSON {
		t.Helper()
		r := do(t, c, "GET", e.srv.URL+"/api/me/notice", "")
		expectStatus(t, r, http.StatusOK)
		var got myNoticeJSON
		r.json(t, &got)
		return got
	}
	if got := get(); got.Version != 1 || got.Accepted || got.AcceptedAt != nil {
		t.Fatalf("before accepting %+v", got)
	}
	ctx := context.Background()
	if err := e.opts.Notices.RecordNoticeAcceptance(ctx, "u_other", 1, ""); err != nil {
		t.Fatal(err)
	}
	if got := get(); got.Accepted {
		t.Fatalf("someone else's acceptance counted: %+v", got)
	}
	if err := e.opts.Notices.RecordNoticeAcceptance(ctx, u.ID, 1, "k3m9-x2qa-7hvt-p4dz"); err != nil {
		t.Fatal(err)
	}
	got := get()
	if got.Version != 1 || !got.Accepted || got.AcceptedAt == nil || time.Since(*got.AcceptedAt) > time.Minute {
		t.Fatalf("after accepting %+v", got)
	}
	admin, _ := e.signedInAs(t, "admin@example.org", store.RoleAdmin)
	expectStatus(t, do(t, admin, "POST", e.srv.URL+"/api/privacy/notice", `{"markdown":"# Two"}`), http.StatusCreated)
	if got := get(); got.Version != 2 || got.Accepted || got.AcceptedAt != nil {
		t.Fatalf("after a new version %+v", got)
	}
	expectError(t, do(t, e.client(t), "GET", e.srv.URL+"/api/me/notice", ""), http.StatusUnauthorized, "unauthorized")
	expectError(t, do(t, c, "POST", e.srv.URL+"/api/me/notice", "{}"), http.StatusMethodNotAllowed, "method_not_allowed")
}

func TestNoticePublishByAdmin(t *testing.T) {
	e := newNoticeEnv(t)
	admin, au := e.signedInAs(t, "admin@example.org", store.RoleAdmin)
	r := do(t, admin, "POST", e.srv.URL+"/api/privacy/notice", `{"markdown":"# Ours\n\n<script>x()</script>"}`)
	expectStatus(t, r, http.StatusCreated)
	var n noticeJSON
	r.json(t, &n)
	if n.Version != 2 || n.CreatedBy != au.ID || strings.Contains(n.HTML, "<script") {
		t.Fatalf("published %+v", n)
	}
	if cur := currentNotice(t, e, e.client(t)); cur.Version != 2 || cur.Markdown != "# Ours\n\n<script>x()</script>" {
		t.Fatalf("current after publish %+v", cur)
	}
	last := e.lastEntry(t)
	if last.Action != "settings.change" || last.Actor != au.ID || last.Outcome != "success" ||
		last.Details["what"] != "privacy_notice" || last.Details["version"] != "2" {
		t.Fatalf("audit entry %+v", last)
	}
	r = do(t, admin, "GET", e.srv.URL+"/api/privacy/notice/versions", "")
	expectStatus(t, r, http.StatusOK)
	var vs struct{ Versions []noticeJSON }
	r.json(t, &vs)
	if len(vs.Versions) != 2 || vs.Versions[0].Version != 2 || vs.Versions[1].Version != 1 {
		t.Fatalf("versions %+v", vs)
	}
	r = do(t, admin, "POST", e.srv.URL+"/api/privacy/notice/preview", `{"markdown":"*draft*"}`)
	expectStatus(t, r, http.StatusOK)
	var preview struct{ HTML string }
	r.json(t, &preview)
	if !strings.Contains(preview.HTML, "<em>draft</em>") {
		t.Fatalf("preview %s", r.body)
	}
	if cur := currentNotice(t, e, e.client(t)); cur.Version != 2 {
		t.Fatalf("a preview published version %d", cur.Version)
	}
	expectError(t, do(t, admin, "POST", e.srv.URL+"/api/privacy/notice", `{"markdown":"  "}`), http.StatusBadRequest, "bad_request")
}

func TestNoticeRefusals(t *testing.T) {
	e := newNoticeEnv(t)
	member, mu := e.signedInAs(t, "m@example.org", store.RoleMember)
	officer, _ := e.signedInAs(t, "po@example.org", store.RolePrivacyOfficer)
	body := `{"markdown":"# Mine"}`
	expectError(t, do(t, member, "POST", e.srv.URL+"/api/privacy/notice", body), http.StatusForbidden, "forbidden")
	if last := e.lastEntry(t); last.Action != "settings.change" || last.Actor != mu.ID || last.Outcome != "denied" {
		t.Fatalf("refusal not audited: %+v", last)
	}
	expectError(t, do(t, officer, "POST", e.srv.URL+"/api/privacy/notice", body), http.StatusForbidden, "forbidden")
	expectError(t, do(t, member, "POST", e.srv.URL+"/api/privacy/notice/preview", body), http.StatusForbidden, "forbidden")
	expectError(t, do(t, member, "GET", e.srv.URL+"/api/privacy/notice/versions", ""), http.StatusForbidden, "forbidden")
	expectStatus(t, do(t, officer, "GET", e.srv.URL+"/api/privacy/notice/versions", ""), http.StatusOK)
	expectError(t, do(t, e.client(t), "POST", e.srv.URL+"/api/privacy/notice", body), http.StatusUnauthorized, "unauthorized")
	if cur := currentNotice(t, e, e.client(t)); cur.Version != 1 {
		t.Fatalf("a refused publish changed the notice to version %d", cur.Version)
	}
}

func TestMyConsents(t *testing.T) {
	e := newNoticeEnv(t)
	c, u := e.signedInAs(t, "m@example.org", store.RoleMember)
	if err := e.opts.Notices.RecordNoticeAcceptance(context.Background(), u.ID, 1, ""); err != nil {
		t.Fatal(err)
	}
	if err := e.opts.Notices.RecordNoticeAcceptance(context.Background(), "u_other", 1, ""); err != nil {
		t.Fatal(err)
	}
	r := do(t, c, "GET", e.srv.URL+"/api/me/consents", "")
	expectStatus(t, r, http.StatusOK)
	var got struct {
		Consents []map[string]json.RawMessage
	}
	r.json(t, &got)
	if len(got.Consents) != 1 || string(got.Consents[0]["kind"]) != `"notice"` || string(got.Consents[0]["version"]) != "1" {
		t.Fatalf("consents %s", r.body)
	}
	expectError(t, do(t, e.client(t), "GET", e.srv.URL+"/api/me/consents", ""), http.StatusUnauthorized, "unauthorized")
}
