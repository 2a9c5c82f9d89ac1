package retention

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/privacy"
)

// MeetingScoped is implemented by kinds whose records belong to a meeting
// (recordings, transcripts, chat, files), so that a meeting's own period
// applies to them. Kinds that do not implement it get Expire with the
// organisation's cut-off.
type MeetingScoped interface {
	// ExpireMeetings deletes records older than before, except records of
	// the meetings in cutoffs, which are deleted when older than their
	// meeting's own cut-off instead.
	ExpireMeetings(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error)
}

// Overrides returns the meetings whose host set their own period for a
// category, and those periods (store.RetentionStore implements it).
type Overrides interface {
	MeetingRetentions(ctx context.Context, category string) (map[string]time.Duration, error)
}

// Recorder is the audit log as the sweeper uses it (*audit.Log).
type Recorder interface {
	Append(ctx context.Context, ev audit.Event) (audit.Entry, error)
}

// Sweeper deletes expired personal data of every registered kind.
type Sweeper struct {
	Registry *privacy.Registry
	Policy   Policy
	// Overrides may be nil: no meeting then has its own period.
	Overrides Overrides
	Audit     Recorder
	Logger    *slog.Logger
	// Now is the clock (time.Now); tests set it.
	Now func() time.Time
}

// Result is what one sweep did.
type Result struct {
	// Deleted counts records deleted per category that has a kind with a
	// period (categories kept forever are absent).
	Deleted map[privacy.Category]int
	// Failed names the kinds whose expiry failed or whose category the
	// configuration does not know; their data was left alone.
	Failed []string
}

// Sweep runs every kind's expiry once with the cut-off of its category and
// records the run in the audit log. A failing kind does not stop the
// others; the run is then recorded as a failure and an error returned.
func (s *Sweeper) Sweep(ctx context.Context) (Result, error) {
	now := s.now()
	res := Result{Deleted: map[privacy.Category]int{}}
	var errs []string
	for _, k := range s.Registry.Kinds() {
		d := k.Declare()
		period, known := s.Policy.Period(d.Category)
		if !known {
			res.Failed = append(res.Failed, d.Name)
			errs = append(errs, fmt.Sprintf("%s: category %q has no retention period", d.Name, d.Category))
			continue
		}
		if period == 0 {
			continue // kept until deleted: the configuration says so
		}
		n, err := s.expire(ctx, k, d.Category, now, period)
		res.Deleted[d.Category] += n
		if err != nil {
			res.Failed = append(res.Failed, d.Name)
			errs = append(errs, fmt.Sprintf("%s: %v", d.Name, err))
		}
	}
	if err := s.record(ctx, res); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("retention sweep: %s", strings.Join(errs, "; "))
	}
	return res, nil
}

// expire calls the kind with its category's cut-off, and with the
// meetings' own cut-offs where the kind can honour them.
func (s *Sweeper) expire(ctx context.Context, k privacy.Kind, cat privacy.Category, now time.Time, period time.Duration) (int, error) {
	before := now.Add(-period)
	scoped, ok := k.(MeetingScoped)
	if !ok || s.Overrides == nil || s.Policy.Limits[cat] == 0 {
		return k.Expire(ctx, before)
	}
	periods, err := s.Overrides.MeetingRetentions(ctx, string(cat))
	if err != nil {
		return 0, fmt.Errorf("meeting periods: %w", err)
	}
	cutoffs := make(map[string]time.Time, len(periods))
	for id, d := range periods {
		cutoffs[id] = now.Add(-d)
	}
	return scoped.ExpireMeetings(ctx, before, cutoffs)
}

// record writes one retention.sweep entry: the count per category, and
// the kinds that failed.
func (s *Sweeper) record(ctx context.Context, res Result) error {
	details := map[string]string{}
	for cat, n := range res.Deleted {
		details[string(cat)] = strconv.Itoa(n)
	}
	outcome := audit.Success
	if len(res.Failed) > 0 {
		outcome = audit.Failure
		failed := append([]string(nil), res.Failed...)
		sort.Strings(failed)
		details["failed"] = truncate(strings.Join(failed, ","), audit.MaxDetailValueLen)
	}
	if _, err := s.Audit.Append(ctx, audit.Event{Action: audit.RetentionSweep, Outcome: outcome, Details: details}); err != nil {
		return fmt.Errorf("record sweep: %w", err)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func (s *Sweeper) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Run sweeps every interval until ctx ends; the caller sweeps once at
// start itself when it wants to. tick returns the channel that fires for
// the next sweep (time.After when nil), so that tests drive it.
func (s *Sweeper) Run(ctx context.Context, interval time.Duration, tick func(time.Duration) <-chan time.Time) {
	if tick == nil {
		tick = time.After
	}
	logger := s.Logger
	if logger == nil {
		logger = slog.Default()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick(interval):
		}
		if res, err := s.Sweep(ctx); err != nil {
			logger.Error("retention sweep", "err", err)
		} else {
			logger.Debug("retention sweep", "deleted", res.Deleted)
		}
	}
}
