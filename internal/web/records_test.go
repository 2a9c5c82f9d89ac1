package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/records"
	"github.com/conclave-meet/conclave/internal/store"
)

type declared struct{ d privacy.Declaration }

func (k declared) Declare() privacy.Declaration                                  { return k.d }
func (declared) Export(context.Context, privacy.Subject) ([]privacy.Item, error) { return nil, nil }
func (declared) Erase(context.Context, privacy.Subject) (privacy.Erased, error) {
	return privacy.Erased{}, nil
}
func (declared) Expire(context.Context, time.Time) (int, error) { return 0, nil }

// newRecordsEnv runs the server with the default privacy settings, a
// named controller and one registered kind.
func newRecordsEnv(t *testing.T) *testEnv {
	t.Helper()
	reg := privacy.NewRegistry()
	if err := reg.Register(declared{privacy.Declaration{Name: "chat_log", Category: privacy.CatChat,
		Description: "Chat messages", Purpose: "minutes", LegalBasis: privacy.LegitimateInterest,
		Storage: "table chat", Fields: []string{"text"}}}); err != nil {
		t.Fatal(err)
	}
	return newTestEnv(t, func(o *Options) {
		o.Config.Privacy = config.DefaultPrivacy()
		o.Config.Organisation, o.Config.PrivacyContact = "Example e.V.", "dpo@example.org"
		o.Privacy = &privacy.Service{Registry: reg}
		o.Measures = []string{"Encrypted at rest."}
	})
}

func (e *testEnv) auditCount(t *testing.T, action, outcome string) int {
	t.Helper()
	es, err := e.opts.Audit.Entries(context.Background(), store.AuditFilter{Action: action, Outcome: outcome})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}

func TestPrivacyReportForAdminsAndPrivacyOfficers(t *testing.T) {
	e := newRecordsEnv(t)
	admin, _ := e.signedInAs(t, "admin@example.org", store.RoleAdmin)
	dpo, _ := e.signedInAs(t, "dpo@example.org", store.RolePrivacyOfficer)

	r := do(t, admin, "GET", e.srv.URL+"/api/privacy/report?format=html", "")
	expectStatus(t, r, http.StatusOK)
	if r.Header.Get("Content-Security-Policy") != records.StyleCSP || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("headers %v", r.Header)
	}
	for _, want := range []string{"Example e.V.", "chat_log", "Encrypted at rest.", "<td>chat</td><td>30 days</td>"} {
		if !strings.Contains(string(r.body), want) {
			t.Errorf("html report lacks %q", want)
		}
	}
	r = do(t, dpo, "GET", e.srv.URL+"/api/privacy/report?format=md", "")
	expectStatus(t, r, http.StatusOK)
	if !strings.HasPrefix(string(r.body), "# Records of processing activities") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("markdown %s / %v", r.body[:40], r.Header)
	}
	var doc records.Document
	r = do(t, admin, "GET", e.srv.URL+"/api/privacy/report?format=json", "")
	expectStatus(t, r, http.StatusOK)
	r.json(t, &doc)
	if doc.Title != "Records of processing activities" || len(doc.Sections) == 0 {
		t.Fatalf("json %+v", doc)
	}
	if n := e.auditCount(t, "privacy.report", "success"); n != 3 {
		t.Fatalf("%d reports recorded, want 3", n)
	}
}

func TestPrivacyReportRefusals(t *testing.T) {
	e := newRecordsEnv(t)
	expectError(t, do(t, e.client(t), "GET", e.srv.URL+"/api/privacy/report", ""), http.StatusUnauthorized, "unauthorized")
	member := e.signedIn(t, "max@example.org")
	expectError(t, do(t, member, "GET", e.srv.URL+"/api/privacy/report?format=md", ""), http.StatusForbidden, "forbidden")
	if n := e.auditCount(t, "privacy.report", "denied"); n != 1 {
		t.Fatalf("%d refusals recorded, want 1", n)
	}
	// Authorisation comes before validation: a member asking for a bad
	// format is refused, not told what the formats are. The refusal
	// repeats the first, so it is counted into that entry's summary
	// rather than written (TestRepeatedDenialsCoalesced).
	expectError(t, do(t, member, "GET", e.srv.URL+"/api/privacy/report?format=pdf", ""), http.StatusForbidden, "forbidden")
	if n := e.auditCount(t, "privacy.report", "denied"); n != 1 {
		t.Fatalf("%d refusals recorded, want 1 until the window closes", n)
	}
	admin, _ := e.signedInAs(t, "admin@example.org", store.RoleAdmin)
	expectError(t, do(t, admin, "GET", e.srv.URL+"/api/privacy/report?format=pdf", ""), http.StatusBadRequest, "bad_request")
}

func TestPrivacyInfoIsPublic(t *testing.T) {
	e := newRecordsEnv(t)
	r := do(t, e.client(t), "GET", e.srv.URL+"/privacy/info", "")
	expectStatus(t, r, http.StatusOK)
	body := string(r.body)
	for _, want := range []string{"Example e.V.", "dpo@example.org", "Chat messages", "Erasure (Art. 17)", "<td>chat (chat_log)</td><td>30 days</td>"} {
		if !strings.Contains(body, want) {
			t.Errorf("info lacks %q", want)
		}
	}
	if r.Header.Get("Content-Security-Policy") != records.StyleCSP {
		t.Fatalf("CSP %q", r.Header.Get("Content-Security-Policy"))
	}
}

func TestMeetingRetentionOverrides(t *testing.T) {
	e := newRecordsEnv(t)
	host := e.signedIn(t, "host@example.org")
	m := createMeeting(t, host, e.srv.URL, `{"title":"Board"}`)
	url := e.srv.URL + "/api/meetings/" + m.ID + "/retention"

	var got retentionJSON
	r := do(t, host, "GET", url, "")
	expectStatus(t, r, http.StatusOK)
	r.json(t, &got)
	if got.Effective["recording"] != "720h" || got.Limits["recording"] != "2160h" || len(got.Overrides) != 0 {
		t.Fatalf("defaults %+v", got)
	}

	r = do(t, host, "PUT", url, `{"recording":"48h","chat":"2h"}`)
	expectStatus(t, r, http.StatusOK)
	r.json(t, &got)
	if got.Effective["recording"] != "48h" || got.Overrides["chat"] != "2h" || got.Effective["file"] != "720h" {
		t.Fatalf("after PUT %+v", got)
	}
	stored, err := e.store.MeetingRetentions(context.Background(), "recording")
	if err != nil || stored[m.ID] != 48*time.Hour {
		t.Fatalf("stored %v, %v", stored, err)
	}
	if n := e.auditCount(t, "settings.change", "success"); n != 1 {
		t.Fatalf("%d settings changes recorded", n)
	}

	// Above the limit, not overridable, under an hour, not a duration.
	for _, body := range []string{`{"recording":"2161h"}`, `{"audit_log":"48h"}`, `{"chat":"10m"}`, `{"chat":"soon"}`} {
		expectError(t, do(t, host, "PUT", url, body), http.StatusBadRequest, "bad_request")
	}
	if own, _ := e.store.MeetingRetention(context.Background(), m.ID); len(own) != 2 {
		t.Fatalf("a refused PUT changed the periods: %v", own)
	}

	other := e.signedIn(t, "other@example.org")
	expectError(t, do(t, other, "PUT", url, `{"chat":"2h"}`), http.StatusNotFound, "not_found")
	expectError(t, do(t, other, "GET", url, ""), http.StatusNotFound, "not_found")
	expectError(t, do(t, e.client(t), "GET", url, ""), http.StatusUnauthorized, "unauthorized")

	r = do(t, host, "PUT", url, `{}`)
	expectStatus(t, r, http.StatusOK)
	got = retentionJSON{}
	r.json(t, &got)
	if len(got.Overrides) != 0 || got.Effective["chat"] != "720h" {
		t.Fatalf("after reset %+v", got)
	}
}

// TestMeetingRetentionRefusalsAudited: a non-host asking for an existing
// meeting's retention is told it does not exist, and the refusal is
// recorded as denied with the meeting; an unknown meeting is recorded as
// nothing.
func TestMeetingRetentionRefusalsAudited(t *testing.T) {
	e := newRecordsEnv(t)
	host := e.signedIn(t, "host@example.org")
	m := createMeeting(t, host, e.srv.URL, `{"title":"Board"}`)
	other, u := e.signedInAs(t, "other@example.org", store.RoleAdmin)

	expectError(t, do(t, other, "PUT", e.srv.URL+"/api/meetings/"+m.ID+"/retention", `{"chat":"2h"}`),
		http.StatusNotFound, "not_found")
	got := e.lastEntry(t)
	if got.Action != "settings.change" || got.Outcome != "denied" || got.Actor != u.ID || got.Meeting != m.ID ||
		got.Details["reason"] != "not_host" {
		t.Fatalf("refusal recorded as %+v", got)
	}
	if own, _ := e.store.MeetingRetention(context.Background(), m.ID); len(own) != 0 {
		t.Fatalf("a refused PUT changed the periods: %v", own)
	}
	before := e.auditCount(t, "settings.change", "denied")
	expectError(t, do(t, other, "GET", e.srv.URL+"/api/meetings/zzzz-zzzz-zzzz-zzzz/retention", ""),
		http.StatusNotFound, "not_found")
	if n := e.auditCount(t, "settings.change", "denied"); n != before {
		t.Fatalf("an unknown meeting was recorded as a refusal")
	}
}

// TestMeetingRetentionChangeNeedsAuditEntry: a change that cannot be
// recorded is answered as a failure, not as success.
func TestMeetingRetentionChangeNeedsAuditEntry(t *testing.T) {
	fail := false
	e := newTestEnv(t, func(o *Options) {
		o.Config.Privacy = config.DefaultPrivacy()
		o.Audit = audit.New(switchableStore{Store: sqliteOf(o), fail: &fail}, audit.Options{Key: auditKey})
	})
	host := e.signedIn(t, "host@example.org")
	m := createMeeting(t, host, e.srv.URL, `{"title":"Board"}`)
	fail = true
	expectError(t, do(t, host, "PUT", e.srv.URL+"/api/meetings/"+m.ID+"/retention", `{"chat":"2h"}`), 500, "internal")
}
