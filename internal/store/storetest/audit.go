package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// auditTests are the audit-log conformance tests, run by Run.
var auditTests = map[string]func(*testing.T, store.Store){
	"AuditRoundTrip":         testAuditRoundTrip,
	"AuditChainFields":       testAuditChainFields,
	"AuditSealFailure":       testAuditSealFailure,
	"AuditFilters":           testAuditFilters,
	"AuditPaging":            testAuditPaging,
	"AuditConcurrentAppends": testAuditConcurrentAppends,
}

// seal stands in for package audit: any deterministic function of the
// chain fields will do.
func seal(e store.AuditEntry) (store.AuditEntry, error) {
	if e.PrevHash == nil {
		e.PrevHash = []byte("genesis")
	}
	sum := sha256.Sum256(append([]byte(strconv.FormatInt(e.Seq, 10)+e.Action), e.PrevHash...))
	e.Hash = sum[:]
	return e, nil
}

func mustAppend(t *testing.T, s store.Store, e store.AuditEntry) store.AuditEntry {
	t.Helper()
	out, err := s.AppendAudit(context.Background(), e, seal)
	if err != nil {
		t.Fatalf("AppendAudit: %v", err)
	}
	return out
}

func fullEntry() store.AuditEntry {
	return store.AuditEntry{
		Time: base, Action: "meeting.remove", Actor: "u_host", Target: "p_guest", Meeting: "k3m9-x2qa-7hvt-p4dz",
		Outcome: "success", Details: map[string]string{"reason": "spam", "role": "guest"},
		ClientAddr: "2001:db8::7", AddrSalt: bytes.Repeat([]byte{7}, 16), AddrHash: bytes.Repeat([]byte{8}, 32),
	}
}

func sameAudit(t *testing.T, got, want store.AuditEntry) {
	t.Helper()
	sameTime(t, "Time", got.Time, want.Time)
	got.Time = want.Time
	if !maps.Equal(got.Details, want.Details) || len(got.Details) != len(want.Details) {
		t.Errorf("details %v, want %v", got.Details, want.Details)
	}
	got.Details, want.Details = nil, nil
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Errorf("entry\n got %+v\nwant %+v", got, want)
	}
}

func testAuditRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.LastAudit(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LastAudit of empty log: %v", err)
	}
	full := mustAppend(t, s, fullEntry())
	bare := mustAppend(t, s, store.AuditEntry{Time: base.Add(time.Second), Action: "auth.setup", Outcome: "success"})
	all, err := s.AuditEntries(ctx, store.AuditFilter{})
	if err != nil || len(all) != 2 {
		t.Fatalf("entries: %d %v", len(all), err)
	}
	sameAudit(t, all[0], full)
	sameAudit(t, all[1], bare)
	if all[1].Details != nil || all[1].AddrHash != nil || all[1].AddrSalt != nil || all[1].ClientAddr != "" {
		t.Errorf("empty fields came back as %+v", all[1])
	}
	last, err := s.LastAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sameAudit(t, last, bare)
}

func testAuditChainFields(t *testing.T, s store.Store) {
	var seen []store.AuditEntry
	capture := func(e store.AuditEntry) (store.AuditEntry, error) {
		seen = append(seen, e)
		return seal(e)
	}
	ctx := context.Background()
	first, err := s.AppendAudit(ctx, store.AuditEntry{Time: base, Action: "a", Outcome: "success", Seq: 99, PrevHash: []byte("x")}, capture)
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.AppendAudit(ctx, store.AuditEntry{Time: base, Action: "b", Outcome: "success"}, capture)
	if err != nil {
		t.Fatal(err)
	}
	if seen[0].Seq != 1 || seen[0].PrevHash != nil {
		t.Errorf("first seal saw seq %d prev %q; want 1 and nil", seen[0].Seq, seen[0].PrevHash)
	}
	if seen[1].Seq != 2 || !bytes.Equal(seen[1].PrevHash, first.Hash) {
		t.Errorf("second seal saw seq %d prev %x; want 2 and %x", seen[1].Seq, seen[1].PrevHash, first.Hash)
	}
	if !bytes.Equal(first.PrevHash, []byte("genesis")) || second.Seq != 2 {
		t.Errorf("returned %+v %+v", first, second)
	}
}

func testAuditSealFailure(t *testing.T, s store.Store) {
	ctx := context.Background()
	boom := errors.New("boom")
	failing := func(store.AuditEntry) (store.AuditEntry, error) { return store.AuditEntry{}, boom }
	if _, err := s.AppendAudit(ctx, fullEntry(), failing); !errors.Is(err, boom) {
		t.Fatalf("seal error: %v", err)
	}
	renumber := func(e store.AuditEntry) (store.AuditEntry, error) {
		e, _ = seal(e)
		e.Seq = 5
		return e, nil
	}
	if _, err := s.AppendAudit(ctx, fullEntry(), renumber); err == nil {
		t.Fatal("seal may not change Seq")
	}
	if all, _ := s.AuditEntries(ctx, store.AuditFilter{}); len(all) != 0 {
		t.Fatalf("failed appends stored %d entries", len(all))
	}
	if e := mustAppend(t, s, fullEntry()); e.Seq != 1 {
		t.Fatalf("seq after failures: %d", e.Seq)
	}
}

// auditFixture appends six entries, one second apart from base.
func auditFixture(t *testing.T, s store.Store) {
	rows := []struct{ action, actor, target, meeting, outcome string }{
		{"auth.login.success", "u_a", "", "", "success"},
		{"meeting.create", "u_a", "", "m1", "success"},
		{"auth.login.failure", "", "u_b", "", "failure"},
		{"meeting.remove", "u_a", "p_x", "m1", "success"},
		{"audit.view", "u_b", "", "", "denied"},
		{"meeting.create", "u_b", "", "m2", "success"},
	}
	for i, r := range rows {
		mustAppend(t, s, store.AuditEntry{
			Time: base.Add(time.Duration(i) * time.Second), Action: r.action, Actor: r.actor,
			Target: r.target, Meeting: r.meeting, Outcome: r.outcome,
		})
	}
}

func seqs(t *testing.T, s store.Store, f store.AuditFilter) []int64 {
	t.Helper()
	es, err := s.AuditEntries(context.Background(), f)
	if err != nil {
		t.Fatalf("AuditEntries(%+v): %v", f, err)
	}
	out := []int64{}
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

func testAuditFilters(t *testing.T, s store.Store) {
	auditFixture(t, s)
	cases := []struct {
		name string
		f    store.AuditFilter
		want []int64
	}{
		{"all", store.AuditFilter{}, []int64{1, 2, 3, 4, 5, 6}},
		{"since inclusive", store.AuditFilter{Since: base.Add(4 * time.Second)}, []int64{5, 6}},
		{"until exclusive", store.AuditFilter{Until: base.Add(2 * time.Second)}, []int64{1, 2}},
		{"window", store.AuditFilter{Since: base.Add(time.Second), Until: base.Add(3 * time.Second)}, []int64{2, 3}},
		{"action", store.AuditFilter{Action: "meeting.create"}, []int64{2, 6}},
		{"actor", store.AuditFilter{Actor: "u_a"}, []int64{1, 2, 4}},
		{"target", store.AuditFilter{Target: "u_b"}, []int64{3}},
		{"meeting", store.AuditFilter{Meeting: "m1"}, []int64{2, 4}},
		{"outcome", store.AuditFilter{Outcome: "denied"}, []int64{5}},
		{"combined", store.AuditFilter{Actor: "u_b", Action: "meeting.create"}, []int64{6}},
		{"no match", store.AuditFilter{Actor: "u_nobody"}, []int64{}},
		{"seqs", store.AuditFilter{Seqs: []int64{6, 2, 99}}, []int64{2, 6}},
		{"after seq", store.AuditFilter{AfterSeq: 4}, []int64{5, 6}},
		{"newest", store.AuditFilter{Newest: true}, []int64{6, 5, 4, 3, 2, 1}},
		{"injection is a value", store.AuditFilter{Actor: "' OR 1=1 --"}, []int64{}},
	}
	for _, tc := range cases {
		if got := seqs(t, s, tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func testAuditPaging(t *testing.T, s store.Store) {
	auditFixture(t, s)
	cases := []struct {
		name string
		f    store.AuditFilter
		want []int64
	}{
		{"limit", store.AuditFilter{Limit: 2}, []int64{1, 2}},
		{"offset", store.AuditFilter{Limit: 2, Offset: 3}, []int64{4, 5}},
		{"offset only", store.AuditFilter{Offset: 4}, []int64{5, 6}},
		{"newest page", store.AuditFilter{Newest: true, Limit: 2, Offset: 1}, []int64{5, 4}},
		{"filtered page", store.AuditFilter{Actor: "u_a", Limit: 1, Offset: 1}, []int64{2}},
		{"keyset page", store.AuditFilter{AfterSeq: 2, Limit: 3}, []int64{3, 4, 5}},
	}
	for _, tc := range cases {
		if got := seqs(t, s, tc.f); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// testAuditConcurrentAppends: appends from many goroutines are serialised:
// numbers are consecutive and each entry links to the one before.
func testAuditConcurrentAppends(t *testing.T, s store.Store) {
	const workers, each = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				e := store.AuditEntry{Time: base, Action: fmt.Sprintf("w%d.%d", w, i), Outcome: "success"}
				if _, err := s.AppendAudit(context.Background(), e, seal); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	all, err := s.AuditEntries(context.Background(), store.AuditFilter{})
	if err != nil || len(all) != workers*each {
		t.Fatalf("%d entries, %v", len(all), err)
	}
	prev := []byte("genesis")
	for i, e := range all {
		if e.Seq != int64(i+1) || !bytes.Equal(e.PrevHash, prev) {
			t.Fatalf("entry %d: seq %d, prev %x, want %x", i, e.Seq, e.PrevHash, prev)
		}
		prev = e.Hash
	}
}
