package transcribe

import "testing"

// TestPumpKeepsOrderWithoutWaiting: Push never waits for the consumer;
// Results delivers in order, then closes after End.
func TestPumpKeepsOrderWithoutWaiting(t *testing.T) {
	p := NewPump()
	for i := range 100 {
		p.Push(Result{Utterance: i})
	}
	p.End()
	i := 0
	for r := range p.Results() {
		if r.Utterance != i {
			t.Fatalf("result %d is utterance %d", i, r.Utterance)
		}
		i++
	}
	if i != 100 {
		t.Fatalf("%d results", i)
	}
}

// TestPumpStop: Stop closes Results with results still queued and
// nobody reading; a second Stop is harmless.
func TestPumpStop(t *testing.T) {
	p := NewPump()
	p.Push(Result{Text: "dropped"})
	p.Stop()
	p.Stop()
	for range p.Results() {
	}
}
