package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// consentTests are the notice and consent-ledger conformance tests, run by Run.
var consentTests = map[string]func(*testing.T, store.Store){
	"NoticeVersions":          testNoticeVersions,
	"NoticeConcurrentAdds":    testNoticeConcurrentAdds,
	"ConsentRoundTrip":        testConsentRoundTrip,
	"ConsentWithdraw":         testConsentWithdraw,
	"ConsentDeleteBefore":     testConsentDeleteBefore,
	"ConsentOutlivesAccounts": testConsentOutlivesAccounts,
}

func mustAddNotice(t *testing.T, s store.Store, md string, at time.Time) store.Notice {
	t.Helper()
	n, err := s.AddNotice(context.Background(), store.Notice{Markdown: md, CreatedAt: at, CreatedBy: "u_admin"})
	if err != nil {
		t.Fatalf("AddNotice: %v", err)
	}
	return n
}

func testNoticeVersions(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.CurrentNotice(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CurrentNotice of empty store: %v", err)
	}
	if ns, err := s.Notices(ctx); err != nil || len(ns) != 0 {
		t.Fatalf("Notices of empty store: %v %v", ns, err)
	}
	first := mustAddNotice(t, s, "# One", base)
	second := mustAddNotice(t, s, "# Two", base.Add(time.Hour))
	if first.Version != 1 || second.Version != 2 {
		t.Fatalf("versions %d, %d; want 1, 2", first.Version, second.Version)
	}
	cur, err := s.CurrentNotice(ctx)
	if err != nil || cur.Version != 2 || cur.Markdown != "# Two" || cur.CreatedBy != "u_admin" {
		t.Fatalf("current %+v %v", cur, err)
	}
	sameTime(t, "CreatedAt", cur.CreatedAt, base.Add(time.Hour))
	all, err := s.Notices(ctx)
	if err != nil || len(all) != 2 || all[0].Version != 2 || all[1].Markdown != "# One" {
		t.Fatalf("notices %+v %v", all, err)
	}
}

// testNoticeConcurrentAdds proves that concurrent publishers get distinct,
// gapless versions.
func testNoticeConcurrentAdds(t *testing.T, s store.Store) {
	const n = 8
	var wg sync.WaitGroup
	versions := make(chan int, n)
	for range n {
		wg.Go(func() {
			got, err := s.AddNotice(context.Background(), store.Notice{Markdown: "x", CreatedAt: base})
			if err != nil {
				t.Errorf("AddNotice: %v", err)
				return
			}
			versions <- got.Version
		})
	}
	wg.Wait()
	close(versions)
	seen := map[int]bool{}
	for v := range versions {
		if seen[v] || v < 1 || v > n {
			t.Fatalf("version %d duplicate or out of range", v)
		}
		seen[v] = true
	}
}

func testConsentRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	in := []store.Consent{
		{SubjectID: "u_1", Kind: store.ConsentNotice, Version: 3, MeetingID: "k3m9-x2qa-7hvt-p4dz", GivenAt: base},
		{SubjectID: "p_2", Kind: store.ConsentNotice, Version: 3, GivenAt: base},
		{SubjectID: "u_1", Kind: store.ConsentRecording, GivenAt: base.Add(time.Minute), WithdrawnAt: base.Add(2 * time.Minute)},
	}
	for i := range in {
		c, err := s.AddConsent(ctx, in[i])
		if err != nil || c.ID == 0 {
			t.Fatalf("AddConsent: %+v %v", c, err)
		}
		in[i].ID = c.ID
	}
	got, err := s.ConsentsBySubject(ctx, "u_1")
	if err != nil || len(got) != 2 {
		t.Fatalf("consents of u_1: %+v %v", got, err)
	}
	for i, want := range []store.Consent{in[0], in[2]} {
		sameTime(t, "GivenAt", got[i].GivenAt, want.GivenAt)
		if !want.WithdrawnAt.IsZero() {
			sameTime(t, "WithdrawnAt", got[i].WithdrawnAt, want.WithdrawnAt)
		} else if !got[i].WithdrawnAt.IsZero() {
			t.Errorf("WithdrawnAt = %v, want zero", got[i].WithdrawnAt)
		}
		got[i].GivenAt, got[i].WithdrawnAt = want.GivenAt, want.WithdrawnAt
		if got[i] != want {
			t.Errorf("consent %d: got %+v, want %+v", i, got[i], want)
		}
	}
	if none, err := s.ConsentsBySubject(ctx, "u_nobody"); err != nil || len(none) != 0 {
		t.Fatalf("unknown subject: %v %v", none, err)
	}
	if _, err := s.AddConsent(ctx, store.Consent{SubjectID: "u_1", Kind: "marketing", GivenAt: base}); err == nil {
		t.Fatal("unknown consent kind accepted")
	}
}

func testConsentWithdraw(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, m := range []string{"m1", "m2"} {
		if _, err := s.AddConsent(ctx, store.Consent{SubjectID: "p_1", Kind: store.ConsentRecording, MeetingID: m, GivenAt: base}); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := s.WithdrawConsent(ctx, "p_1", store.ConsentRecording, "m1", base.Add(time.Hour)); err != nil || n != 1 {
		t.Fatalf("withdraw in m1: %d %v", n, err)
	}
	if n, err := s.WithdrawConsent(ctx, "p_1", store.ConsentRecording, "", base.Add(2*time.Hour)); err != nil || n != 1 {
		t.Fatalf("withdraw the rest: %d %v (an already withdrawn consent must keep its time)", n, err)
	}
	got, _ := s.ConsentsBySubject(ctx, "p_1")
	sameTime(t, "m1 withdrawn", got[0].WithdrawnAt, base.Add(time.Hour))
	sameTime(t, "m2 withdrawn", got[1].WithdrawnAt, base.Add(2*time.Hour))
}

func testConsentDeleteBefore(t *testing.T, s store.Store) {
	ctx := context.Background()
	for i := range 3 {
		if _, err := s.AddConsent(ctx, store.Consent{SubjectID: "p_1", Kind: store.ConsentNotice, Version: 1,
			GivenAt: base.Add(time.Duration(i) * time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.DeleteConsentsBefore(ctx, base.Add(time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("deleted %d %v, want 1", n, err)
	}
	if left, _ := s.ConsentsBySubject(ctx, "p_1"); len(left) != 2 {
		t.Fatalf("left %d, want 2", len(left))
	}
}

// testConsentOutlivesAccounts: the ledger names subjects by ID only and
// does not depend on the account existing (proof must outlive erasure).
func testConsentOutlivesAccounts(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.AddConsent(ctx, store.Consent{SubjectID: "u_gone", Kind: store.ConsentNotice, Version: 1, GivenAt: base}); err != nil {
		t.Fatalf("consent of a subject without an account: %v", err)
	}
}
