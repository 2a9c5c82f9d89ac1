package signal_test

import (
	"context"
	"encoding/json"
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
	// requestID is a request for control of the actor's screen, grantID
	// a grant of control of the victim's screen to the host.
	requestID, grantID string
	srv                *testserver.Server
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
	authz.RemoteRequest: func(c cell) (string, any) {
		return "control_request", map[string]string{"participant": c.victim.id}
	},
	// Refusing is an answer too, and leaves nothing to clean up.
	authz.RemoteGrant: func(c cell) (string, any) {
		return "control_answer", map[string]any{"request": c.requestID, "grant": false}
	},
	authz.RemoteRevoke: func(c cell) (string, any) { return "control_stop", map[string]string{"grant": c.grantID} },
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
	if remoteActions[action] {
		o.OrgPolicy.RemoteControl, o.OrgPolicy.RemoteControlRoles = true, authz.MeetingRoles
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
	if remoteActions[action] {
		remoteSetup(t, &c, action, role, open)
	}
	return c
}

var remoteActions = map[authz.Action]bool{authz.RemoteRequest: true, authz.RemoteGrant: true, authz.RemoteRevoke: true}

// remoteSetup prepares a remote control cell: the meeting's switch (open
// for the actions that do not depend on it), the victim sharing with a
// grant to the host for revoke, the actor sharing and asked for grant.
func remoteSetup(t *testing.T, c *cell, action authz.Action, role authz.Role, open bool) {
	t.Helper()
	on := open || action != authz.RemoteRequest
	if got := c.host.outcome("settings", map[string]any{"remote_control": on, "screen_share": "everyone"}); got != "ok" {
		t.Fatalf("settings: %s", got)
	}
	c.requestID = "q_0123456789abcdef" // for the waiting actor, who cannot share
	switch {
	case action == authz.RemoteRequest:
		shareScreen(t, c.victim)
	case action == authz.RemoteRevoke:
		shareScreen(t, c.victim)
		req := askControl(t, c.host, c.victim)
		c.victim.send("control_answer", map[string]any{"request": req, "grant": true})
		var g controlMsg
		if err := json.Unmarshal(c.victim.next("control").Data, &g); err != nil {
			t.Fatal(err)
		}
		c.grantID = g.Grant
	case role == authz.Host:
		shareScreen(t, c.host)
		c.requestID = askControl(t, c.victim, c.host)
	case role != authz.Waiting:
		shareScreen(t, c.actor)
		c.requestID = askControl(t, c.host, c.actor)
	}
}

func shareScreen(t *testing.T, r *raw) {
	t.Helper()
	if got := r.outcome("media_state", map[string]bool{"screen": true}); got != "ok" {
		t.Fatalf("share: %s", got)
	}
}

// askControl has asker ask sharer for control and returns the request.
func askControl(t *testing.T, asker, sharer *raw) string {
	t.Helper()
	asker.send("control_request", map[string]string{"participant": sharer.id})
	return nextField(t, sharer, "control_requested", "request")
}
