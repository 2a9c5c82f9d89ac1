package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

// consentAuditTests are the conformance tests of AddConsentAudited, run by Run.
var consentAuditTests = map[string]func(*testing.T, store.Store){
	"ConsentAuditedTogether":         testConsentAuditedTogether,
	"ConsentAuditedNeitherOnFailure": testConsentAuditedNeither,
}

func noticeConsent(subject string) store.Consent {
	return store.Consent{SubjectID: subject, Kind: store.ConsentNotice, Version: 1, MeetingID: "k3m9-x2qa-7hvt-p4dz", GivenAt: base}
}

func testConsentAuditedTogether(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustAppend(t, s, store.AuditEntry{Time: base, Action: "meeting.create", Outcome: "success"})
	e := store.AuditEntry{Time: base, Action: "consent.given", Actor: "p_1", Target: "p_1", Outcome: "success",
		Details: map[string]string{"kind": "notice", "version": "1"}}
	c, out, err := s.AddConsentAudited(ctx, noticeConsent("p_1"), e, seal)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID == 0 || out.Seq != 2 || out.Hash == nil {
		t.Fatalf("stored consent %+v and entry seq %d hash %x", c, out.Seq, out.Hash)
	}
	cs, err := s.ConsentsBySubject(ctx, "p_1")
	if err != nil || len(cs) != 1 || cs[0].ID != c.ID {
		t.Fatalf("ledger %+v, %v", cs, err)
	}
	last, err := s.LastAudit(ctx)
	if err != nil || last.Seq != 2 || last.Action != "consent.given" {
		t.Fatalf("last entry %+v, %v", last, err)
	}
	// The chain goes on after it.
	if next := mustAppend(t, s, store.AuditEntry{Time: base, Action: "meeting.leave", Outcome: "success"}); next.Seq != 3 {
		t.Fatalf("next entry seq %d, want 3", next.Seq)
	}
}

// testConsentAuditedNeither: when the entry cannot be sealed (or stored),
// the consent is not stored either.
func testConsentAuditedNeither(t *testing.T, s store.Store) {
	ctx := context.Background()
	failing := func(store.AuditEntry) (store.AuditEntry, error) { return store.AuditEntry{}, errors.New("disk full") }
	e := store.AuditEntry{Time: base, Action: "consent.given", Actor: "p_2", Outcome: "success"}
	if _, _, err := s.AddConsentAudited(ctx, noticeConsent("p_2"), e, failing); err == nil {
		t.Fatal("AddConsentAudited succeeded with a failing seal")
	}
	if cs, err := s.ConsentsBySubject(ctx, "p_2"); err != nil || len(cs) != 0 {
		t.Fatalf("consent left without its entry: %+v, %v", cs, err)
	}
	if _, err := s.LastAudit(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("audit log after a failed append: %v, want empty", err)
	}
}
