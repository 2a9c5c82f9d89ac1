package notice

import (
	"context"
	"errors"
	"testing"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
)

// TestWithdrawRecordsWithTheLedger: withdrawing ends the standing
// acceptance (the account is asked again) and writes consent.withdrawn
// with it; an unknown kind, or no audit log, withdraws nothing; an entry
// the log refuses keeps the acceptance standing.
func TestWithdrawRecordsWithTheLedger(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	ev := audit.Event{Action: audit.ConsentWithdrawn, Actor: "u_1", Target: "u_1", Outcome: audit.Success,
		Details: map[string]string{"kind": "notice"}}
	if _, err := st.AddConsent(ctx, store.Consent{SubjectID: "u_1", Kind: store.ConsentNotice, Version: 1, GivenAt: s.now()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Withdraw(ctx, "u_1", store.ConsentNotice, ev); err == nil {
		t.Fatal("withdrawn without an audit log")
	}
	log := audit.New(st, audit.Options{Key: []byte("notice test audit key, 32 bytes!")})
	s.Audit = log
	if _, err := s.Withdraw(ctx, "u_1", "gossip", ev); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("unknown kind: %v", err)
	}
	bad := ev
	bad.Details = map[string]string{"kind": "ada@example.org"}
	if _, err := s.Withdraw(ctx, "u_1", store.ConsentNotice, bad); err == nil {
		t.Fatal("withdrawn with an entry the log refuses")
	}
	if _, ok, _ := s.Accepted(ctx, "u_1", 1); !ok {
		t.Fatal("a refused withdrawal ended the acceptance")
	}
	n, err := s.Withdraw(ctx, "u_1", store.ConsentNotice, ev)
	if err != nil || n != 1 {
		t.Fatalf("withdraw: %d %v", n, err)
	}
	if _, ok, _ := s.Accepted(ctx, "u_1", 1); ok {
		t.Fatal("the withdrawn acceptance still stands")
	}
	es, err := log.Entries(ctx, store.AuditFilter{Action: string(audit.ConsentWithdrawn)})
	if err != nil || len(es) != 1 || es[0].Actor != "u_1" {
		t.Fatalf("consent.withdrawn entries %+v %v", es, err)
	}
	if r, err := log.Verify(ctx, nil); err != nil || !r.OK() {
		t.Fatalf("chain after a withdrawal: %+v %v", r, err)
	}
}
