package release

import (
	"context"
	"log/slog"
	"regexp"
	"sync"
	"time"
)

// Schedule: the feed is fetched at start and then once a day; after a
// failure it is tried again an hour later, so that a blip at start does
// not leave the page saying "unreachable" for a day. Run wakes every
// wakeEvery to see whether either is due.
const (
	Interval   = 24 * time.Hour
	RetryAfter = time.Hour
	wakeEvery  = time.Hour
)

// State sums up what the admin page says about updates.
type State string

const (
	NotConfigured  State = "not_configured"  // no release feed: nothing is fetched
	Pending        State = "pending"         // configured, first fetch not finished
	UpToDate       State = "up_to_date"      // no newer release in the feed
	Available      State = "available"       // the feed lists a newer release
	UnknownVersion State = "unknown_version" // this build is not a release ("devel"), so cannot be compared
	Unreachable    State = "unreachable"     // the last fetch failed
)

// Status is what the checker knows now.
type Status struct {
	State State
	// Feed is the feed's host (never its path or query); empty when not
	// configured.
	Feed string
	// CheckedAt is the last successful fetch; Latest, Newer and Security
	// come from it and stay while the feed is unreachable.
	CheckedAt time.Time
	// Latest is the newest release in the feed that applies to this build
	// (pre-releases only to a pre-release build); nil when none does.
	Latest *Release
	// Newer is true when Latest is newer than this build.
	Newer bool
	// Security is true when some release newer than this build fixes
	// security problems, whether or not it is Latest.
	Security bool
	// UnreachableSince is the first failure of the current run of failed
	// fetches and Error the last failure's cause (no URL); set only while
	// State is Unreachable.
	UnreachableSince time.Time
	Error            string
}

// Ticker wakes Run: a time.Ticker in the server, a channel the test drives.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time { return r.t.C }
func (r realTicker) Stop()               { r.t.Stop() }

func newRealTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

// Options configure a Checker.
type Options struct {
	// Current is the running build's version (Build.Version).
	Current string
	// Fetch gets the feed (Fetcher.Fetch); Feed names it (Fetcher.Host).
	Fetch func(ctx context.Context) ([]Release, error)
	Feed  string
	// Now is the clock (time.Now when nil); NewTicker makes Run's ticker
	// (time.NewTicker when nil).
	Now       func() time.Time
	NewTicker func(time.Duration) Ticker
	Logger    *slog.Logger // slog.Default when nil
}

// Checker fetches the feed on schedule and keeps the verdict for the
// admin page. It exists only when a feed is configured.
type Checker struct {
	o Options

	mu          sync.Mutex
	st          Status
	lastAttempt time.Time
	attempted   bool
	announced   string // the newer version last logged, to log each once
}

// NewChecker returns a checker in state Pending.
func NewChecker(o Options) *Checker {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.NewTicker == nil {
		o.NewTicker = newRealTicker
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Checker{o: o, st: Status{State: Pending, Feed: o.Feed}}
}

// Run fetches at once and then whenever due, until ctx ends. A fetch in
// flight at shutdown is abandoned.
func (c *Checker) Run(ctx context.Context) {
	t := c.o.NewTicker(wakeEvery)
	defer t.Stop()
	c.tick(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			c.tick(ctx)
		}
	}
}

// tick fetches the feed if that is due: never tried, a day after the last
// success, or an hour after a failure.
func (c *Checker) tick(ctx context.Context) {
	now := c.o.Now()
	c.mu.Lock()
	due := !c.attempted ||
		(c.st.State == Unreachable && now.Sub(c.lastAttempt) >= RetryAfter) ||
		(c.st.State != Unreachable && now.Sub(c.st.CheckedAt) >= Interval)
	if due {
		c.attempted, c.lastAttempt = true, now
	}
	c.mu.Unlock()
	if !due {
		return
	}
	releases, err := c.o.Fetch(ctx)
	if err != nil && ctx.Err() != nil {
		return // shutting down: not the feed's fault
	}
	c.record(now, releases, err)
}

// record updates the status with one fetch's outcome and logs it.
func (c *Checker) record(now time.Time, releases []Release, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil {
		if c.st.State != Unreachable {
			c.st.UnreachableSince = now
		}
		c.st.State, c.st.Error = Unreachable, err.Error()
		// The host only: the URL's path or query may hold a token.
		c.o.Logger.Warn("release feed unreachable", "feed", c.o.Feed, "since", c.st.UnreachableSince, "err", err)
		return
	}
	latest, newer, security, state := Assess(c.o.Current, releases)
	c.st = Status{State: state, Feed: c.o.Feed, CheckedAt: now, Latest: latest, Newer: newer, Security: security}
	if newer && c.announced != latest.Version {
		c.announced = latest.Version
		c.o.Logger.Info("a newer Conclave release is available", "running", c.o.Current,
			"latest", latest.Version, "date", latest.Date, "security", security)
	}
}

// Status returns a copy of the current verdict.
func (c *Checker) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st
	if st.Latest != nil {
		l := *st.Latest
		st.Latest = &l
	}
	return st
}

// untagged is the pseudo-version the go command gives a build whose
// history holds no release tag (v0.0.0-20261130101500-0123456789ab).
var untagged = regexp.MustCompile(`^v?0\.0\.0-\d{14}-[0-9a-f]{12}(\+.*)?$`)

// Assess compares the running version with the feed's releases. A build
// that is not a semantic version ("devel"), or only an untagged
// pseudo-version, cannot be compared: it learns the newest release and
// UnknownVersion. Pre-releases in the feed count only for a build that is
// a pre-release itself. Security is true when any release newer than the
// build is a security release, so that a fix published between two
// releases is not hidden by the newest one.
func Assess(current string, releases []Release) (latest *Release, newer, security bool, state State) {
	cur, comparable := ParseVersion(current)
	if untagged.MatchString(current) {
		comparable = false // a build from before any release tag: not a release at all
	}
	for i := range releases {
		r := &releases[i]
		if r.parsed.IsPrerelease() && (!comparable || !cur.IsPrerelease()) {
			continue
		}
		if latest == nil || r.parsed.Compare(latest.parsed) > 0 {
			latest = r
		}
		if comparable && r.parsed.Compare(cur) > 0 && r.Security {
			security = true
		}
	}
	if latest != nil {
		l := *latest
		latest = &l
	}
	switch {
	case !comparable:
		return latest, false, false, UnknownVersion
	case latest != nil && latest.parsed.Compare(cur) > 0:
		return latest, true, security, Available
	}
	return latest, false, false, UpToDate
}
