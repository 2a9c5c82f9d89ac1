package web

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
)

// withPrivacy adds the privacy service (the kinds this package's store
// has) and the request register with a fixed clock.
func withPrivacy(now time.Time) func(*Options) {
	return func(o *Options) {
		reg := privacy.NewRegistry()
		for _, k := range []privacy.Kind{privacy.AuditKind{Store: sqliteOf(o)}, privacy.SessionKind{Store: sqliteOf(o)},
			privacy.BanKind{Store: sqliteOf(o)}} {
			if err := reg.Register(k); err != nil {
				panic(err)
			}
		}
		o.Privacy = &privacy.Service{Registry: reg, Scrub: o.Store.(store.Scrubber).ScrubDeleted}
		o.Requests = &privacy.Requests{Store: sqliteOf(o), Now: func() time.Time { return now }}
	}
}

// signIn creates an account with role and returns it with a signed-in client.
func (e *testEnv) signIn(t *testing.T, email string, role store.Role) (store.User, *http.Client) {
	t.Helper()
	u := e.user(t, email, role)
	c := e.client(t)
	resp := do(t, c, "POST", e.srv.URL+"/api/login", `{"email":"`+email+`","password":"`+password+`"}`)
	expectStatus(t, resp, http.StatusOK)
	return u, c
}

func (e *testEnv) lastAudit(t *testing.T, action audit.Action) store.AuditEntry {
	t.Helper()
	es, err := e.store.AuditEntries(context.Background(), store.AuditFilter{Action: string(action), Newest: true, Limit: 1})
	if err != nil || len(es) == 0 {
		t.Fatalf("no %s entry: %v", action, err)
	}
	return es[0]
}

func zipFiles(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name], err = io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func TestPrivacyOfficerExportsByEmail(t *testing.T) {
	e := newTestEnv(t, withPrivacy(time.Now()))
	officer, oc := e.signIn(t, "officer@example.org", store.RolePrivacyOfficer)
	member, _ := e.signIn(t, "member@example.org", store.RoleMember)

	resp := do(t, oc, "POST", e.srv.URL+"/api/privacy/export", `{"email":"Member@Example.org"}`)
	expectStatus(t, resp, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != "application/zip" {
		t.Fatalf("content type %q", ct)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, member.ID+".zip") {
		t.Fatalf("disposition %q", cd)
	}
	files := zipFiles(t, resp.body)
	var data struct {
		Subject string `json:"subject"`
		Kinds   []struct {
			Name  string            `json:"name"`
			Items []json.RawMessage `json:"items"`
		} `json:"kinds"`
	}
	if err := json.Unmarshal(files["data.json"], &data); err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, k := range data.Kinds {
		counts[k.Name] = len(k.Items)
	}
	if data.Subject != member.ID || counts["session"] != 1 || counts["audit_log"] != 1 {
		t.Fatalf("data.json %s", files["data.json"])
	}
	if len(files["summary.html"]) == 0 || len(files["summary.md"]) == 0 {
		t.Fatal("no summaries")
	}
	if en := e.lastAudit(t, audit.DataExport); en.Actor != officer.ID || en.Target != member.ID || en.Outcome != "success" {
		t.Fatalf("audit %+v", en)
	}
}

func TestExportAndEraseRefusedToMembers(t *testing.T) {
	e := newTestEnv(t, withPrivacy(time.Now()))
	member, mc := e.signIn(t, "member@example.org", store.RoleMember)
	for _, c := range []struct {
		path   string
		action audit.Action
	}{
		{"/api/privacy/export", audit.DataExport},
		{"/api/privacy/erase", audit.DataErase},
	} {
		resp := do(t, mc, "POST", e.srv.URL+c.path, `{"subject":"`+member.ID+`","confirm":true}`)
		expectError(t, resp, http.StatusForbidden, "forbidden")
		if en := e.lastAudit(t, c.action); en.Actor != member.ID || en.Outcome != "denied" {
			t.Fatalf("%s refusal not audited: %+v", c.path, en)
		}
	}
	expectError(t, do(t, mc, "GET", e.srv.URL+"/api/privacy/requests", ""), http.StatusForbidden, "forbidden")
	expectError(t, do(t, mc, "POST", e.srv.URL+"/api/privacy/requests", `{"kind":"access","subject_ref":"x"}`),
		http.StatusForbidden, "forbidden")
	if en := e.lastAudit(t, audit.RequestCreate); en.Outcome != "denied" {
		t.Fatalf("request refusal not audited: %+v", en)
	}
	expectError(t, do(t, e.client(t), "GET", e.srv.URL+"/api/me/export", ""), http.StatusUnauthorized, "unauthorized")
}

func TestUserDownloadsOwnExport(t *testing.T) {
	e := newTestEnv(t, withPrivacy(time.Now()))
	member, mc := e.signIn(t, "member@example.org", store.RoleMember)
	resp := do(t, mc, "GET", e.srv.URL+"/api/me/export", "")
	expectStatus(t, resp, http.StatusOK)
	if !strings.Contains(string(zipFiles(t, resp.body)["data.json"]), member.ID) {
		t.Fatal("own export lacks the subject")
	}
	if en := e.lastAudit(t, audit.DataExport); en.Actor != member.ID || en.Target != member.ID {
		t.Fatalf("audit %+v", en)
	}
}

func TestOfficerErasesAPerson(t *testing.T) {
	e := newTestEnv(t, withPrivacy(time.Now()))
	officer, oc := e.signIn(t, "officer@example.org", store.RolePrivacyOfficer)
	member, mc := e.signIn(t, "member@example.org", store.RoleMember)
	url := e.srv.URL + "/api/privacy/erase"

	expectError(t, do(t, oc, "POST", url, `{"subject":"`+member.ID+`"}`), http.StatusBadRequest, "bad_request")
	expectError(t, do(t, oc, "POST", url, `{"subject":"bob@example.org","confirm":true}`), http.StatusBadRequest, "bad_request")
	expectError(t, do(t, oc, "POST", url, `{"subject":"`+officer.ID+`","confirm":true}`), http.StatusConflict, "conflict")
	expectStatus(t, do(t, mc, "GET", e.srv.URL+"/api/me", ""), http.StatusOK)

	resp := do(t, oc, "POST", url, `{"subject":"`+member.ID+`","confirm":true}`)
	expectStatus(t, resp, http.StatusOK)
	var rep privacy.ErasureReport
	resp.json(t, &rep)
	byKind := map[string]privacy.KindErasure{}
	for _, k := range rep.Kinds {
		byKind[k.Kind] = k
	}
	if !rep.Complete || byKind["session"].Deleted != 1 || byKind["audit_log"].Deleted != 1 {
		t.Fatalf("report %s", resp.body)
	}
	// Signed out everywhere; the login's client address is gone from the log.
	expectStatus(t, do(t, mc, "GET", e.srv.URL+"/api/me", ""), http.StatusUnauthorized)
	logins, err := e.store.AuditEntries(context.Background(), store.AuditFilter{Actor: member.ID, Action: string(audit.AuthLoginSuccess)})
	if err != nil || len(logins) != 1 || logins[0].ClientAddr != "" {
		t.Fatalf("login entry after erasure: %+v %v", logins, err)
	}
	en := e.lastAudit(t, audit.DataErase)
	if en.Actor != officer.ID || en.Target != member.ID || en.Details["deleted"] != "2" {
		t.Fatalf("audit %+v", en)
	}
}

func TestSubjectRequestsDeadlines(t *testing.T) {
	now := time.Date(2025, 2, 24, 9, 0, 0, 0, time.UTC)
	e := newTestEnv(t, withPrivacy(now))
	officer, oc := e.signIn(t, "officer@example.org", store.RolePrivacyOfficer)
	url := e.srv.URL + "/api/privacy/requests"

	resp := do(t, oc, "POST", url, `{"kind":"erasure","subject_ref":"u_abc","received_at":"2025-01-31T12:00:00Z","notes":"by letter"}`)
	expectStatus(t, resp, http.StatusCreated)
	var created requestJSON
	resp.json(t, &created)
	if created.DueAt.Format(time.DateOnly) != "2025-02-28" || created.DaysLeft != 4 || created.Overdue {
		t.Fatalf("created %s", resp.body)
	}
	if en := e.lastAudit(t, audit.RequestCreate); en.Actor != officer.ID || en.Target != "u_abc" || en.Details["kind"] != "erasure" {
		t.Fatalf("audit %+v", en)
	}
	// A free-text reference stays out of the audit log.
	expectStatus(t, do(t, oc, "POST", url, `{"kind":"access","subject_ref":"Jane Doe, phone call","received_at":"2025-01-10T08:00:00Z"}`),
		http.StatusCreated)
	if en := e.lastAudit(t, audit.RequestCreate); en.Target != "" {
		t.Fatalf("free text reached the log: %+v", en)
	}
	expectError(t, do(t, oc, "POST", url, `{"kind":"gossip","subject_ref":"x"}`), http.StatusBadRequest, "bad_request")

	resp = do(t, oc, "GET", url, "")
	expectStatus(t, resp, http.StatusOK)
	var list requestListResponse
	resp.json(t, &list)
	if len(list.Requests) != 2 || !list.Requests[0].Overdue || list.Requests[0].DaysLeft != -14 ||
		list.Reminder != (privacy.Reminder{Overdue: 1, DueSoon: 1}) {
		t.Fatalf("list %s", resp.body)
	}

	closeURL := url + "/" + strconv.FormatInt(created.ID, 10) + "/close"
	resp = do(t, oc, "POST", closeURL, `{"status":"done","notes":"erased"}`)
	expectStatus(t, resp, http.StatusOK)
	if en := e.lastAudit(t, audit.RequestClose); en.Details["status"] != "done" || en.Target != "u_abc" {
		t.Fatalf("audit %+v", en)
	}
	expectError(t, do(t, oc, "POST", closeURL, `{"status":"done"}`), http.StatusNotFound, "not_found")
	expectError(t, do(t, oc, "POST", url+"/zz/close", `{"status":"done"}`), http.StatusNotFound, "not_found")
}
