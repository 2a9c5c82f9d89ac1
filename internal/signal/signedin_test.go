package signal_test

import (
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// TestSignedInOnlyRefusesGuests: at a signed-in-only meeting a guest with
// the right passcode is refused with sign_in_required and the socket
// closes; a wrong passcode still gets join_refused (the setting is not
// revealed); a signed-in account is admitted.
func TestSignedInOnlyRefusesGuests(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{
		Meeting: &store.Meeting{Title: "Members", HostID: hostUser.ID, JoinBeforeHost: true,
			ScreenShare: store.ScreenSharePresenters, SignedInOnly: true},
		Users: []store.User{hostUser, attUser},
	})

	guest := dialAs(t, srv.WS, "")
	m := guest.hello("Gus", testserver.Passcode, nil)
	if m.Type != "error" || !m.has(`"sign_in_required"`) {
		t.Fatalf("guest: %s %s, want error sign_in_required", m.Type, m.Data)
	}
	// Fatal: the server closes the socket after the error.
	for range guest.in {
	}

	wrong := dialAs(t, srv.WS, "")
	if m := wrong.hello("Gus", "not-the-passcode", nil); m.Type != "error" || !m.has(`"join_refused"`) {
		t.Fatalf("guest with a wrong passcode: %s %s, want join_refused", m.Type, m.Data)
	}

	member := dialAs(t, srv.WS, attUser.ID)
	if m := member.hello("", testserver.Passcode, nil); m.Type != "welcome" {
		t.Fatalf("signed-in attendee: %s %s, want welcome", m.Type, m.Data)
	}
}
