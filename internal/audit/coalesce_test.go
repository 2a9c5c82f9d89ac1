package audit

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/testclock"
)

// recorder collects appended events; fail makes appends fail.
type recorder struct {
	mu     sync.Mutex
	events []Event
	fail   error
}

func (r *recorder) Append(_ context.Context, ev Event) (Entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return Entry{}, r.fail
	}
	r.events = append(r.events, ev)
	return Entry{}, nil
}

func (r *recorder) got() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

func newTestCoalescer(maxKeys int) (*Coalescer, *recorder, *testclock.Clock) {
	clk := testclock.New(t0)
	rec := &recorder{}
	return NewCoalescer(rec, CoalesceOptions{Window: time.Minute, Now: clk.Now, MaxKeys: maxKeys}), rec, clk
}

var denied = Event{Action: AuditView, Actor: "u_1", Outcome: Denied, ClientAddr: "192.0.2.1",
	Details: map[string]string{"role": "member"}}

func recordN(t *testing.T, c *Coalescer, ev Event, n int) {
	t.Helper()
	for range n {
		if err := c.Record(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
}

func TestCoalesceFirstAtOnceRepeatsCounted(t *testing.T) {
	c, rec, clk := newTestCoalescer(0)
	recordN(t, c, denied, 200)
	if got := rec.got(); len(got) != 1 || got[0].Details[CountDetail] != "" {
		t.Fatalf("after 200 refusals in a window: %+v, want the first alone", got)
	}
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.got()); n != 1 {
		t.Fatalf("a flush inside the window wrote %d entries", n-1)
	}
	clk.Advance(time.Minute)
	if err := c.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rec.got()
	if len(got) != 2 || got[1].Details[CountDetail] != "199" || got[1].Details["role"] != "member" ||
		got[1].Actor != "u_1" || got[1].ClientAddr != "192.0.2.1" {
		t.Fatalf("summary %+v, want the same refusal with count 199", got)
	}
	if denied.Details[CountDetail] != "" {
		t.Fatal("the caller's details were changed")
	}
	if err := c.Flush(context.Background()); err != nil || len(rec.got()) != 2 {
		t.Fatalf("a second flush wrote again: %v %d", err, len(rec.got()))
	}
}

func TestCoalesceNextRefusalAfterWindowWritesSummaryFirst(t *testing.T) {
	c, rec, clk := newTestCoalescer(0)
	recordN(t, c, denied, 3)
	clk.Advance(time.Minute)
	recordN(t, c, denied, 1)
	got := rec.got()
	if len(got) != 3 || got[1].Details[CountDetail] != "2" || got[2].Details[CountDetail] != "" {
		t.Fatalf("entries %+v, want first, summary of 2, then the new window's first", got)
	}
}

func TestCoalesceKindsApart(t *testing.T) {
	c, rec, _ := newTestCoalescer(0)
	other := []func(*Event){
		func(e *Event) { e.Actor = "u_2" },
		func(e *Event) { e.ClientAddr = "192.0.2.2" },
		func(e *Event) { e.Action = AuditExport },
		func(e *Event) { e.Details = map[string]string{"role": "auditor"} },
		func(e *Event) { e.Meeting = "k3m9-x2qa-7hvt-p4dz" },
		func(e *Event) { e.Outcome = Failure },
		// Length-prefixed fields: moving a character between two fields
		// is another kind.
		func(e *Event) { e.Actor, e.Target = "u_", "1" },
	}
	recordN(t, c, denied, 2)
	for _, f := range other {
		ev := cloneEvent(denied)
		f(&ev)
		recordN(t, c, ev, 2)
	}
	if n := len(rec.got()); n != 1+len(other) {
		t.Fatalf("%d entries written at once, want one per kind (%d)", n, 1+len(other))
	}
}

func TestCoalesceFlushAllAtShutdown(t *testing.T) {
	c, rec, _ := newTestCoalescer(0)
	recordN(t, c, denied, 5)
	recordN(t, c, Event{Action: MeetingJoinRefused, ClientAddr: "192.0.2.9", Outcome: Failure}, 1)
	if err := c.FlushAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rec.got()
	if len(got) != 3 || got[2].Details[CountDetail] != "4" {
		t.Fatalf("after FlushAll: %+v, want both firsts and one summary of 4 (none for a kind without repeats)", got)
	}
	recordN(t, c, denied, 1)
	if n := len(rec.got()); n != 4 {
		t.Fatalf("after FlushAll a refusal starts a new window: %d entries, want 4", n)
	}
}

func TestCoalesceRunFlushesOnExit(t *testing.T) {
	c, rec, _ := newTestCoalescer(0)
	recordN(t, c, denied, 3)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		c.Run(ctx, time.Hour)
		close(done)
	}()
	cancel()
	<-done
	if got := rec.got(); len(got) != 2 || got[1].Details[CountDetail] != "2" {
		t.Fatalf("after Run ended: %+v", got)
	}
}

// TestCoalesceBoundsMemory: distinct kinds beyond MaxKeys are written but
// not tracked, and closed windows make room again.
func TestCoalesceBoundsMemory(t *testing.T) {
	c, rec, clk := newTestCoalescer(10)
	for i := range 50 {
		ev := cloneEvent(denied)
		ev.ClientAddr = fmt.Sprintf("192.0.2.%d", i)
		recordN(t, c, ev, 1)
	}
	if n := len(c.open); n > 10 {
		t.Fatalf("%d kinds tracked, cap 10", n)
	}
	if n := len(rec.got()); n != 50 {
		t.Fatalf("%d entries for 50 kinds, want 50", n)
	}
	clk.Advance(time.Minute)
	recordN(t, c, Event{Action: AuditView, Actor: "u_9", Outcome: Denied}, 2)
	if n := len(rec.got()); n != 51 {
		t.Fatalf("%d entries, want the new kind tracked again once windows closed", n)
	}
}

func TestCoalesceReportsWriteErrors(t *testing.T) {
	c, rec, clk := newTestCoalescer(0)
	rec.fail = errors.New("disk full")
	if err := c.Record(context.Background(), denied); err == nil {
		t.Fatal("a failed first write returned no error")
	}
	if err := c.Record(context.Background(), denied); err != nil {
		t.Fatalf("a counted repeat returned %v", err)
	}
	clk.Advance(time.Minute)
	if err := c.Flush(context.Background()); err == nil {
		t.Fatal("a failed summary returned no error")
	}
}

func TestCoalesceConcurrentUse(t *testing.T) {
	c, rec, _ := newTestCoalescer(0)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() { recordN(t, c, denied, 50) })
	}
	wg.Wait()
	if err := c.FlushAll(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := rec.got()
	if len(got) != 2 || got[1].Details[CountDetail] != "399" {
		t.Fatalf("400 concurrent refusals: %+v, want one entry and a summary of 399", got)
	}
}
