package throttle

import "time"

// table holds the keys of one scope under one policy. Its methods run with
// the Limiter's mutex held. Times are offsets from the Limiter's epoch.
type table struct {
	p         Policy
	entries   map[string]*entry
	lastSweep time.Duration
}

// entry is one key's state: either counting failures or locked out.
type entry struct {
	fails  []time.Duration // within the window, oldest first; < MaxFailures
	locked bool
	until  time.Duration // end of the lock-out when locked
}

func newTable(p Policy) *table {
	if err := p.validate(); err != nil {
		panic(err.Error())
	}
	return &table{p: p, entries: make(map[string]*entry)}
}

// remaining returns how long key stays locked, dropping a lock that ended.
func (t *table) remaining(key string, now time.Duration) time.Duration {
	e := t.entries[key]
	if e == nil || !e.locked {
		return 0
	}
	if now >= e.until {
		delete(t.entries, key) // the count was cleared when the lock began
		return 0
	}
	return e.until - now
}

// fail records a failure at now and reports whether it locked key out.
// A failure while locked is ignored (see the package doc).
func (t *table) fail(key string, now time.Duration) bool {
	if t.remaining(key, now) > 0 {
		return false
	}
	t.maybeSweep(now)
	e := t.entries[key]
	if e == nil {
		t.makeRoom(now)
		e = &entry{fails: make([]time.Duration, 0, t.p.MaxFailures)}
		t.entries[key] = e
	}
	e.prune(now - t.p.Window)
	e.fails = append(e.fails, now)
	if len(e.fails) < t.p.MaxFailures {
		return false
	}
	*e = entry{locked: true, until: now + t.p.Lockout} // frees the timestamps
	return true
}

// prune drops failures at or before cutoff, keeping the slice's storage.
func (e *entry) prune(cutoff time.Duration) {
	i := 0
	for i < len(e.fails) && e.fails[i] <= cutoff {
		i++
	}
	n := copy(e.fails, e.fails[i:])
	e.fails = e.fails[:n]
}

// expired reports whether e holds nothing that still matters at now.
func (t *table) expired(e *entry, now time.Duration) bool {
	if e.locked {
		return now >= e.until
	}
	return len(e.fails) == 0 || e.fails[len(e.fails)-1] <= now-t.p.Window
}

// maybeSweep purges expired keys once per window, so that keys that stop
// failing do not linger until the table fills. The cost, O(keys), is
// spread over a window's worth of failures.
func (t *table) maybeSweep(now time.Duration) {
	if now-t.lastSweep >= t.p.Window {
		t.sweep(now)
	}
}

func (t *table) sweep(now time.Duration) {
	t.lastSweep = now
	for k, e := range t.entries {
		if t.expired(e, now) {
			delete(t.entries, k)
		}
	}
}

// makeRoom ensures there is space for one more key: it purges expired
// keys, then evicts the unlocked key that failed least recently, then, if
// every key is locked, the lock that ends soonest (see the package doc).
func (t *table) makeRoom(now time.Duration) {
	if len(t.entries) < t.p.MaxKeys {
		return
	}
	t.sweep(now)
	if len(t.entries) < t.p.MaxKeys {
		return
	}
	if k, ok := t.victim(); ok {
		delete(t.entries, k)
	}
}

// victim picks the key to evict from a full table.
func (t *table) victim() (string, bool) {
	var unlocked, locked string
	var haveUnlocked, haveLocked bool
	var lastFail, soonest time.Duration
	for k, e := range t.entries {
		switch {
		case !e.locked && len(e.fails) == 0:
			return k, true // nothing counted: the cheapest to lose
		case !e.locked:
			if last := e.fails[len(e.fails)-1]; !haveUnlocked || last < lastFail {
				unlocked, lastFail, haveUnlocked = k, last, true
			}
		case !haveLocked || e.until < soonest:
			locked, soonest, haveLocked = k, e.until, true
		}
	}
	if haveUnlocked {
		return unlocked, true
	}
	return locked, haveLocked
}
