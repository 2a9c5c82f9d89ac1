package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/conclave-meet/conclave/internal/pgtest"
	"github.com/conclave-meet/conclave/internal/store/postgres"
	"github.com/conclave-meet/conclave/internal/testclock"
)

const ttl = 6 * time.Second

// leaseNodes are nodes a, b, c on one migrated database, sharing clock.
func leaseNodes(t *testing.T, clock *testclock.Clock, ids ...string) map[string]*Leases {
	t.Helper()
	dsn := pgtest.NewFrom(t, "schema", func(dsn string) error { return postgres.Migrate(context.Background(), dsn) })
	out := map[string]*Leases{}
	for _, id := range ids {
		pool, err := pgxpool.New(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(pool.Close)
		l, err := NewLeases(pool, LeaseOptions{Node: id, URL: "https://" + id + ".test", TTL: ttl, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		out[id] = l
	}
	return out
}

func beat(t *testing.T, l *Leases, participants, cpu int) {
	t.Helper()
	if err := l.Heartbeat(context.Background(), Load{Participants: participants, CPUMilli: cpu}); err != nil {
		t.Fatal(err)
	}
}

func place(t *testing.T, l *Leases, meeting string) Lease {
	t.Helper()
	lease, err := l.Place(context.Background(), meeting)
	if err != nil {
		t.Fatal(err)
	}
	return lease
}

func newClock() *testclock.Clock { return testclock.New(time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)) }

// TestMeetingsPlacedByLoad: a meeting goes to the node with the fewest
// participants (CPU breaking ties), whichever node its first join
// reached, and stays there while its lease lives, whatever loads do.
func TestMeetingsPlacedByLoad(t *testing.T) {
	clock := newClock()
	n := leaseNodes(t, clock, "a", "b", "c")
	beat(t, n["a"], 40, 100)
	beat(t, n["b"], 12, 900)
	beat(t, n["c"], 12, 300)

	got := place(t, n["a"], "m1")
	if got.Node != "c" || got.URL != "https://c.test" || got.Epoch != 1 || !got.Expires.Equal(clock.Now().Add(ttl)) {
		t.Fatalf("placed on %+v, want c (fewest participants, then least CPU), epoch 1", got)
	}
	for _, id := range []string{"a", "b", "c"} {
		if again := place(t, n[id], "m1"); again != got {
			t.Fatalf("node %s sees %+v, want %+v", id, again, got)
		}
	}
	beat(t, n["c"], 500, 1000) // c gets busy: m1 stays while its lease lives
	if again := place(t, n["b"], "m1"); again.Node != "c" {
		t.Fatalf("a live lease moved: %+v", again)
	}
	if other := place(t, n["a"], "m2"); other.Node != "b" {
		t.Fatalf("the next meeting went to %s, want b", other.Node)
	}
}

// TestDeadNodeMeetingMovesAndIsFenced: a node that stops renewing loses
// its meetings once the lease expires; the next join places them on a
// live node with a higher epoch, and the old node's renewal is refused.
func TestDeadNodeMeetingMovesAndIsFenced(t *testing.T) {
	clock := newClock()
	n := leaseNodes(t, clock, "a", "b")
	beat(t, n["a"], 0, 0)
	beat(t, n["b"], 5, 0)
	held := place(t, n["b"], "m1")
	if held.Node != "a" {
		t.Fatalf("placed on %s, want a", held.Node)
	}
	// a renews at a third of the TTL and keeps its meeting.
	clock.Advance(ttl / 3)
	renewed, err := n["a"].Renew(context.Background(), held)
	if err != nil || !renewed.Expires.Equal(clock.Now().Add(ttl)) {
		t.Fatalf("renew: %+v, %v", renewed, err)
	}
	beat(t, n["a"], 3, 0)
	beat(t, n["b"], 5, 0)

	// a dies: no heartbeat, no renewal. Before expiry b still sends there.
	clock.Advance(ttl - time.Second)
	beat(t, n["b"], 5, 0)
	if got := place(t, n["b"], "m1"); got.Node != "a" {
		t.Fatalf("moved before the lease expired: %+v", got)
	}
	clock.Advance(2 * time.Second)
	beat(t, n["b"], 5, 0)
	moved := place(t, n["b"], "m1")
	if moved.Node != "b" || moved.Epoch != held.Epoch+1 {
		t.Fatalf("after a died: %+v, want b at epoch %d", moved, held.Epoch+1)
	}
	// The meeting goes on: it began when it began on a.
	if !held.Started.Equal(clock.Now().Add(-ttl/3-ttl-time.Second)) || !moved.Started.Equal(held.Started) {
		t.Fatalf("started %v on a, %v on b: the moved meeting must keep its start", held.Started, moved.Started)
	}
	// a comes back: its renewal is fenced, and it does not get the
	// meeting back by placing it either.
	if _, err := n["a"].Renew(context.Background(), renewed); !errors.Is(err, ErrFenced) {
		t.Fatalf("the old holder renewed: %v", err)
	}
	beat(t, n["a"], 0, 0)
	if got := place(t, n["a"], "m1"); got != moved {
		t.Fatalf("after a came back: %+v, want %+v", got, moved)
	}
}

// TestReleasedLeaseNeverRevives: a meeting that ended on its node is
// placed afresh at a higher epoch, and the released lease cannot be
// renewed, even by the node that held it.
func TestReleasedLeaseNeverRevives(t *testing.T) {
	clock := newClock()
	n := leaseNodes(t, clock, "a")
	beat(t, n["a"], 0, 0)
	first := place(t, n["a"], "m1")
	if err := n["a"].Release(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	if _, err := n["a"].Renew(context.Background(), first); !errors.Is(err, ErrFenced) {
		t.Fatalf("a released lease renewed: %v", err)
	}
	clock.Advance(time.Minute)
	second := place(t, n["a"], "m1")
	if second.Node != "a" || second.Epoch <= first.Epoch {
		t.Fatalf("placed again: %+v after %+v", second, first)
	}
	// The meeting had ended: the new live meeting begins now.
	if !second.Started.Equal(clock.Now()) {
		t.Fatalf("a meeting live again started %v, want now (%v)", second.Started, clock.Now())
	}
	if _, err := n["a"].Renew(context.Background(), first); !errors.Is(err, ErrFenced) {
		t.Fatalf("the first epoch renewed the second: %v", err)
	}
}

// TestNoLiveNodePlacesOnSelf: a node whose heartbeat has not been written
// yet (or a cluster of one) runs the meeting itself.
func TestNoLiveNodePlacesOnSelf(t *testing.T) {
	n := leaseNodes(t, newClock(), "a", "b")
	if got := place(t, n["b"], "m1"); got.Node != "b" || got.URL != "https://b.test" {
		t.Fatalf("%+v, want b", got)
	}
}

// TestConcurrentPlacementsAgree: three nodes placing one meeting from many
// goroutines at once all get the same lease.
func TestConcurrentPlacementsAgree(t *testing.T) {
	clock := newClock()
	n := leaseNodes(t, clock, "a", "b", "c")
	for i, id := range []string{"a", "b", "c"} {
		beat(t, n[id], 10-i, 0)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		seen = map[Lease]int{}
		errs []error
	)
	for g := range 24 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := n[[]string{"a", "b", "c"}[g%3]]
			lease, err := l.Place(context.Background(), "m1")
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			seen[lease]++
		}()
	}
	wg.Wait()
	if len(errs) > 0 || len(seen) != 1 {
		t.Fatalf("placements disagree: %v, errors %v", fmt.Sprint(seen), errs)
	}
	for lease := range seen {
		if lease.Node != "c" || lease.Epoch != 1 {
			t.Fatalf("%+v, want c at epoch 1", lease)
		}
	}
}

func TestLeasesNeedNodeAndURL(t *testing.T) {
	if _, err := NewLeases(nil, LeaseOptions{Node: "a"}); err == nil {
		t.Fatal("no URL accepted")
	}
	if _, err := NewLeases(nil, LeaseOptions{URL: "https://a.test"}); err == nil {
		t.Fatal("no node accepted")
	}
}
