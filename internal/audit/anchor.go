package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Defaults of the Anchorer: a head an hour, and one every thousand entries
// in between, so that a busy server's cut-off tail is never long.
const (
	DefaultAnchorInterval = time.Hour
	DefaultAnchorEvery    = 1000
)

// sinkTimeout bounds one sink's publication, so that a hanging webhook
// delays the next head, not the shutdown, by at most this much.
const sinkTimeout = 10 * time.Second

// Sink keeps published heads somewhere that someone with the database
// cannot rewrite: another volume, the system log, another machine.
type Sink interface {
	// Name says which sink failed in a log line. It must not contain
	// secrets: a webhook names its host, not its URL.
	Name() string
	Publish(ctx context.Context, h SealedHead) error
}

// Ticker is the interval's clock: a time.Ticker in the server, a channel
// the test drives.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

type realTicker struct{ t *time.Ticker }

func (r realTicker) C() <-chan time.Time { return r.t.C }
func (r realTicker) Stop()               { r.t.Stop() }

func newRealTicker(d time.Duration) Ticker { return realTicker{time.NewTicker(d)} }

// AnchorOptions configure an Anchorer.
type AnchorOptions struct {
	// Sinks receive every head besides the server log, which always does.
	Sinks []Sink
	// Interval between heads (DefaultAnchorInterval when 0).
	Interval time.Duration
	// Every publishes a head once this many entries were appended since
	// the last one (DefaultAnchorEvery when 0).
	Every int64
	// Logger is the server log (slog.Default when nil).
	Logger *slog.Logger
	// NewTicker makes the interval's ticker (time.NewTicker when nil).
	NewTicker func(time.Duration) Ticker
}

// Anchorer publishes the log's sealed head at start-up, every Interval,
// every Every entries and at shutdown, to the server log and its sinks.
// The chain alone cannot show that its newest entries were deleted; a
// head kept outside the database can (conclave audit verify --anchor-file).
type Anchorer struct {
	log     *Log
	o       AnchorOptions
	kick    chan struct{} // Every entries appended: publish now
	lastSeq atomic.Int64  // Seq of the last head published, 0 before
	seenSeq atomic.Int64  // highest Seq appended through the log

	mu        sync.Mutex // serialises Publish
	last      SealedHead // the last head published, for the self-check
	published bool
}

// NewAnchorer returns an Anchorer for l and has l report its appends to it
// (see Log.OnAppend).
func NewAnchorer(l *Log, o AnchorOptions) *Anchorer {
	if o.Interval <= 0 {
		o.Interval = DefaultAnchorInterval
	}
	if o.Every <= 0 {
		o.Every = DefaultAnchorEvery
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.NewTicker == nil {
		o.NewTicker = newRealTicker
	}
	a := &Anchorer{log: l, o: o, kick: make(chan struct{}, 1)}
	l.OnAppend(a.appended)
	return a
}

// appended runs on the appending goroutine: it only counts, and wakes Run
// without blocking (a wake-up already pending covers this one).
func (a *Anchorer) appended(e Entry) {
	for seen := a.seenSeq.Load(); e.Seq > seen && !a.seenSeq.CompareAndSwap(seen, e.Seq); {
		seen = a.seenSeq.Load()
	}
	if e.Seq-a.lastSeq.Load() >= a.o.Every {
		select {
		case a.kick <- struct{}{}:
		default:
		}
	}
}

// Run publishes the head at once, then every Interval and after every
// Every entries, until ctx ends; then it publishes the shutdown head and
// returns. Cancel ctx only once the server stopped appending, so that the
// shutdown head is the last one. Failures are logged and retried at the
// next occasion: they must not stop the server.
func (a *Anchorer) Run(ctx context.Context) {
	t := a.o.NewTicker(a.o.Interval)
	defer t.Stop()
	a.publishLogged(ctx, "start")
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sinkTimeout)
			a.publishLogged(sctx, "shutdown")
			cancel()
			return
		case <-t.C():
			a.publishLogged(ctx, "interval")
		case <-a.kick:
			a.publishLogged(ctx, "entries")
		}
	}
}

func (a *Anchorer) publishLogged(ctx context.Context, reason string) {
	if _, _, err := a.Publish(ctx, reason); err != nil {
		a.o.Logger.Error("audit head not published everywhere", "reason", reason, "err", err)
	}
}

// Publish seals the current head and hands it to the server log and every
// sink; reason says why (start, interval, entries, shutdown). It returns
// false when the log is empty: there is nothing to anchor. A sink that
// fails does not keep the others from the head; the error joins theirs.
func (a *Anchorer) Publish(ctx context.Context, reason string) (SealedHead, bool, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	// Read before the head: every entry seen so far is then committed
	// before the head is read, and cannot look like a removed one.
	seen := a.seenSeq.Load()
	h, ok, err := a.log.SealHead(ctx)
	if err != nil {
		return SealedHead{}, false, err
	}
	a.checkAgainstLast(ctx, h, ok, seen)
	if !ok {
		a.o.Logger.Info("audit head", "reason", reason, "entries", 0)
		return SealedHead{}, false, nil
	}
	a.last, a.published = h, true
	a.lastSeq.Store(h.Seq)
	// The whole sealed head is one attribute, so that it can be pasted
	// into --anchor; the key never leaves the process.
	a.o.Logger.Info("audit head", "reason", reason, "seq", h.Seq, "anchor", h.String())
	var errs []error
	for _, s := range a.o.Sinks {
		sctx, cancel := context.WithTimeout(ctx, sinkTimeout)
		if err := s.Publish(sctx, h); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.Name(), err))
		}
		cancel()
	}
	return h, true, errors.Join(errs...)
}

// checkAgainstLast logs an error when the log no longer reaches the head
// this process published last, or the newest entry it appended since (seen):
// its tail was removed or rewritten behind the server's back. Published
// heads prove it later; this also covers entries appended after the last
// head, and says so while the operator can still act. Retention is not
// reported: it keeps the newest entry, and removes older ones only behind
// its sealed checkpoint.
func (a *Anchorer) checkAgainstLast(ctx context.Context, h SealedHead, ok bool, seen int64) {
	want := seen
	if a.published {
		want = max(want, a.last.Seq)
	}
	if want > 0 && (!ok || h.Seq < want) {
		a.o.Logger.Error("audit log shortened since its last published head",
			"expected_seq", want, "log_seq", h.Seq)
		return
	}
	if !a.published {
		return
	}
	prev := a.last
	if h.Seq == prev.Seq {
		if !bytes.Equal(h.Hash, prev.Hash) {
			a.o.Logger.Error("audit log rewritten since its last published head", "published_seq", prev.Seq)
		}
		return
	}
	es, err := a.log.Entries(ctx, store.AuditFilter{Seqs: []int64{prev.Seq}})
	if err != nil {
		a.o.Logger.Warn("audit head self-check", "err", err)
		return
	}
	if len(es) == 1 && bytes.Equal(es[0].Hash, prev.Hash) {
		return
	}
	if len(es) == 0 && a.removedByRetention(ctx, prev.Seq) {
		return
	}
	a.o.Logger.Error("audit log rewritten since its last published head", "published_seq", prev.Seq)
}

func (a *Anchorer) removedByRetention(ctx context.Context, seq int64) bool {
	cp, found, err := a.log.checkpoint(ctx)
	return err == nil && found && cp.Seq >= seq && a.log.chain.checkpointIntact(cp)
}
