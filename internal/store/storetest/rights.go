package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// rightsTests are the conformance tests of what the data subjects' rights
// need (rectification, restriction, consent withdrawal, the request kinds
// and guest proofs), run by Run.
var rightsTests = map[string]func(*testing.T, store.Store){
	"ProfileRoundTrip":           testProfileRoundTrip,
	"ProfileConflict":            testProfileConflict,
	"ProfileUnknownAccount":      testProfileUnknownAccount,
	"RestrictRevokesSessions":    testRestrictRevokesSessions,
	"RestrictLastAdmin":          testRestrictLastAdmin,
	"RequestKindsRestrictObject": testRequestKindsRestrictObject,
	"ConsentWithdrawAudited":     testConsentWithdrawAudited,
	"ConsentWithdrawNothing":     testConsentWithdrawNothing,
	"ConsentWithdrawFailingSeal": testConsentWithdrawFailingSeal,
	"GuestProofSingleUse":        testGuestProofSingleUse,
	"GuestProofExpiry":           testGuestProofExpiry,
	"GuestProofByParticipant":    testGuestProofByParticipant,
}

func mustSession(t *testing.T, s store.Store, userID string, hash byte) {
	t.Helper()
	err := s.CreateSession(context.Background(), store.Session{TokenHash: []byte{hash}, UserID: userID, CreatedAt: base, ExpiresAt: base.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
}

// testProfileRoundTrip: the new name and e-mail read back, the account is
// found by its new address and no longer by the old one, and its sessions
// stay.
func testProfileRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	u := user("u_1", "ada@example.org", store.RoleMember, base)
	mustCreateUser(t, s, u)
	mustSession(t, s, "u_1", 1)
	if err := s.SetProfile(ctx, "u_1", "Ada Lovelace", "ada.lovelace@example.org"); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByEmail(ctx, "ada.lovelace@example.org")
	if err != nil || got.ID != "u_1" || got.Name != "Ada Lovelace" || got.Email != "ada.lovelace@example.org" {
		t.Fatalf("by new e-mail: %+v %v", got, err)
	}
	if got.Role != u.Role || got.PasswordHash != u.PasswordHash || !got.CreatedAt.Equal(base) {
		t.Fatalf("other fields changed: %+v", got)
	}
	if _, err := s.UserByEmail(ctx, "ada@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old e-mail still finds the account: %v", err)
	}
	if _, err := s.SessionByTokenHash(ctx, []byte{1}); err != nil {
		t.Fatalf("session revoked by a profile change: %v", err)
	}
	// The old address is free for another account.
	mustCreateUser(t, s, user("u_2", "ada@example.org", store.RoleMember, base))
}

func testProfileConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_1", "a@example.org", store.RoleMember, base))
	mustCreateUser(t, s, user("u_2", "b@example.org", store.RoleMember, base))
	if err := s.SetProfile(ctx, "u_2", "B", "a@example.org"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("taken e-mail: %v, want ErrConflict", err)
	}
	got, err := s.UserByID(ctx, "u_2")
	if err != nil || got.Email != "b@example.org" || got.Name != "Name u_2" {
		t.Fatalf("refused change left %+v %v", got, err)
	}
	// Keeping one's own address is not a conflict.
	if err := s.SetProfile(ctx, "u_2", "Bea", "b@example.org"); err != nil {
		t.Fatalf("own e-mail: %v", err)
	}
}

func testProfileUnknownAccount(t *testing.T, s store.Store) {
	if err := s.SetProfile(context.Background(), "u_ghost", "G", "g@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown account: %v, want ErrNotFound", err)
	}
}

// testRestrictRevokesSessions: a restriction shows on the account, ends
// its sessions, keeps it out of retention's inactive accounts, and
// lifting it keeps the data as it was.
func testRestrictRevokesSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_a", "admin@example.org", store.RoleAdmin, base))
	mustCreateUser(t, s, user("u_1", "a@example.org", store.RoleMember, base))
	mustSession(t, s, "u_1", 1)
	if err := s.SetRestricted(ctx, "u_1", true, base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByID(ctx, "u_1")
	if err != nil || !got.Restricted || got.Disabled || got.Name != "Name u_1" {
		t.Fatalf("restricted account reads %+v %v", got, err)
	}
	if _, err := s.SessionByTokenHash(ctx, []byte{1}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session after restriction: %v", err)
	}
	inactive, err := s.InactiveUsers(ctx, base.Add(24*time.Hour))
	if err != nil || slices.Contains(inactive, "u_1") {
		t.Fatalf("restricted account among inactive ones: %v %v", inactive, err)
	}
	if err := s.SetRestricted(ctx, "u_1", false, base.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserByID(ctx, "u_1"); err != nil || got.Restricted {
		t.Fatalf("lifted restriction reads %+v %v", got, err)
	}
	if inactive, _ := s.InactiveUsers(ctx, base.Add(24*time.Hour)); !slices.Contains(inactive, "u_1") {
		t.Fatalf("lifted restriction still keeps the account from expiring: %v", inactive)
	}
	if err := s.SetRestricted(ctx, "u_ghost", true, base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown account: %v, want ErrNotFound", err)
	}
}

// testRestrictLastAdmin: the last administrator who can sign in cannot be
// restricted; with another one it can.
func testRestrictLastAdmin(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustCreateUser(t, s, user("u_a", "a@example.org", store.RoleAdmin, base))
	if err := s.SetRestricted(ctx, "u_a", true, base); !errors.Is(err, store.ErrLastAdmin) {
		t.Fatalf("last admin: %v, want ErrLastAdmin", err)
	}
	if got, _ := s.UserByID(ctx, "u_a"); got.Restricted {
		t.Fatal("a refused restriction was stored")
	}
	mustCreateUser(t, s, user("u_b", "b@example.org", store.RoleAdmin, base))
	if err := s.SetRestricted(ctx, "u_a", true, base); err != nil {
		t.Fatalf("with another admin: %v", err)
	}
	// The restricted one no longer counts: the other cannot be disabled.
	if err := s.SetAccess(ctx, "u_b", store.RoleAdmin, true, base); !errors.Is(err, store.ErrLastAdmin) {
		t.Fatalf("disabling the last unrestricted admin: %v, want ErrLastAdmin", err)
	}
}

func testRequestKindsRestrictObject(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, kind := range []string{store.RequestRestriction, store.RequestObjection} {
		sr, err := s.CreateSubjectRequest(ctx, store.SubjectRequest{Kind: kind, SubjectRef: "u_1", ReceivedAt: base, DueAt: base.Add(time.Hour)})
		if err != nil || sr.Kind != kind {
			t.Fatalf("%s request: %+v %v", kind, sr, err)
		}
	}
	all, err := s.SubjectRequests(ctx, true)
	if err != nil || len(all) != 2 || all[0].Kind != store.RequestRestriction || all[1].Kind != store.RequestObjection {
		t.Fatalf("register %+v %v", all, err)
	}
}

func withdrawEntry(subject string) store.AuditEntry {
	return store.AuditEntry{Time: base, Action: "consent.withdrawn", Actor: subject, Target: subject, Outcome: "success",
		Details: map[string]string{"kind": "notice"}}
}

// testConsentWithdrawAudited: the withdrawal and its entry are stored
// together, and only standing consents of the kind are withdrawn.
func testConsentWithdrawAudited(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, c := range []store.Consent{noticeConsent("u_1"), noticeConsent("u_1"),
		{SubjectID: "u_1", Kind: store.ConsentRecording, GivenAt: base}, noticeConsent("u_2")} {
		if _, err := s.AddConsent(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	at := base.Add(time.Hour)
	n, e, err := s.WithdrawConsentAudited(ctx, "u_1", store.ConsentNotice, "", at, withdrawEntry("u_1"), seal)
	if err != nil || n != 2 || e.Seq != 1 || e.Hash == nil {
		t.Fatalf("withdrew %d, entry %+v, %v", n, e, err)
	}
	cs, _ := s.ConsentsBySubject(ctx, "u_1")
	for _, c := range cs {
		if withdrawn := !c.WithdrawnAt.IsZero(); withdrawn != (c.Kind == store.ConsentNotice) {
			t.Errorf("consent %+v", c)
		}
	}
	if cs, _ := s.ConsentsBySubject(ctx, "u_2"); !cs[0].WithdrawnAt.IsZero() {
		t.Error("another subject's consent was withdrawn")
	}
	if last, err := s.LastAudit(ctx); err != nil || last.Action != "consent.withdrawn" {
		t.Fatalf("last entry %+v %v", last, err)
	}
}

// testConsentWithdrawNothing: with nothing standing, nothing is recorded.
func testConsentWithdrawNothing(t *testing.T, s store.Store) {
	ctx := context.Background()
	n, e, err := s.WithdrawConsentAudited(ctx, "u_1", store.ConsentNotice, "", base, withdrawEntry("u_1"), seal)
	if err != nil || n != 0 || e.Seq != 0 {
		t.Fatalf("withdrew %d, entry %+v, %v", n, e, err)
	}
	if _, err := s.LastAudit(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an entry for nothing withdrawn: %v", err)
	}
}

// testConsentWithdrawFailingSeal: no entry, no withdrawal.
func testConsentWithdrawFailingSeal(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.AddConsent(ctx, noticeConsent("u_1")); err != nil {
		t.Fatal(err)
	}
	failing := func(store.AuditEntry) (store.AuditEntry, error) { return store.AuditEntry{}, errors.New("disk full") }
	if _, _, err := s.WithdrawConsentAudited(ctx, "u_1", store.ConsentNotice, "", base, withdrawEntry("u_1"), failing); err == nil {
		t.Fatal("withdrawal succeeded with a failing seal")
	}
	if cs, _ := s.ConsentsBySubject(ctx, "u_1"); !cs[0].WithdrawnAt.IsZero() {
		t.Fatal("withdrawn without its entry")
	}
}

func proof(hash, participant string, created time.Time) store.GuestProof {
	return store.GuestProof{TokenHash: []byte(hash), ParticipantID: participant, MeetingID: "k3m9-x2qa-7hvt-p4dz",
		CreatedAt: created, ExpiresAt: created.Add(90 * 24 * time.Hour)}
}

func mustAddProof(t *testing.T, s store.Store, p store.GuestProof) {
	t.Helper()
	if err := s.AddGuestProof(context.Background(), p); err != nil {
		t.Fatal(err)
	}
}

// testGuestProofSingleUse: a proof is consumed once, and only by its own
// participant; a wrong participant leaves it in place.
func testGuestProofSingleUse(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustAddProof(t, s, proof("h1", "p_1", base))
	if err := s.AddGuestProof(ctx, proof("h1", "p_2", base)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate hash: %v, want ErrConflict", err)
	}
	if _, err := s.ConsumeGuestProof(ctx, []byte("h1"), "p_2", base); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another participant's proof: %v, want ErrNotFound", err)
	}
	got, err := s.ConsumeGuestProof(ctx, []byte("h1"), "p_1", base.Add(time.Hour))
	if err != nil || got.ParticipantID != "p_1" || got.MeetingID != "k3m9-x2qa-7hvt-p4dz" {
		t.Fatalf("consume: %+v %v", got, err)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, base)
	if _, err := s.ConsumeGuestProof(ctx, []byte("h1"), "p_1", base.Add(time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second use: %v, want ErrNotFound", err)
	}
}

// testGuestProofExpiry: an expired proof is refused and kept until it is
// deleted; deletion takes expired proofs and those created too long ago.
func testGuestProofExpiry(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := proof("h1", "p_1", base)
	mustAddProof(t, s, p)
	mustAddProof(t, s, proof("h2", "p_2", base.Add(24*time.Hour)))
	mustAddProof(t, s, proof("h3", "p_3", base.Add(48*time.Hour)))
	if _, err := s.ConsumeGuestProof(ctx, []byte("h1"), "p_1", p.ExpiresAt); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("at its expiry: %v, want ErrNotFound", err)
	}
	n, err := s.DeleteGuestProofsBefore(ctx, p.ExpiresAt.Add(time.Nanosecond), base.Add(36*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("deleted %d, %v; want the expired one and the one created before the cut-off", n, err)
	}
	if _, err := s.ConsumeGuestProof(ctx, []byte("h3"), "p_3", base.Add(49*time.Hour)); err != nil {
		t.Fatalf("the remaining proof: %v", err)
	}
}

func testGuestProofByParticipant(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustAddProof(t, s, proof("h2", "p_1", base.Add(time.Hour)))
	mustAddProof(t, s, proof("h1", "p_1", base))
	mustAddProof(t, s, proof("h3", "p_2", base))
	ps, err := s.GuestProofsByParticipant(ctx, "p_1")
	if err != nil || len(ps) != 2 || string(ps[0].TokenHash) != "h1" {
		t.Fatalf("proofs of p_1: %+v %v", ps, err)
	}
	if n, err := s.DeleteGuestProofsByParticipant(ctx, "p_1"); err != nil || n != 2 {
		t.Fatalf("deleted %d, %v", n, err)
	}
	if ps, _ := s.GuestProofsByParticipant(ctx, "p_2"); len(ps) != 1 {
		t.Fatalf("another participant's proof went too: %+v", ps)
	}
}
