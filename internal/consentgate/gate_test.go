package consentgate

import (
	"sync"
	"testing"
)

// TestGateEpochs: a gate starts closed; Allow opens it under a new epoch;
// what was taken under an epoch stops being consented at Deny and stays
// so after a later Allow; allowing twice changes nothing.
func TestGateEpochs(t *testing.T) {
	var s Set
	g := s.Of("p1")
	if _, ok := g.Open(); ok {
		t.Fatal("a new gate is open")
	}
	if !g.Allow("subject:u_1") {
		t.Fatal("the first Allow changed nothing")
	}
	e1, ok := g.Open()
	if !ok || !g.Still(e1) || g.Subject() != "subject:u_1" {
		t.Fatalf("after Allow: epoch %d open %v still %v subject %q", e1, ok, g.Still(e1), g.Subject())
	}
	if g.Allow("subject:other") {
		t.Fatal("allowing an open gate changed it")
	}
	if e, _ := g.Open(); e != e1 || g.Subject() != "subject:u_1" {
		t.Fatalf("a repeated Allow moved the epoch to %d or the subject to %q", e, g.Subject())
	}
	g.Deny()
	if _, ok := g.Open(); ok || g.Still(e1) {
		t.Fatal("denied, the gate still lets packets through")
	}
	g.Allow("subject:u_1")
	e2, ok := g.Open()
	if !ok || e2 == e1 || g.Still(e1) || !g.Still(e2) {
		t.Fatalf("allowed again: epoch %d (was %d), old still %v", e2, e1, g.Still(e1))
	}
	if s.Of("p1") != g || s.Of("p2") == g {
		t.Fatal("Set does not keep one gate per participant")
	}
}

// TestGateRace: packets checked while consent flips never see an epoch
// as consented after its Deny (run with -race).
func TestGateRace(t *testing.T) {
	var s Set
	g := s.Of("p")
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for range 1000 {
			g.Allow("s")
			g.Deny()
		}
	}()
	go func() {
		defer wg.Done()
		for range 1000 {
			if e, ok := g.Open(); ok {
				_ = g.Still(e)
			}
			_ = s.Of("p")
		}
	}()
	wg.Wait()
	if _, ok := g.Open(); ok {
		t.Fatal("open after the last Deny")
	}
}
