package notice

import (
	"context"
	"testing"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
)

func TestRecordAcceptanceWritesConsentAndEntryTogether(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	if err := s.RecordAcceptance(ctx, "p_1", 1, "", audit.Event{Action: audit.ConsentGiven}); err == nil {
		t.Fatal("an acceptance was recorded without an audit log")
	}
	log := audit.New(st, audit.Options{Key: []byte("notice test audit key, 32 bytes!")})
	s.Audit = log
	ev := audit.Event{Action: audit.ConsentGiven, Actor: "p_1", Target: "p_1", Outcome: audit.Success,
		Details: map[string]string{"kind": "notice", "version": "1"}}
	if err := s.RecordAcceptance(ctx, "p_1", 1, "k3m9-x2qa-7hvt-p4dz", ev); err != nil {
		t.Fatal(err)
	}
	// An entry the log refuses (an e-mail address in the details) takes
	// the consent with it.
	bad := ev
	bad.Details = map[string]string{"kind": "ada@example.org"}
	if err := s.RecordAcceptance(ctx, "p_1", 1, "", bad); err == nil {
		t.Fatal("an acceptance with an invalid entry was recorded")
	}
	cs, err := s.Consents(ctx, "p_1")
	if err != nil || len(cs) != 1 || cs[0].Kind != store.ConsentNotice || cs[0].MeetingID != "k3m9-x2qa-7hvt-p4dz" {
		t.Fatalf("ledger %+v %v, want the one acceptance", cs, err)
	}
	es, err := log.Entries(ctx, store.AuditFilter{Action: string(audit.ConsentGiven)})
	if err != nil || len(es) != 1 || es[0].Actor != "p_1" {
		t.Fatalf("consent.given entries %+v %v", es, err)
	}
	if r, err := log.Verify(ctx, nil); err != nil || !r.OK() {
		t.Fatalf("chain after a consent: %+v %v", r, err)
	}
}
