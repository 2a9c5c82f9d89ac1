package privacy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// TestAuditKindExpireTruncatesTheLog: expiry removes old entries with their
// addresses but keeps the newest, and the rest of the chain still verifies.
func TestAuditKindExpireTruncatesTheLog(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	k := AuditKind{Store: w.st, Log: w.log}
	n, err := k.Expire(ctx, time.Now().Add(time.Hour))
	if err != nil || n != 4 {
		t.Fatalf("expired %d, %v; want 4 (all but the newest)", n, err)
	}
	es, err := w.st.AuditEntries(ctx, store.AuditFilter{})
	if err != nil || len(es) != 1 || es[0].Seq != 5 {
		t.Fatalf("left %+v %v", es, err)
	}
	rep, err := w.log.Verify(ctx, nil)
	if err != nil || !rep.OK() || rep.Checkpoint == nil || rep.Checkpoint.Seq != 4 {
		t.Fatalf("chain after expiry: %+v %v", rep, err)
	}
	if n, err := k.Expire(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("nothing old: %d %v", n, err)
	}
}

// Without the log to truncate, expiry fails instead of silently keeping
// entries past their period.
func TestAuditKindExpireWithoutLogFails(t *testing.T) {
	w := newWorld(t)
	_, err := AuditKind{Store: w.st}.Expire(context.Background(), time.Now())
	if err == nil || !strings.Contains(err.Error(), "audit_log") {
		t.Fatalf("err = %v", err)
	}
}
