package sso

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"sync"
	"time"
)

// FlowTTL is how long a sign-in may take between leaving for the provider
// and coming back.
const FlowTTL = 10 * time.Minute

// Bounds on sign-ins in progress. Starting one needs no credentials, so
// without them anyone could grow the server's memory at will.
const (
	maxFlows        = 10000
	maxFlowsPerAddr = 30
)

var errTooManyFlows = errors.New("sso: too many sign-ins in progress")

// flow is a sign-in in progress: what the callback must find to accept
// the provider's answer. It stays on the server (keyed by the state), so
// the browser never holds the nonce or the PKCE verifier, and taking it
// deletes it, so each state is good for one callback.
type flow struct {
	provider string
	nonce    string
	verifier string
	// binding is the SHA-256 of the browser's binding cookie: a state
	// stolen or planted (login CSRF) arrives without that cookie.
	binding [32]byte
	// linkUser, when set, asks to add the identity to this signed-in
	// account instead of signing in.
	linkUser string
	addr     string
	expires  time.Time
}

// flowStore holds the flows in progress.
type flowStore struct {
	mu     sync.Mutex
	flows  map[string]flow
	byAddr map[string]int
	now    func() time.Time
}

func newFlowStore(now func() time.Time) *flowStore {
	return &flowStore{flows: map[string]flow{}, byAddr: map[string]int{}, now: now}
}

// put stores f under state, after dropping expired flows; errTooManyFlows
// when the server or the client address has too many in progress.
func (s *flowStore) put(state string, f flow) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep()
	if len(s.flows) >= maxFlows || s.byAddr[f.addr] >= maxFlowsPerAddr {
		return errTooManyFlows
	}
	f.expires = s.now().Add(FlowTTL)
	s.flows[state] = f
	s.byAddr[f.addr]++
	return nil
}

// take removes and returns the flow of state, if it exists and has not
// expired.
func (s *flowStore) take(state string) (flow, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.flows[state]
	if !ok {
		return flow{}, false
	}
	s.remove(state, f)
	return f, s.now().Before(f.expires)
}

func (s *flowStore) sweep() {
	now := s.now()
	for state, f := range s.flows {
		if !now.Before(f.expires) {
			s.remove(state, f)
		}
	}
}

func (s *flowStore) remove(state string, f flow) {
	delete(s.flows, state)
	if s.byAddr[f.addr]--; s.byAddr[f.addr] <= 0 {
		delete(s.byAddr, f.addr)
	}
}

// randomToken returns 32 random bytes, base64url without padding.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// wellFormed reports whether s is what randomToken returns.
func wellFormed(s string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil && len(b) == 32
}

func bindingHash(cookie string) [32]byte { return sha256.Sum256([]byte(cookie)) }

// sameBinding compares in constant time.
func sameBinding(a, b [32]byte) bool { return subtle.ConstantTimeCompare(a[:], b[:]) == 1 }
