package cluster

import (
	"context"
	"testing"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/pgtest"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// TestPasscodeGuessesCountOnEveryNode: a guesser who spreads wrong
// passcodes over two nodes is locked out on both, as on one; a reset on
// one node clears the key on the other.
func TestPasscodeGuessesCountOnEveryNode(t *testing.T) {
	dsn := pgtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	busA, _ := node(t, dsn, "a")
	busB, _ := node(t, dsn, "b")
	limA, limB := throttle.NewPasscodes(nil), throttle.NewPasscodes(nil)
	ShareLimiter(ctx, busA, "passcodes", limA)
	ShareLimiter(ctx, busB, "passcodes", limB)

	key := throttle.MeetingKey("k3m9-x2qa-7hvt-p4dz")
	limit := throttle.MeetingPolicy().MaxFailures
	for i := range limit {
		lim := limA
		if i%2 == 1 {
			lim = limB
		}
		if wait := lim.Check(key); wait > 0 {
			t.Fatalf("attempt %d refused before the limit", i)
		}
		lim.Fail(key)
	}
	eventually.True(t, "node a is locked out by guesses made on both nodes", func() bool { return limA.Check(key) > 0 })
	eventually.True(t, "node b is locked out by guesses made on both nodes", func() bool { return limB.Check(key) > 0 })

	limA.Reset(key)
	eventually.True(t, "a reset on node a reaches node b", func() bool { return limB.Check(key) == 0 })
}

func TestPeerFailuresAreNotSentBack(t *testing.T) {
	var sent []string
	lim := throttle.NewPasscodes(nil)
	lim.Share(recordPeers{sent: &sent})
	lim.PeerFailed("ip:203.0.113.5")
	lim.PeerReset("ip:203.0.113.5")
	if len(sent) != 0 {
		t.Errorf("a peer's failure was sent on: %v", sent)
	}
	lim.Fail("ip:203.0.113.5")
	lim.Attempt("ip:203.0.113.6")
	lim.Reset("ip:203.0.113.5")
	if len(sent) != 3 {
		t.Errorf("sent %v, want the fail, the attempt and the reset", sent)
	}
}

type recordPeers struct{ sent *[]string }

func (r recordPeers) Failed(keys []string) { *r.sent = append(*r.sent, keys...) }
func (r recordPeers) Reset(keys []string)  { *r.sent = append(*r.sent, keys...) }
