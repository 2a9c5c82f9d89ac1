package room

import (
	"log/slog"
	"net"
	"testing"

	"github.com/conclave-meet/conclave/internal/sfu"
)

// The one test on a real SFU: the adapter hands out the SFU's participants,
// and a member's media session is one of them, nil until admitted.
func TestSFUMedia(t *testing.T) {
	e, err := sfu.NewEngine(sfu.Config{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	m := NewManager(e, 0, slog.New(slog.DiscardHandler))
	h, _ := join(t, m, "m", "Hana", "u_host", guarded)
	w, _ := join(t, m, "m", "Wai", "", guarded)
	if w.Media() != nil {
		t.Fatal("a waiting member has media")
	}
	if _, err := h.Admit(w.ID(), false); err != nil {
		t.Fatal(err)
	}
	p, ok := w.Media().(*sfu.Participant)
	if !ok || p.ID() != w.ID() {
		t.Fatalf("media session %T", w.Media())
	}
	w.Leave()
	h.Leave()
	if rooms, _ := m.Count(); rooms != 0 {
		t.Fatal("empty room kept")
	}
}
