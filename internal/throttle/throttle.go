// Package throttle counts failed attempts (wrong passwords, wrong meeting
// passcodes) per key and locks a key out once it has failed too often.
//
// A Limiter is in memory: a restart forgets every count and lock. Nodes of
// a cluster share their limiters' failures (Share, Peers; package cluster
// carries them through PostgreSQL), so that each counts every node's. Keys are
// opaque strings of the form "scope:id", built with Key or HashedKey, for
// example "ip:203.0.113.5", "account:<hash of the e-mail>" or
// "meeting:<id>". Keys never hold raw e-mail addresses: HashedKey hashes
// anything personal, so a key that reaches a log or a debugger is harmless.
//
// # Rules
//
// A key locks out once it has Policy.MaxFailures failures within
// Policy.Window (a sliding window) and stays locked for Policy.Lockout.
// A failure while the key is locked is ignored: it neither counts nor
// extends the lock-out. Otherwise anyone could keep a victim's account
// locked for ever with one guess per lock-out period; as it is they must
// fail MaxFailures times again after each lock-out ends, and every such
// round costs them and shows up in the audit log. When a lock-out ends the
// key starts from zero.
//
// Check and Fail are separate calls, so attempts sent in parallel all pass
// Check while they are verified. A caller should therefore Check again
// after a correct secret and refuse it if a parallel wrong guess locked a
// key meanwhile; otherwise parallel guessing slips past the limit. The
// sign-in handler of package web does this.
//
// # Scopes
//
// New applies one Policy to every key. NewScoped applies a Policy per
// scope (the key's text before the first ':'), each with its own table and
// its own MaxKeys, so that a flood of keys in one scope (made-up e-mail
// addresses) cannot push out the keys of another (client addresses).
// NewLogin and NewPasscodes build the two limiters the server uses; their
// policies are LoginIPPolicy, LoginAccountPolicy, PasscodePolicy and
// MeetingPolicy.
//
// # Memory
//
// Each scope tracks at most MaxKeys keys. Keys whose failures have all
// left the window and whose lock-out has ended are purged. When a table
// is full, a new key first triggers a purge; if that frees nothing, the
// unlocked key that failed least recently is evicted; only if every
// tracked key is locked is the lock that ends soonest dropped. Locks are
// kept in preference because a locked key is an attack in progress, while
// an evicted unlocked key only loses a partial count. The cost is that an
// attacker who floods a full table can reset the counts of unlocked keys;
// MaxKeys should be well above the number of keys that fail legitimately
// within a window.
package throttle

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Policy says when a key locks out and how many keys are tracked.
type Policy struct {
	// MaxFailures failures within Window lock the key out.
	MaxFailures int
	Window      time.Duration
	// Lockout is how long a locked key stays locked.
	Lockout time.Duration
	// MaxKeys caps the keys tracked (see the package doc).
	MaxKeys int
}

func (p Policy) validate() error {
	if p.MaxFailures < 1 || p.Window <= 0 || p.Lockout <= 0 || p.MaxKeys < 1 {
		return fmt.Errorf("throttle: invalid policy %+v: every field must be positive", p)
	}
	return nil
}

// Limiter counts failures and locks keys out. It is safe for concurrent
// use; every call sees and changes its keys atomically.
type Limiter struct {
	now   func() time.Time
	epoch time.Time // times are kept as offsets from it: 8 bytes, monotonic

	mu     sync.Mutex
	def    *table            // keys of scopes not in scoped
	scoped map[string]*table // by scope
	peers  Peers             // nil: this process only
}

// Peers receives what a Limiter records, for the same limiter on the
// other nodes of a cluster (package cluster carries it through
// PostgreSQL): with it every node counts every node's failures, so a
// guesser gains nothing by spreading attempts over nodes. Calls happen
// outside the Limiter's lock and must not block.
type Peers interface {
	Failed(keys []string)
	Reset(keys []string)
}

// Share sends every failure and reset from now on to p.
func (l *Limiter) Share(p Peers) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.peers = p
}

// PeerFailed counts a failure another node recorded, as Fail would, but
// without sending it on.
func (l *Limiter) PeerFailed(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.failLocked(l.elapsed(), keys)
}

// PeerReset forgets keys another node reset, without sending it on.
func (l *Limiter) PeerReset(keys ...string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.resetLocked(keys)
}

// New returns a Limiter that applies p to every key. now is the clock
// (time.Now when nil). It panics on an invalid policy, which only a
// programming error can cause.
func New(p Policy, now func() time.Time) *Limiter {
	return NewScoped(p, nil, now)
}

// NewScoped returns a Limiter that applies scopes[s] to keys of scope s
// (see Scope) and def to keys of any other scope. It panics on an invalid
// policy.
func NewScoped(def Policy, scopes map[string]Policy, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	l := &Limiter{now: now, epoch: now(), def: newTable(def), scoped: make(map[string]*table, len(scopes))}
	for s, p := range scopes {
		l.scoped[s] = newTable(p)
	}
	return l
}

// Check returns 0 when an attempt for every key may proceed, else how long
// until the longest lock-out among them ends.
func (l *Limiter) Check(keys ...string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.elapsed()
	var wait time.Duration
	for _, k := range keys {
		wait = max(wait, l.tableFor(k).remaining(k, now))
	}
	return wait
}

// Fail records one failure against every key (a key named twice counts
// once); it returns the keys this failure locked out (newly), so the
// caller can audit the lock-out once.
func (l *Limiter) Fail(keys ...string) []string {
	l.mu.Lock()
	locked := l.failLocked(l.elapsed(), keys)
	p := l.peers
	l.mu.Unlock()
	if p != nil {
		p.Failed(keys)
	}
	return locked
}

// failLocked is Fail with the mutex held, at now.
func (l *Limiter) failLocked(now time.Duration, keys []string) []string {
	var locked []string
	for i, k := range keys {
		if indexOf(keys[:i], k) >= 0 {
			continue
		}
		if l.tableFor(k).fail(k, now) {
			locked = append(locked, k)
		}
	}
	return locked
}

// Reset forgets the failures and any lock-out of keys (e.g. the account
// after a correct password).
func (l *Limiter) Reset(keys ...string) {
	l.mu.Lock()
	l.resetLocked(keys)
	p := l.peers
	l.mu.Unlock()
	if p != nil {
		p.Reset(keys)
	}
}

func (l *Limiter) resetLocked(keys []string) {
	for _, k := range keys {
		delete(l.tableFor(k).entries, k)
	}
}

// Len returns how many keys are tracked, over all scopes; for tests and
// metrics.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.def.entries)
	for _, t := range l.scoped {
		n += len(t.entries)
	}
	return n
}

func (l *Limiter) elapsed() time.Duration { return l.now().Sub(l.epoch) }

func (l *Limiter) tableFor(key string) *table {
	if t, ok := l.scoped[Scope(key)]; ok {
		return t
	}
	return l.def
}

// Scope returns the part of key before the first ':', or "" when there is
// none.
func Scope(key string) string {
	s, _, ok := strings.Cut(key, ":")
	if !ok {
		return ""
	}
	return s
}

func indexOf(keys []string, k string) int {
	for i, x := range keys {
		if x == k {
			return i
		}
	}
	return -1
}
