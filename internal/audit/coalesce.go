package audit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Coalescing defaults (docs/security.md, "What is recorded").
const (
	// DefaultCoalesceWindow is how long repeats of a refusal are counted
	// before their summary is written.
	DefaultCoalesceWindow = 10 * time.Minute
	// defaultCoalesceKeys bounds the refusals being counted at once; an
	// entry costs a few hundred bytes.
	defaultCoalesceKeys = 10_000
	// CountDetail is the detail of a summary entry: how many refusals of
	// the same kind, after the one written at once, it stands for.
	CountDetail = "count"
)

// Appender appends an event to the audit log (Log).
type Appender interface {
	Append(ctx context.Context, ev Event) (Entry, error)
}

// CoalesceOptions configure a Coalescer.
type CoalesceOptions struct {
	// Window is how long repeats are counted (DefaultCoalesceWindow).
	Window time.Duration
	// Now is the clock (time.Now); tests pass a fake one.
	Now func() time.Time
	// MaxKeys bounds the kinds counted at once (10,000).
	MaxKeys int
	// Logger receives summaries that could not be written (slog.Default).
	Logger *slog.Logger
}

// Coalescer records refusals without letting whoever causes them fill the
// log: the first refusal of a kind (same action, actor, target, meeting,
// outcome, client address and details) is appended at once; repeats
// within Window are only counted, and one summary entry with the count
// (CountDetail) is appended when the window has closed. Summaries are
// written by Flush (Run calls it periodically), by the next Record after
// the window closed, and by FlushAll at shutdown. A repeat refused while
// no summary is written yet is therefore on record only as a count, at
// most Window late; that is the price of a bounded log.
//
// Appends happen outside the Coalescer's lock, so a slow database stalls
// only the caller that writes.
type Coalescer struct {
	app     Appender
	window  time.Duration
	now     func() time.Time
	maxKeys int
	log     *slog.Logger

	mu        sync.Mutex
	open      map[string]*pending
	lastSweep time.Time
}

// pending is one kind's current window.
type pending struct {
	ev    Event
	start time.Time
	count int // repeats since the first, not yet written
}

// NewCoalescer returns a Coalescer appending to app.
func NewCoalescer(app Appender, o CoalesceOptions) *Coalescer {
	if o.Window <= 0 {
		o.Window = DefaultCoalesceWindow
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxKeys <= 0 {
		o.MaxKeys = defaultCoalesceKeys
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Coalescer{app: app, window: o.Window, now: o.Now, maxKeys: o.MaxKeys, log: o.Logger,
		open: make(map[string]*pending), lastSweep: o.Now()}
}

// Record appends ev if it is the first of its kind in the current window
// and otherwise counts it. The error is that of the append, if one was
// due; a counted repeat returns nil.
func (c *Coalescer) Record(ctx context.Context, ev Event) error {
	write, summaries := c.note(ev)
	err := c.append(ctx, summaries)
	if write {
		if _, werr := c.app.Append(ctx, ev); werr != nil {
			return errors.Join(fmt.Errorf("audit: record refusal: %w", werr), err)
		}
	}
	return err
}

// note updates the windows for ev under the lock and returns whether ev
// must be written and the summaries that are due.
func (c *Coalescer) note(ev Event) (write bool, summaries []Event) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if now.Sub(c.lastSweep) >= c.window {
		summaries = c.closeLocked(now, false)
	}
	k := coalesceKey(ev)
	p := c.open[k]
	if p != nil && now.Sub(p.start) < c.window {
		p.count++
		return false, summaries
	}
	if p != nil {
		summaries = appendSummary(summaries, p)
		delete(c.open, k)
	}
	if len(c.open) >= c.maxKeys {
		summaries = append(summaries, c.closeLocked(now, false)...)
	}
	if len(c.open) < c.maxKeys {
		c.open[k] = &pending{ev: cloneEvent(ev), start: now}
	}
	// Full of live windows: ev is written but not tracked, so that a
	// flood of distinct kinds costs log entries rather than memory.
	return true, summaries
}

// Flush appends the summaries of windows that have closed.
func (c *Coalescer) Flush(ctx context.Context) error {
	c.mu.Lock()
	summaries := c.closeLocked(c.now(), false)
	c.mu.Unlock()
	return c.append(ctx, summaries)
}

// FlushAll appends the summary of every window with repeats, closed or
// not, and forgets them all: for shutdown.
func (c *Coalescer) FlushAll(ctx context.Context) error {
	c.mu.Lock()
	summaries := c.closeLocked(c.now(), true)
	c.mu.Unlock()
	return c.append(ctx, summaries)
}

// Run flushes every interval until ctx ends, then flushes everything.
func (c *Coalescer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			c.flushAtExit(context.WithoutCancel(ctx))
			return
		case <-t.C:
			if err := c.Flush(ctx); err != nil {
				c.log.Error("audit: refusal summaries not written", "err", err)
			}
		}
	}
}

// flushAtExit writes every pending summary with a deadline of its own:
// the context that ended Run would refuse the writes.
func (c *Coalescer) flushAtExit(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.FlushAll(ctx); err != nil {
		c.log.Error("audit: refusal summaries lost at shutdown", "err", err)
	}
}

// closeLocked removes the windows that closed by now (all of them when
// all) and returns the summaries of those with repeats.
func (c *Coalescer) closeLocked(now time.Time, all bool) []Event {
	c.lastSweep = now
	var out []Event
	for k, p := range c.open {
		if all || now.Sub(p.start) >= c.window {
			out = appendSummary(out, p)
			delete(c.open, k)
		}
	}
	return out
}

// append writes summaries, oldest kind first, joining the errors.
func (c *Coalescer) append(ctx context.Context, summaries []Event) error {
	var errs []error
	for _, ev := range summaries {
		if _, err := c.app.Append(ctx, ev); err != nil {
			errs = append(errs, fmt.Errorf("audit: refusal summary (%s, %s repeats): %w", ev.Action, ev.Details[CountDetail], err))
		}
	}
	return errors.Join(errs...)
}

// appendSummary adds p's summary to out when it counted repeats.
func appendSummary(out []Event, p *pending) []Event {
	if p.count == 0 {
		return out
	}
	ev := cloneEvent(p.ev)
	if ev.Details == nil {
		ev.Details = map[string]string{}
	}
	ev.Details[CountDetail] = strconv.Itoa(p.count)
	return append(out, ev)
}

func cloneEvent(ev Event) Event {
	ev.Details = maps.Clone(ev.Details)
	return ev
}

// coalesceKey identifies a kind of refusal: every field, details sorted.
// Fields are length-prefixed so that no two kinds share a key.
func coalesceKey(ev Event) string {
	var b strings.Builder
	field := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	for _, s := range []string{string(ev.Action), ev.Actor, ev.Target, ev.Meeting, string(ev.Outcome), ev.ClientAddr} {
		field(s)
	}
	for _, k := range slices.Sorted(maps.Keys(ev.Details)) {
		field(k)
		field(ev.Details[k])
	}
	return b.String()
}
