package retention

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

// TestSweepTruncatesAuditLog: the audit log kind removes entries older than
// its period, and the sweep's own entry, appended after, stays as the head
// of a chain that still verifies.
func TestSweepTruncatesAuditLog(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clock := ago(3 * 365 * 24 * time.Hour)
	log := audit.New(st, audit.Options{Key: []byte("k"), Now: func() time.Time { return clock }})
	for _, at := range []time.Time{clock, clock.Add(time.Hour), ago(24 * time.Hour)} {
		clock = at
		if _, err := log.Append(ctx, audit.Event{Action: audit.AuthLogout, Actor: "u_a", Outcome: audit.Success}); err != nil {
			t.Fatal(err)
		}
	}
	clock = now
	reg := privacy.NewRegistry()
	if err := reg.Register(privacy.AuditKind{Store: st, Log: log}); err != nil {
		t.Fatal(err)
	}
	s := &Sweeper{Registry: reg, Policy: FromConfig(config.DefaultPrivacy()), Audit: log, Now: func() time.Time { return now }}
	res, err := s.Sweep(ctx)
	if err != nil || res.Deleted[privacy.CatAudit] != 2 {
		t.Fatalf("sweep %+v %v", res, err)
	}
	es, err := st.AuditEntries(ctx, store.AuditFilter{})
	if err != nil || len(es) != 2 || es[0].Seq != 3 || es[1].Action != string(audit.RetentionSweep) || es[1].Details["audit_log"] != "2" {
		t.Fatalf("left %+v %v", es, err)
	}
	if rep, err := log.Verify(ctx, nil); err != nil || !rep.OK() || rep.Checkpoint.Seq != 2 {
		t.Fatalf("verify %+v %v", rep, err)
	}
}
