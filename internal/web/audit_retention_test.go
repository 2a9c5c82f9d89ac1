package web

import (
	"context"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// TestAuditAPIChainStatusAfterRetention: entries after a retention run
// link to its checkpoint, which the chain status takes as the start of the
// log, not as a gap.
func TestAuditAPIChainStatusAfterRetention(t *testing.T) {
	e := newTestEnv(t)
	admin, _ := e.signedInAs(t, "a@example.org", store.RoleAdmin)
	createMeeting(t, admin, e.srv.URL, `{}`)
	before := len(e.entries(t))
	n, err := e.opts.Audit.Truncate(context.Background(), time.Now().Add(time.Hour))
	if err != nil || n != before-1 {
		t.Fatalf("truncate: %d %v, want %d", n, err, before-1)
	}
	for range 2 { // the first page holds only the head, the second also the first view
		var resp auditListResponse
		r := do(t, admin, "GET", e.srv.URL+"/api/audit", "")
		expectStatus(t, r, 200)
		r.json(t, &resp)
		if !resp.Chain.Intact || resp.Chain.Checked == 0 || resp.Entries[len(resp.Entries)-1].Seq != int64(before) {
			t.Fatalf("chain %+v, entries %+v", resp.Chain, resp.Entries)
		}
	}
}
