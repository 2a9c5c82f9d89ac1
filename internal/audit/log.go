package audit

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync/atomic"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Entry is one stored audit entry.
type Entry = store.AuditEntry

// Event is what a caller records. People are named by subject ID only
// ("u_..." accounts, "p_..." participants); Append refuses anything else in
// Actor and Target, and details that look like e-mail addresses.
type Event struct {
	Action  Action
	Actor   string // who acted; "" for the system or an operator at the CLI
	Target  string // whom it was done to; "" when nobody
	Meeting string
	// ClientAddr is the client's IP address without port, "" when none.
	ClientAddr string
	Outcome    Outcome
	// Details are a few non-personal facts (a role, a format, a count).
	Details map[string]string
}

// Options configure a Log.
type Options struct {
	// Key makes entry hashes HMAC-SHA-256 under this key instead of plain
	// SHA-256. Conclave always uses one (LoadOrCreateKey); a Log without a
	// key detects accidents and clumsy edits, not a forger.
	Key []byte
	// Now is the clock (time.Now).
	Now func() time.Time
}

// Store is what the log needs of the database: the log itself, its
// truncation, and consents written with their entries in one transaction.
type Store interface {
	store.AuditLogStore
	store.AuditRetentionStore
	store.ConsentAuditStore
}

// Log appends to, reads and verifies the audit log in a store.
type Log struct {
	store Store
	chain chain
	now   func() time.Time
	// onAppend is told of every entry appended through this Log (see
	// OnAppend); an atomic pointer, so that it can be set while requests
	// already append.
	onAppend atomic.Pointer[func(Entry)]
}

// New returns a Log over st.
func New(st Store, o Options) *Log {
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Log{store: st, chain: chain{key: o.Key}, now: o.Now}
}

// Append validates ev and adds it to the end of the chain. Errors never
// contain the key; they may name the action.
func (l *Log) Append(ctx context.Context, ev Event) (Entry, error) {
	e, err := l.entry(ev)
	if err != nil {
		return Entry{}, err
	}
	out, err := l.store.AppendAudit(ctx, e, l.chain.seal)
	if err != nil {
		return Entry{}, fmt.Errorf("audit: append %s: %w", ev.Action, err)
	}
	if fn := l.onAppend.Load(); fn != nil {
		(*fn)(out)
	}
	return out, nil
}

// OnAppend has fn called with every entry this Log appends, after it is
// stored; nil removes it. The Anchorer counts entries with it. fn runs on
// the appending goroutine, in the middle of a request, so it must not
// block. Entries other processes (the CLI) append are not seen.
func (l *Log) OnAppend(fn func(Entry)) {
	if fn == nil {
		l.onAppend.Store(nil)
		return
	}
	l.onAppend.Store(&fn)
}

// entry turns a valid event into an unsealed entry.
func (l *Log) entry(ev Event) (Entry, error) {
	addr, err := validate(ev)
	if err != nil {
		return Entry{}, err
	}
	e := Entry{
		Time: l.now().UTC(), Action: string(ev.Action), Actor: ev.Actor, Target: ev.Target,
		Meeting: ev.Meeting, Outcome: string(ev.Outcome), Details: maps.Clone(ev.Details),
		ClientAddr: addr,
	}
	commitAddr(&e)
	return e, nil
}

// Entries returns the entries matching f (see store.AuditFilter).
func (l *Log) Entries(ctx context.Context, f store.AuditFilter) ([]Entry, error) {
	es, err := l.store.AuditEntries(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("audit: query: %w", err)
	}
	return es, nil
}

// Head returns the latest entry, and false when the log is empty. Its Seq
// and Hash are worth keeping outside the server: together with Verify's
// anchor they reveal a log that was cut short or rewritten as a whole.
func (l *Log) Head(ctx context.Context) (Entry, bool, error) {
	e, err := l.store.LastAudit(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return Entry{}, false, nil
	}
	if err != nil {
		return Entry{}, false, fmt.Errorf("audit: head: %w", err)
	}
	return e, true, nil
}
