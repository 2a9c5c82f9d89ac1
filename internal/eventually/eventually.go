// Package eventually waits in tests for a condition that something else
// (a server goroutine, the network) makes true, instead of sleeping for a
// guessed time and hoping.
package eventually

import (
	"testing"
	"time"
)

// Limit is how long True waits: generous, since a loaded CI machine is
// slow; a passing test returns as soon as the condition holds.
const Limit = 30 * time.Second

// True polls cond every 10 ms until it holds, failing the test with what
// after Limit.
func True(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", Limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
