package privacy

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 30, 0, 0, time.UTC) }

func TestDueDateIsOneCalendarMonth(t *testing.T) {
	cases := []struct{ in, want time.Time }{
		{day(2025, 1, 31), day(2025, 2, 28)},
		{day(2024, 1, 31), day(2024, 2, 29)}, // leap year
		{day(2025, 1, 15), day(2025, 2, 15)},
		{day(2025, 3, 31), day(2025, 4, 30)},
		{day(2025, 12, 31), day(2026, 1, 31)},
		{day(2025, 2, 28), day(2025, 3, 28)},
	}
	for _, c := range cases {
		if got := DueDate(c.in); !got.Equal(c.want) {
			t.Errorf("DueDate(%s) = %s, want %s", c.in.Format(time.DateOnly), got.Format(time.DateOnly), c.want.Format(time.DateOnly))
		}
	}
}

func TestDaysLeft(t *testing.T) {
	due := day(2025, 2, 28)
	for _, c := range []struct {
		now  time.Time
		want int
	}{
		{day(2025, 2, 21), 7},
		{day(2025, 2, 28).Add(-10 * time.Hour), 0},
		{day(2025, 3, 2), -2},
	} {
		if got := DaysLeft(due, c.now); got != c.want {
			t.Errorf("DaysLeft at %s = %d, want %d", c.now, got, c.want)
		}
	}
}

func newRequests(t *testing.T, now *time.Time) *Requests {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &Requests{Store: st, Now: func() time.Time { return *now }}
}

func TestRequestsLifecycleAndReminder(t *testing.T) {
	ctx := context.Background()
	now := day(2025, 1, 31)
	r := newRequests(t, &now)
	access, err := r.Create(ctx, NewRequest{Kind: store.RequestAccess, SubjectRef: "u_alice"})
	if err != nil {
		t.Fatal(err)
	}
	if !access.DueAt.Equal(day(2025, 2, 28)) || access.Status != store.RequestOpen || access.ID == 0 {
		t.Fatalf("created %+v", access)
	}
	// Received by post two weeks before it was recorded: the deadline runs from receipt.
	late, err := r.Create(ctx, NewRequest{Kind: store.RequestErasure, SubjectRef: "letter from B.", ReceivedAt: day(2025, 1, 10)})
	if err != nil || !late.DueAt.Equal(day(2025, 2, 10)) {
		t.Fatalf("backdated %+v %v", late, err)
	}
	for _, bad := range []NewRequest{{Kind: "gossip", SubjectRef: "x"}, {Kind: store.RequestAccess},
		{Kind: store.RequestAccess, SubjectRef: "x", ReceivedAt: now.Add(48 * time.Hour)}} {
		if _, err := r.Create(ctx, bad); !errors.Is(err, ErrBadRequest) {
			t.Errorf("create %+v: %v", bad, err)
		}
	}

	now = day(2025, 2, 5) // late is due in 5 days, access in 23
	if rem, err := r.Remind(ctx); err != nil || rem != (Reminder{DueSoon: 1}) {
		t.Fatalf("remind %+v %v", rem, err)
	}
	now = day(2025, 2, 22) // late overdue, access due in 6 days
	if rem, err := r.Remind(ctx); err != nil || rem != (Reminder{Overdue: 1, DueSoon: 1}) {
		t.Fatalf("remind %+v %v", rem, err)
	}

	closed, err := r.Close(ctx, late.ID, store.RequestDone, "erased")
	if err != nil || closed.Status != store.RequestDone || !closed.ClosedAt.Equal(now) || closed.Notes != "erased" {
		t.Fatalf("close %+v %v", closed, err)
	}
	if _, err := r.Close(ctx, late.ID, store.RequestRejected, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("closing twice: %v", err)
	}
	if _, err := r.Close(ctx, access.ID, store.RequestOpen, ""); !errors.Is(err, ErrBadRequest) {
		t.Fatalf("reopen via close: %v", err)
	}
	open, err := r.List(ctx, true)
	if err != nil || len(open) != 1 || open[0].ID != access.ID {
		t.Fatalf("open %+v %v", open, err)
	}
	all, err := r.List(ctx, false)
	if err != nil || len(all) != 2 || all[0].ID != late.ID {
		t.Fatalf("all (earliest deadline first) %+v %v", all, err)
	}
}
