package signal_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/files"
	"github.com/conclave-meet/conclave/internal/testserver"
)

func fileToken(t *testing.T, welcome msg) string {
	t.Helper()
	var w struct {
		FileToken string `json:"file_token"`
	}
	if err := json.Unmarshal(welcome.Data, &w); err != nil || len(w.FileToken) < 40 {
		t.Fatalf("welcome without a file token: %s", welcome.Data)
	}
	return w.FileToken
}

// TestFileCapabilityLifetime: the capability for the file routes is
// handed out on admission only (never in the waiting room), answers for
// its holder's meeting only, and stops working when they are removed or
// the meeting ends: whoever holds an old one can neither upload nor
// download any more.
func TestFileCapabilityLifetime(t *testing.T) {
	srv := guardedWith(t, testserver.Options{})
	ctx := context.Background()
	access := srv.Signal
	host := dialAs(t, srv.WS, hostUser.ID)
	hw := host.hello("Hana", testserver.Passcode, nil)
	hostTok := fileToken(t, hw)
	// Someone waiting has none: their answer is waiting, not welcome.
	w := dialAs(t, srv.WS, attUser.ID)
	if m := w.hello("Ari", testserver.Passcode, nil); m.Type != "waiting" || m.has("file_token") {
		t.Fatalf("waiting answer %s %s", m.Type, m.Data)
	}
	host.send("admit", map[string]string{"participant_id": host.lobbyIDs(1)[0]})
	attTok := fileToken(t, w.next("welcome"))
	p, ok := access.Participant(ctx, testserver.MeetingID, attTok)
	if !ok || p.UserID != attUser.ID {
		t.Fatalf("admitted participant's capability: %+v %v", p, ok)
	}
	if _, ok := access.Participant(ctx, testserver.OtherMeetingID, attTok); ok {
		t.Fatal("a capability answered for another meeting")
	}
	if _, ok := access.Participant(ctx, testserver.MeetingID, "not-a-token"); ok {
		t.Fatal("a made-up capability was accepted")
	}
	host.send("remove", map[string]any{"participant_id": p.ID})
	eventually.True(t, "the removed participant's capability to die", func() bool {
		_, ok := access.Participant(ctx, testserver.MeetingID, attTok)
		return !ok
	})
	if access.MayShare(ctx, testserver.MeetingID, files.Participant{ID: p.ID}, false) {
		t.Fatal("a removed participant may still share")
	}
	if _, ok := access.Participant(ctx, testserver.MeetingID, hostTok); !ok {
		t.Fatal("the host's capability died with someone else's")
	}
	host.send("end_meeting", struct{}{})
	eventually.True(t, "every capability to die with the meeting", func() bool {
		_, ok := access.Participant(ctx, testserver.MeetingID, hostTok)
		return !ok
	})
}
