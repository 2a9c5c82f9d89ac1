package signal_test

import (
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// An admit past the participant limit is refused to the host, not the
// host's connection: meeting_full answers the admit, the host stays in
// the meeting and the guest keeps waiting. (The same code answering hello
// ends that connection; clients must tell the two apart by ref.)
func TestAdmitPastLimitIsNotFatal(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{
		Meeting: &store.Meeting{Title: "Small", HostID: hostUser.ID, WaitingRoom: true, MaxParticipants: 2},
		Users:   []store.User{hostUser},
	})
	host := dialAs(t, srv.WS, hostUser.ID)
	if m := host.hello("Hana", testserver.Passcode, nil); m.Type != "welcome" {
		t.Fatalf("host hello: %s %s", m.Type, m.Data)
	}
	admitted(t, srv.WS, host, "", "Gus", 0)
	late := dialAs(t, srv.WS, "")
	if m := late.hello("Lena", testserver.Passcode, nil); m.Type != "waiting" {
		t.Fatalf("second guest: %s %s, want waiting", m.Type, m.Data)
	}
	lena := host.lobbyIDs(1)[0]

	if got := host.outcome("admit", map[string]any{"participant_id": lena}); got != "meeting_full" {
		t.Fatalf("admit past the limit: %q, want meeting_full", got)
	}
	if got := host.outcome("admit", map[string]any{"all": true}); got != "meeting_full" {
		t.Fatalf("admit all past the limit: %q, want meeting_full", got)
	}
	// The host's connection still works (outcome also returns at a bye,
	// so ask for a pong by itself).
	host.send("ping", struct{}{})
	if m := host.next("pong", "bye"); m.Type != "pong" {
		t.Fatalf("host after the refusal: %s %s, want pong", m.Type, m.Data)
	}
	// The guest was neither let in nor sent away.
	late.send("ping", struct{}{})
	for {
		m := late.next("pong", "welcome", "bye", "error")
		if m.Type == "pong" {
			break
		}
		t.Fatalf("waiting guest received %s %s", m.Type, m.Data)
	}
}
