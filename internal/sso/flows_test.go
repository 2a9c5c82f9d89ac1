package sso

import (
	"errors"
	"testing"
	"time"
)

// TestFlowStore: a flow is taken once, not after it expired, and one
// client address cannot hold more than maxFlowsPerAddr at once.
func TestFlowStore(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := newFlowStore(func() time.Time { return now })
	if err := s.put("a", flow{provider: "p", addr: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	if f, ok := s.take("a"); !ok || f.provider != "p" {
		t.Fatalf("take: %+v %v", f, ok)
	}
	if _, ok := s.take("a"); ok {
		t.Fatal("a flow was taken twice")
	}
	if err := s.put("b", flow{addr: "192.0.2.1"}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(FlowTTL)
	if _, ok := s.take("b"); ok {
		t.Fatal("an expired flow was taken")
	}
	for i := range maxFlowsPerAddr {
		if err := s.put(randomToken(), flow{addr: "192.0.2.9"}); err != nil {
			t.Fatalf("flow %d: %v", i, err)
		}
	}
	if err := s.put("over", flow{addr: "192.0.2.9"}); !errors.Is(err, errTooManyFlows) {
		t.Fatalf("flow over the cap: %v", err)
	}
	if err := s.put("other", flow{addr: "192.0.2.10"}); err != nil {
		t.Fatalf("another address: %v", err)
	}
	now = now.Add(FlowTTL)
	if err := s.put("later", flow{addr: "192.0.2.9"}); err != nil {
		t.Fatalf("after the others expired: %v", err)
	}
	if len(s.flows) != 1 || len(s.byAddr) != 1 {
		t.Errorf("expired flows kept: %d flows, %d addresses", len(s.flows), len(s.byAddr))
	}
}
