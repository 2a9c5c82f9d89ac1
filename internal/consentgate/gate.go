// Package consentgate is the per-participant consent switch that every
// consent-gated media sink reads on each packet (the recorder's and the
// transcriber's): open from an Allow to the next Deny, numbered by epochs
// so that a packet taken under one stretch of consent is never written
// under the next (docs/privacy.md, "Recording"). The room flips gates under
// its own lock, so nothing here blocks: a gate is three atomics, and a Set
// takes its mutex only to find or make one.
package consentgate

import (
	"sync"
	"sync/atomic"
)

// Gate is one participant's consent as the sinks see it.
type Gate struct {
	allowed atomic.Bool
	epoch   atomic.Uint64
	subject atomic.Pointer[string]
}

// Allow opens the gate for subject (the data subject the media is
// personal data of) and starts a new epoch; it reports false, changing
// nothing, when the gate was open already.
func (g *Gate) Allow(subject string) bool {
	if g.allowed.Load() {
		return false
	}
	g.subject.Store(&subject)
	g.epoch.Add(1) // before allowed: a packet let through carries the new epoch
	g.allowed.Store(true)
	return true
}

// Deny closes the gate and ends its epoch: what was taken under it is no
// longer consented (Still).
func (g *Gate) Deny() {
	g.allowed.Store(false)
	g.epoch.Add(1)
}

// Open reports whether a packet may be taken now, and the epoch it is
// taken under.
func (g *Gate) Open() (epoch uint64, ok bool) {
	if !g.allowed.Load() {
		return 0, false
	}
	return g.epoch.Load(), true
}

// Still reports whether consent given at epoch still holds: nothing taken
// before a withdrawal is written after it.
func (g *Gate) Still(epoch uint64) bool {
	return g.allowed.Load() && g.epoch.Load() == epoch
}

// Subject is the data subject of the last Allow ("" before any).
func (g *Gate) Subject() string {
	if p := g.subject.Load(); p != nil {
		return *p
	}
	return ""
}

// Set holds one gate per participant, made closed on first use: a sink
// created before its owner's answer starts gated.
type Set struct {
	mu    sync.Mutex
	gates map[string]*Gate
}

// Of returns owner's gate.
func (s *Set) Of(owner string) *Gate {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gates == nil {
		s.gates = map[string]*Gate{}
	}
	g := s.gates[owner]
	if g == nil {
		g = &Gate{}
		s.gates[owner] = g
	}
	return g
}
