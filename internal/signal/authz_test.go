package signal_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/files"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// cell is one action tried by one role in a fresh meeting.
type cell struct {
	host, actor *raw
	victim      *raw   // a signed-in attendee others act on
	waiterID    string // someone in the waiting room
	srv         *testserver.Server
}

// httpProbes answer, for actions taken over HTTP rather than the
// websocket, whether the actor may take them: "ok" or "forbidden".
var httpProbes = map[authz.Action]func(c cell) string{
	// Sharing a file is a POST to the file routes, which ask the signalling
	// Handler (files.Access) whether the uploader may share.
	authz.FileShare: func(c cell) string {
		if c.srv.Signal.MayShare(context.Background(), testserver.MeetingID, files.Participant{ID: c.actor.id}, false) {
			return "ok"
		}
		return "forbidden"
	},
}

// probes send, for each meeting action, a message that needs exactly that
// action, aimed at the cell's victim or waiter.
var probes = map[authz.Action]func(c cell) (string, any){
	authz.Leave: func(cell) (string, any) { return "ping", struct{}{} },
	authz.Media: func(cell) (string, any) {
		return "media_state", map[string]bool{"audio": true}
	},
	authz.ScreenShare: func(cell) (string, any) {
		return "media_state", map[string]bool{"screen": true}
	},
	authz.ChatSend: func(cell) (string, any) { return "chat", map[string]string{"text": "hello"} },
	authz.ChatPrivate: func(c cell) (string, any) {
		return "chat", map[string]any{"text": "psst", "to": []string{c.victim.id}}
	},
	authz.ChatDelete: func(cell) (string, any) { return "chat_delete", map[string]string{"id": "c_0123456789abcdef"} },
	authz.LobbyDecide: func(c cell) (string, any) {
		return "admit", map[string]string{"participant_id": c.waiterID}
	},
	authz.MeetingLock:    func(cell) (string, any) { return "lock", map[string]bool{"locked": true} },
	authz.MeetingSetting: func(cell) (string, any) { return "settings", map[string]bool{"chat": false} },
	authz.MeetingEnd:     func(cell) (string, any) { return "end_meeting", struct{}{} },
	authz.Remove: func(c cell) (string, any) {
		return "remove", map[string]any{"participant_id": c.victim.id, "ban": true}
	},
	authz.Mute: func(c cell) (string, any) {
		return "mute", map[string]string{"participant_id": c.victim.id, "source": "audio"}
	},
	authz.AskUnmute: func(c cell) (string, any) {
		return "ask_unmute", map[string]string{"participant_id": c.victim.id, "source": "camera"}
	},
	authz.SetPresenter: func(c cell) (string, any) {
		return "set_role", map[string]string{"participant_id": c.victim.id, "role": "presenter"}
	},
	authz.SetCohost: func(c cell) (string, any) {
		return "set_role", map[string]string{"participant_id": c.victim.id, "role": "cohost"}
	},
	authz.RecordingStart: func(cell) (string, any) {
		return "recording_start", map[string]string{"purpose": "probe"}
	},
	authz.TranscriptionStart: func(cell) (string, any) {
		return "transcription_start", map[string]string{"purpose": "probe"}
	},
	authz.Captions: func(cell) (string, any) { return "captions", map[string]bool{"on": true} },
}

// TestPermissionTable walks authz.Table through the real websocket
// protocol: every meeting action from every role, with the meeting's
// "open" switches both ways, allowed or refused exactly as the table says.
func TestPermissionTable(t *testing.T) {
	for _, action := range authz.MeetingActions {
		probe, ok := probes[action]
		httpProbe, viaHTTP := httpProbes[action]
		if !ok && !viaHTTP {
			t.Fatalf("no probe for %s: every action in the table must be tested", action)
		}
		for _, role := range authz.MeetingRoles {
			for _, open := range opens(action, role) {
				name := fmt.Sprintf("%s/%s/open=%v", action, role, open)
				t.Run(name, func(t *testing.T) {
					want := authz.Check(role, action, open) == nil
					c := setupCell(t, role, action, open)
					var got, typ string
					if viaHTTP {
						typ, got = string(action), httpProbe(c)
					} else {
						var data any
						typ, data = probe(c)
						got = c.actor.outcome(typ, data)
					}
					if want && got != "ok" {
						t.Fatalf("%s by %s refused with %q; the table allows it", typ, role, got)
					}
					if !want && got != "forbidden" {
						t.Fatalf("%s by %s answered %q; the table refuses it (want forbidden)", typ, role, got)
					}
				})
			}
		}
	}
}

// opens lists the states of the meeting's switch worth testing: both for
// cells that depend on it, one otherwise.
func opens(action authz.Action, role authz.Role) []bool {
	if authz.Table[action][role] == authz.IfOpen {
		return []bool{false, true}
	}
	return []bool{false}
}

// setupCell builds a meeting with a host, the actor in role, a victim
// attendee and one person waiting, and sets the switch for action.
func setupCell(t *testing.T, role authz.Role, action authz.Action, open bool) cell {
	t.Helper()
	var o testserver.Options
	if action == authz.RecordingStart {
		o.OrgPolicy.Recording, o.Recordings, o.Consents = true, &fakeRecordings{}, &fakeLedger{}
	}
	if action == authz.TranscriptionStart {
		o.OrgPolicy.Transcription, o.Transcriptions, o.Consents = true, &fakeTranscriptions{}, &fakeLedger{}
	}
	srv := guardedWith(t, o)
	url := srv.WS
	host := dialAs(t, url, hostUser.ID)
	if m := host.hello("Hana", testserver.Passcode, nil); m.Type != "welcome" {
		t.Fatalf("host: %s %s", m.Type, m.Data)
	}
	c := cell{host: host, srv: srv}
	c.victim = admitted(t, url, host, victimUser.ID, "Vic", 0)
	switch action {
	case authz.ScreenShare:
		share := map[bool]string{true: "everyone", false: "presenters"}[open]
		host.send("settings", map[string]string{"screen_share": share})
	case authz.ChatSend, authz.FileShare:
		host.send("settings", map[string]bool{"chat": open})
	case authz.ChatPrivate:
		// Chat stays on: the switch of this cell is private chat alone.
		host.send("settings", map[string]bool{"private_chat": open})
	}
	switch role {
	case authz.Host:
		c.actor = host
	case authz.Cohost:
		c.actor = dialAs(t, url, cohostUser.ID)
		if m := c.actor.hello("Cora", testserver.Passcode, nil); m.Type != "welcome" {
			t.Fatalf("named co-host: %s %s", m.Type, m.Data)
		}
	case authz.Presenter:
		c.actor = admitted(t, url, host, presUser.ID, "Pia", 0)
		host.send("set_role", map[string]string{"participant_id": c.actor.id, "role": "presenter"})
		c.actor.next("participant_updated")
	case authz.Attendee:
		c.actor = admitted(t, url, host, attUser.ID, "Ari", 0)
	case authz.Guest:
		c.actor = admitted(t, url, host, "", "Gus", 0)
	case authz.Waiting:
		c.actor = dialAs(t, url, "")
		if m := c.actor.hello("Wanda", testserver.Passcode, nil); m.Type != "waiting" {
			t.Fatalf("waiting actor: %s %s", m.Type, m.Data)
		}
	}
	waiter := dialAs(t, url, "")
	if m := waiter.hello("Walt", testserver.Passcode, nil); m.Type != "waiting" {
		t.Fatalf("waiter: %s %s", m.Type, m.Data)
	}
	n := 1
	if role == authz.Waiting {
		n = 2
	}
	ids := host.lobbyIDs(n)
	c.waiterID = ids[len(ids)-1]
	return c
}
