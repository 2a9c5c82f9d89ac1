package release

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/testclock"
	"github.com/conclave-meet/conclave/internal/testlog"
)

func releases(t *testing.T, entries ...string) []Release {
	t.Helper()
	var out []Release
	for _, e := range entries {
		sec := strings.HasSuffix(e, "!")
		v, ok := ParseVersion(strings.TrimSuffix(e, "!"))
		if !ok {
			t.Fatalf("bad test version %q", e)
		}
		out = append(out, Release{Version: strings.TrimSuffix(e, "!"), Security: sec, parsed: v})
	}
	return out
}

// TestAssess is the comparison table: what the page says for a build
// given the feed's releases ("!" marks a security release).
func TestAssess(t *testing.T) {
	cases := []struct {
		current  string
		feed     []string
		latest   string
		state    State
		security bool
	}{
		{"v1.4.0", []string{"1.3.0", "1.4.0"}, "1.4.0", UpToDate, false},
		{"v1.4.0", []string{"1.4.0", "1.5.0"}, "1.5.0", Available, false},
		{"1.4.0", []string{"1.5.0!", "1.4.1", "1.6.0"}, "1.6.0", Available, true},
		{"1.4.0", []string{"1.3.9!", "1.4.1"}, "1.4.1", Available, false},
		{"1.5.0", []string{"1.4.0", "1.4.1!"}, "1.4.1", UpToDate, false},
		{"1.4.0", []string{"1.5.0-rc.1!", "1.4.0"}, "1.4.0", UpToDate, false},
		{"1.5.0-rc.1", []string{"1.5.0-rc.2", "1.4.0"}, "1.5.0-rc.2", Available, false},
		{"1.5.0-rc.1", []string{"1.5.0", "1.5.0-rc.2"}, "1.5.0", Available, false},
		{"v1.4.1-0.20261130101500-0123456789ab+dirty", []string{"1.4.0", "1.4.1"}, "1.4.1", Available, false},
		{"v1.4.0+dirty", []string{"1.4.0"}, "1.4.0", UpToDate, false},
		{"devel-0123456789ab", []string{"1.5.0!", "1.6.0-rc.1"}, "1.5.0", UnknownVersion, false},
		{"devel", []string{"1.5.0"}, "1.5.0", UnknownVersion, false},
		{"v0.0.0-20261130101500-0123456789ab+dirty", []string{"1.5.0"}, "1.5.0", UnknownVersion, false},
		{"1.4.0", []string{"2.0.0-beta.1"}, "", UpToDate, false},
	}
	for _, c := range cases {
		latest, newer, security, state := Assess(c.current, releases(t, c.feed...))
		got := ""
		if latest != nil {
			got = latest.Version
		}
		if got != c.latest || state != c.state || security != c.security || newer != (state == Available) {
			t.Errorf("Assess(%s, %v) = %s, newer %v, security %v, %s; want %s, %v, %s",
				c.current, c.feed, got, newer, security, state, c.latest, c.security, c.state)
		}
	}
}

// fakeFeed answers fetches from a script and counts them.
type fakeFeed struct {
	mu    sync.Mutex
	calls int
	next  func() ([]Release, error)
}

func (f *fakeFeed) fetch(context.Context) ([]Release, error) {
	f.mu.Lock()
	f.calls++
	next := f.next
	f.mu.Unlock()
	return next()
}

func (f *fakeFeed) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func (f *fakeFeed) set(next func() ([]Release, error)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next = next
}

var start = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func newTestChecker(t *testing.T, current string, feed *fakeFeed) (*Checker, *testclock.Clock, *testlog.Buffer) {
	clk := testclock.New(start)
	log := &testlog.Buffer{}
	c := NewChecker(Options{Current: current, Fetch: feed.fetch, Feed: "releases.example.org", Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(log, nil))})
	return c, clk, log
}

// TestCheckerSchedule: fetched at the first tick, then only once a day;
// a failure is tried again after an hour and reported with its start
// while the last good verdict is kept.
func TestCheckerSchedule(t *testing.T) {
	ctx := context.Background()
	feed := &fakeFeed{}
	feed.set(func() ([]Release, error) { return releases(t, "1.4.0", "1.5.0!"), nil })
	c, clk, log := newTestChecker(t, "v1.4.0", feed)
	if st := c.Status(); st.State != Pending || st.Feed != "releases.example.org" {
		t.Fatalf("before the first fetch: %+v", st)
	}
	c.tick(ctx)
	st := c.Status()
	if st.State != Available || !st.Newer || !st.Security || st.Latest.Version != "1.5.0" || !st.CheckedAt.Equal(start) {
		t.Fatalf("after the first fetch: %+v", st)
	}
	if !strings.Contains(log.String(), `msg="a newer Conclave release is available" running=v1.4.0 latest=1.5.0`) {
		t.Fatalf("log: %s", log.String())
	}

	clk.Advance(23 * time.Hour)
	c.tick(ctx)
	if feed.count() != 1 {
		t.Fatalf("%d fetches within a day, want 1", feed.count())
	}

	feed.set(func() ([]Release, error) { return nil, errors.New("status 503") })
	clk.Advance(time.Hour)
	c.tick(ctx)
	failedAt := clk.Now()
	st = c.Status()
	if feed.count() != 2 || st.State != Unreachable || !st.UnreachableSince.Equal(failedAt) || st.Error != "status 503" ||
		st.Latest == nil || st.Latest.Version != "1.5.0" || !st.Newer || !st.CheckedAt.Equal(start) {
		t.Fatalf("after a failure (%d fetches): %+v", feed.count(), st)
	}
	if !strings.Contains(log.String(), `level=WARN msg="release feed unreachable" feed=releases.example.org`) {
		t.Fatalf("no warning: %s", log.String())
	}

	clk.Advance(59 * time.Minute)
	c.tick(ctx)
	if feed.count() != 2 {
		t.Fatal("retried before an hour")
	}
	clk.Advance(time.Minute)
	c.tick(ctx)
	if st := c.Status(); feed.count() != 3 || !st.UnreachableSince.Equal(failedAt) {
		t.Fatalf("second failure (%d fetches): the streak must keep its start: %+v", feed.count(), st)
	}

	feed.set(func() ([]Release, error) { return releases(t, "1.4.0"), nil })
	clk.Advance(time.Hour)
	c.tick(ctx)
	if st := c.Status(); st.State != UpToDate || st.Newer || st.Security || !st.UnreachableSince.IsZero() || st.Error != "" {
		t.Fatalf("recovered: %+v", st)
	}
	if n := strings.Count(log.String(), "a newer Conclave release"); n != 1 {
		t.Fatalf("the newer release was logged %d times, want once", n)
	}
}

// chanTicker is a Ticker the test drives.
type chanTicker struct{ c chan time.Time }

func (t chanTicker) C() <-chan time.Time { return t.c }
func (chanTicker) Stop()                 {}

// TestCheckerRun: Run fetches at once and on its ticker, and a fetch
// cancelled by shutdown is not reported as the feed's failure.
func TestCheckerRun(t *testing.T) {
	feed := &fakeFeed{}
	feed.set(func() ([]Release, error) { return releases(t, "1.4.0"), nil })
	ticks := chanTicker{make(chan time.Time)}
	clk := testclock.New(start)
	log := &testlog.Buffer{}
	var wake time.Duration
	c := NewChecker(Options{Current: "1.4.0", Fetch: feed.fetch, Feed: "f", Now: clk.Now, Logger: slog.New(slog.NewTextHandler(log, nil)),
		NewTicker: func(d time.Duration) Ticker { wake = d; return ticks }})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.Run(ctx)
	}()
	eventually.True(t, "the fetch at start", func() bool { return c.Status().State == UpToDate })
	if wake != time.Hour {
		t.Fatalf("Run wakes every %v", wake)
	}
	clk.Advance(Interval)
	ticks.c <- clk.Now()
	eventually.True(t, "the daily fetch", func() bool { return feed.count() == 2 })

	// A fetch in flight when the server stops ends with the context.
	blocked := make(chan struct{})
	feed.set(func() ([]Release, error) {
		close(blocked)
		<-ctx.Done()
		return nil, ctx.Err()
	})
	clk.Advance(Interval)
	ticks.c <- clk.Now()
	<-blocked
	cancel()
	<-done
	if st := c.Status(); st.State != UpToDate || strings.Contains(log.String(), "WARN") {
		t.Fatalf("shutdown reported as a failure: %+v\n%s", st, log.String())
	}
}
