package signal_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// TestOrgLockedSettings: welcome names the settings the organisation
// locked, and a host's settings change of one is refused with forbidden
// ("locked by your organisation"); an unlocked setting still changes.
func TestOrgLockedSettings(t *testing.T) {
	srv := guardedWith(t, testserver.Options{OrgPolicy: room.OrgPolicy{ScreenShare: true, ChatOff: true}})
	host := dialAs(t, srv.WS, hostUser.ID)
	m := host.hello("Hana", testserver.Passcode, nil)
	if m.Type != "welcome" {
		t.Fatalf("host: %s %s", m.Type, m.Data)
	}
	var w struct {
		Meeting struct {
			Settings struct {
				Chat        bool     `json:"chat"`
				ScreenShare string   `json:"screen_share"`
				OrgLocked   []string `json:"org_locked"`
			} `json:"settings"`
		} `json:"meeting"`
	}
	if err := json.Unmarshal(m.Data, &w); err != nil {
		t.Fatal(err)
	}
	s := w.Meeting.Settings
	if s.Chat || s.ScreenShare != "presenters" || !slices.Equal(s.OrgLocked, []string{"screen_share", "chat"}) {
		t.Fatalf("welcome settings %+v (%s)", s, m.Data)
	}

	for _, change := range []any{
		map[string]string{"screen_share": "everyone"},
		map[string]bool{"chat": true},
	} {
		seq := host.send("settings", change)
		e := host.next("error")
		var body struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Ref     int64  `json:"ref"`
		}
		_ = json.Unmarshal(e.Data, &body)
		if body.Code != "forbidden" || body.Message != "locked by your organisation" || body.Ref != seq {
			t.Fatalf("settings %v answered %s", change, e.Data)
		}
	}
	host.send("settings", map[string]bool{"private_chat": false})
	u := host.next("meeting_updated", "error")
	if u.Type != "meeting_updated" || !u.has(`"org_locked":["screen_share","chat"]`) || !u.has(`"private_chat":false`) {
		t.Fatalf("meeting_updated %s", u.Data)
	}
}
