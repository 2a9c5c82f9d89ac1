package web

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testclock"
)

// deniedViews returns the audit.view entries refused to actor.
func (e *testEnv) deniedViews(t *testing.T, actor string) []store.AuditEntry {
	t.Helper()
	es, err := e.opts.Audit.Entries(context.Background(), store.AuditFilter{Action: "audit.view", Actor: actor, Outcome: "denied"})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestRepeatedDenialsCoalesced: a member asking for the audit log 200
// times is refused 200 times, but the log grows by one entry at once and
// one summary with the count when the window closes.
func TestRepeatedDenialsCoalesced(t *testing.T) {
	e := newTestEnv(t)
	member, u := e.signedInAs(t, "m@example.org", store.RoleMember)
	for range 200 {
		expectError(t, do(t, member, "GET", e.srv.URL+"/api/audit", ""), http.StatusForbidden, "forbidden")
	}
	if got := e.deniedViews(t, u.ID); len(got) != 1 {
		t.Fatalf("%d audit.view denied entries for 200 refusals, want 1 until the window closes", len(got))
	}
}

// TestRepeatedDenialsSummarised: when the window closes, one entry
// counts the repeats; another member's refusals and other kinds are
// entries of their own.
func TestRepeatedDenialsSummarised(t *testing.T) {
	clk := testclock.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	var refusals *audit.Coalescer
	e := newTestEnv(t, func(o *Options) {
		refusals = audit.NewCoalescer(o.Audit, audit.CoalesceOptions{Window: time.Minute, Now: clk.Now})
		o.Refusals = refusals
	})
	member, u := e.signedInAs(t, "m@example.org", store.RoleMember)
	other, v := e.signedInAs(t, "o@example.org", store.RoleMember)
	for range 200 {
		expectError(t, do(t, member, "GET", e.srv.URL+"/api/audit", ""), http.StatusForbidden, "forbidden")
	}
	expectError(t, do(t, other, "GET", e.srv.URL+"/api/audit", ""), http.StatusForbidden, "forbidden")
	expectError(t, do(t, member, "GET", e.srv.URL+"/api/audit/export", ""), http.StatusForbidden, "forbidden")
	clk.Advance(time.Minute)
	if err := refusals.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := e.deniedViews(t, u.ID)
	if len(got) != 2 || got[1].Details[audit.CountDetail] != "199" || got[1].Details["role"] != "member" || got[1].ClientAddr == "" {
		t.Fatalf("member's audit.view denials: %+v, want the first and a summary of 199", got)
	}
	if got := e.deniedViews(t, v.ID); len(got) != 1 || got[0].Details[audit.CountDetail] != "" {
		t.Fatalf("other member's denial: %+v", got)
	}
	if n := e.auditCount(t, "audit.export", "denied"); n != 1 {
		t.Fatalf("%d audit.export denials, want 1", n)
	}
	if r, err := e.opts.Audit.Verify(context.Background(), nil); err != nil || !r.OK() {
		t.Fatalf("chain: %+v %v", r, err)
	}
}
