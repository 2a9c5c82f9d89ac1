package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/testclock"
)

// fakeRooms is a node's live meetings, as placement sees them.
type fakeRooms struct {
	mu    sync.Mutex
	live  map[string]bool
	moved []string
}

func newFakeRooms() *fakeRooms { return &fakeRooms{live: map[string]bool{}} }

func (f *fakeRooms) Live(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.live[id]
}

func (f *fakeRooms) MoveMeeting(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	was := f.live[id]
	delete(f.live, id)
	f.moved = append(f.moved, id)
	return was
}

func (f *fakeRooms) set(id string, live bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.live[id] = live
}

func (f *fakeRooms) movedList() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.moved...)
}

type placed struct {
	*Placement
	rooms *fakeRooms
	load  Load
}

func placements(t *testing.T, clock *testclock.Clock, ids ...string) map[string]*placed {
	t.Helper()
	out := map[string]*placed{}
	for id, l := range leaseNodes(t, clock, ids...) {
		n := &placed{rooms: newFakeRooms()}
		p, err := NewPlacement(l, PlacementOptions{Rooms: n.rooms, Load: func() Load { return n.load }, Now: clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		n.Placement = p
		out[id] = n
	}
	return out
}

func wherePlaced(t *testing.T, p *placed, meeting string) Where {
	t.Helper()
	w, err := p.Place(context.Background(), meeting)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestPlacementKeepsLiveMeetings: the node a meeting is placed on renews
// its lease round after round while the meeting is live there, so the
// meeting never moves however long it lasts; other nodes are told where
// it runs, and Holder names it without writing anything.
func TestPlacementKeepsLiveMeetings(t *testing.T) {
	clock := newClock()
	ns := placements(t, clock, "a", "b")
	ctx := context.Background()
	ns["a"].load = Load{Participants: 5}
	ns["a"].Step(ctx)
	ns["b"].Step(ctx)
	if w := wherePlaced(t, ns["a"], "m1"); w.Local || w.Node != "b" || w.URL != "https://b.test" {
		t.Fatalf("placed on a's request: %+v, want b (less loaded)", w)
	}
	if w := wherePlaced(t, ns["b"], "m1"); !w.Local {
		t.Fatalf("b's own join: %+v, want local", w)
	}
	ns["b"].rooms.set("m1", true)
	for range 10 { // a minute of rounds, far past the TTL
		clock.Advance(ttl / 3)
		ns["a"].Step(ctx)
		ns["b"].Step(ctx)
	}
	if w, ok, err := ns["a"].Holder(ctx, "m1"); err != nil || !ok || w.Node != "b" || w.Local {
		t.Fatalf("holder seen from a: %+v %v %v", w, ok, err)
	}
	if _, ok, err := ns["a"].Holder(ctx, "never-placed"); err != nil || ok {
		t.Fatalf("a meeting never placed has a holder: %v %v", ok, err)
	}
}

// TestPlacementGivesBackEndedMeetings: once the meeting is no longer live
// on its node, the lease is given back (after a TTL's grace for a join
// under way), so the next join places it by load again.
func TestPlacementGivesBackEndedMeetings(t *testing.T) {
	clock := newClock()
	ns := placements(t, clock, "a", "b")
	ctx := context.Background()
	ns["a"].Step(ctx)
	ns["b"].load = Load{Participants: 9}
	ns["b"].Step(ctx)
	if w := wherePlaced(t, ns["a"], "m1"); !w.Local {
		t.Fatalf("placed on %+v, want a", w)
	}
	ns["a"].Step(ctx) // the join is on its way: kept
	if !ns["a"].Held("m1") {
		t.Fatal("a placement was given back before its join could arrive")
	}
	clock.Advance(ttl + time.Second)
	ns["a"].load = Load{Participants: 20}
	ns["a"].Step(ctx)
	ns["b"].load = Load{}
	ns["b"].Step(ctx)
	if ns["a"].Held("m1") {
		t.Fatal("a lease without a live meeting was kept past the grace")
	}
	if w := wherePlaced(t, ns["a"], "m1"); w.Node != "b" {
		t.Fatalf("after give-back the meeting went to %+v, want the now less loaded b", w)
	}
}

// TestPlacementFencesATakenOverMeeting: a node cut off past its lease's
// expiry finds, at its next round, that another node placed the meeting
// with a higher epoch: it ends its copy ("moved") instead of fighting.
func TestPlacementFencesATakenOverMeeting(t *testing.T) {
	clock := newClock()
	ns := placements(t, clock, "a", "b")
	ctx := context.Background()
	ns["a"].Step(ctx)
	ns["b"].load = Load{Participants: 3}
	ns["b"].Step(ctx)
	if w := wherePlaced(t, ns["a"], "m1"); !w.Local {
		t.Fatalf("placed on %+v, want a", w)
	}
	ns["a"].rooms.set("m1", true)
	clock.Advance(ttl + time.Second) // a is cut off: no renewals, no heartbeat
	ns["b"].Step(ctx)
	if w := wherePlaced(t, ns["b"], "m1"); !w.Local {
		t.Fatalf("after a's lease expired the meeting went to %+v, want b", w)
	}
	ns["a"].Step(ctx) // a comes back
	if got := ns["a"].rooms.movedList(); len(got) != 1 || got[0] != "m1" {
		t.Fatalf("a moved %v, want m1 ended here", got)
	}
	if ns["a"].Held("m1") {
		t.Fatal("a still holds the fenced lease")
	}
	if w, ok, _ := ns["a"].Holder(ctx, "m1"); !ok || w.Node != "b" {
		t.Fatalf("holder after fencing: %+v %v, want b", w, ok)
	}
}

// TestPlacementReleasesAtStop: a node that stops cleanly gives its leases
// up at once, so its meetings are placed again without waiting; a live
// meeting is handed over (it goes on, from when it began), one no longer
// live is given back (it starts afresh).
func TestPlacementReleasesAtStop(t *testing.T) {
	clock := newClock()
	ns := placements(t, clock, "a", "b")
	ns["a"].rooms.set("m1", true)
	ns["a"].Step(context.Background())
	first := wherePlaced(t, ns["a"], "m1")
	if !first.Local {
		t.Fatalf("placed on %+v, want a", first)
	}
	ended := wherePlaced(t, ns["a"], "m2")
	clock.Advance(ttl + time.Second)
	ns["a"].Step(context.Background()) // m1 renewed (live), m2 no longer live: given back
	ns["a"].rooms.set("m2", true)      // …but it would be if asked again
	if w := wherePlaced(t, ns["a"], "m2"); !w.Local || w.Started.Equal(ended.Started) {
		t.Fatalf("m2 live again: %+v, want a fresh start on a", w)
	}
	ns["a"].rooms.set("m2", false)
	clock.Advance(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ns["a"].Run(ctx) // one round, then the stop
	if _, ok, err := ns["b"].Holder(context.Background(), "m1"); err != nil || ok {
		t.Fatalf("a stopped node's lease still holds: %v %v", ok, err)
	}
	// Its heartbeat is gone: b, busier, is chosen over the stopped a.
	ns["b"].load = Load{Participants: 50}
	ns["b"].Step(context.Background())
	if w := wherePlaced(t, ns["b"], "m1"); !w.Local || !w.Started.Equal(first.Started) {
		t.Fatalf("after a stopped m1 went to %+v, want b, going on from %v", w, first.Started)
	}
}
