package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/notice"
	"github.com/conclave-meet/conclave/internal/store"
)

// newNoticeEnv is a test server with the notice service and its default.
func newNoticeEnv(t *testing.T) *testEnv {
	t.Helper()
	var svc *notice.Service
	e := newTestEnv(t, func(o *Options) {
		svc = &notice.Service{Store: o.Store}
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
	if n.Version != 1 || n.Markdown != notice.DefaultMarkdown || !strings.Contains(n.HTML, "<h1>Privacy notice</h1>") {
		t.Fatalf("default notice %+v", n)
	}
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
