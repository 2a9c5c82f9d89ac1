package notice

import (
	"context"
	"testing"
	"time"

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
	if err := s.RecordAcceptance(ctx, "p_1", 2, "", bad); err == nil {
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

// TestStandingAcceptanceIsNotRecordedAgain: an account that accepted a
// version and joins again with it adds nothing to the ledger or the log;
// a new version is recorded, and so is the old one again once the
// standing acceptance was withdrawn.
func TestStandingAcceptanceIsNotRecordedAgain(t *testing.T) {
	s, st := newService(t)
	ctx := context.Background()
	log := audit.New(st, audit.Options{Key: []byte("notice test audit key, 32 bytes!")})
	s.Audit = log
	ev := audit.Event{Action: audit.ConsentGiven, Actor: "u_1", Target: "p_9", Outcome: audit.Success,
		Details: map[string]string{"kind": "notice", "version": "1"}}
	if _, ok, err := s.Accepted(ctx, "u_1", 1); ok || err != nil {
		t.Fatalf("accepted before accepting: %v %v", ok, err)
	}
	for range 3 {
		if err := s.RecordAcceptance(ctx, "u_1", 1, "k3m9-x2qa-7hvt-p4dz", ev); err != nil {
			t.Fatal(err)
		}
	}
	c, ok, err := s.Accepted(ctx, "u_1", 1)
	if !ok || err != nil || c.Version != 1 || c.GivenAt.IsZero() {
		t.Fatalf("Accepted = %+v %v %v", c, ok, err)
	}
	if _, ok, _ := s.Accepted(ctx, "u_1", 2); ok {
		t.Fatal("version 2 counts as accepted")
	}
	if err := s.RecordAcceptance(ctx, "u_1", 2, "", ev); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.Consents(ctx, "u_1"); len(cs) != 2 {
		t.Fatalf("ledger %+v, want one entry per version", cs)
	}
	es, err := log.Entries(ctx, store.AuditFilter{Action: string(audit.ConsentGiven)})
	if err != nil || len(es) != 2 {
		t.Fatalf("consent.given entries %d %v, want 2", len(es), err)
	}
	if _, err := st.WithdrawConsent(ctx, "u_1", store.ConsentNotice, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Accepted(ctx, "u_1", 1); ok {
		t.Fatal("a withdrawn acceptance still stands")
	}
	if err := s.RecordAcceptance(ctx, "u_1", 1, "", ev); err != nil {
		t.Fatal(err)
	}
	if cs, _ := s.Consents(ctx, "u_1"); len(cs) != 3 {
		t.Fatalf("ledger %+v, want the acceptance given again", cs)
	}
}
