package signal_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// TestE2EEKeysOverTheWire: in an end-to-end encrypted meeting a public key
// reaches the others stamped with its owner, a late joiner gets it after
// welcome, a wrapped key reaches only its recipient with the sender the
// server saw (whatever the payload claims), someone in the waiting room
// can do neither, and recording is refused with the reason.
func TestE2EEKeysOverTheWire(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{
		Meeting: &store.Meeting{Title: "Telehealth", HostID: hostUser.ID, JoinBeforeHost: true, WaitingRoom: false,
			ScreenShare: store.ScreenSharePresenters, E2EE: true},
		Users:      []store.User{hostUser, attUser},
		OrgPolicy:  room.OrgPolicy{Recording: true},
		Recordings: &fakeRecordings{}, Consents: &fakeLedger{},
	})
	host := dialAs(t, srv.WS, hostUser.ID)
	if w := host.hello("Hana", testserver.Passcode, nil); !w.has(`"e2ee":true`) {
		t.Fatalf("welcome without e2ee: %s", w.Data)
	}
	gus := dialAs(t, srv.WS, "")
	gus.hello("Gus", testserver.Passcode, nil)
	if v := host.outcome("e2ee_pubkey", map[string]string{"spki": "HOSTKEY", "participant": "p_forged"}); v != "ok" {
		t.Fatal(v)
	}
	var pk struct {
		Participant string `json:"participant"`
		SPKI        string `json:"spki"`
	}
	if err := json.Unmarshal(gus.next("e2ee_pubkey").Data, &pk); err != nil || pk.Participant != host.id || pk.SPKI != "HOSTKEY" {
		t.Fatalf("gus got %+v, %v", pk, err)
	}
	late := dialAs(t, srv.WS, attUser.ID)
	late.hello("Ari", testserver.Passcode, nil)
	if err := json.Unmarshal(late.next("e2ee_pubkey").Data, &pk); err != nil || pk.Participant != host.id {
		t.Fatalf("late joiner got %+v, %v", pk, err)
	}

	if v := host.outcome("e2ee_key", map[string]string{"to": gus.id, "wrapped": "FORGUS", "from": late.id}); v != "ok" {
		t.Fatal(v)
	}
	var k struct {
		From    string `json:"from"`
		Wrapped string `json:"wrapped"`
	}
	if err := json.Unmarshal(gus.next("e2ee_key").Data, &k); err != nil || k.From != host.id || k.Wrapped != "FORGUS" {
		t.Fatalf("gus got %+v, %v", k, err)
	}
	if v := host.outcome("e2ee_key", map[string]string{"to": "p_0000000000000000", "wrapped": "X"}); v != "not_found" {
		t.Fatalf("key to nobody: %s", v)
	}
	if v := host.outcome("recording_start", map[string]string{"purpose": "x"}); v != "forbidden" {
		t.Fatalf("recording an E2EE meeting: %s", v)
	}
	// Everything ari received up to the answer to a ping sent after the
	// key: nothing of gus's key.
	late.send("ping", struct{}{})
	for _, m := range late.until("pong") {
		if m.Type == "e2ee_key" {
			t.Fatalf("a key for gus reached ari: %s", m.Data)
		}
	}
}

// TestE2EEKeysRefusedOutsideE2EE: keys are refused in a plain meeting and
// from the waiting room.
func TestE2EEKeysRefusedOutsideE2EE(t *testing.T) {
	url := guardedServer(t)
	host := dialAs(t, url, hostUser.ID)
	host.hello("Hana", testserver.Passcode, nil)
	if v := host.outcome("e2ee_pubkey", map[string]string{"spki": "K"}); v != "forbidden" {
		t.Fatalf("pubkey in a plain meeting: %s", v)
	}
	w := dialAs(t, url, "")
	if m := w.hello("Wanda", testserver.Passcode, nil); m.Type != "waiting" {
		t.Fatalf("%s", m.Type)
	}
	if v := w.outcome("e2ee_key", map[string]string{"to": host.id, "wrapped": "K"}); v != "forbidden" {
		t.Fatalf("key from the waiting room: %s", v)
	}
}

// until returns every message received up to and including the first of
// type typ.
func (r *raw) until(typ string) []msg {
	r.t.Helper()
	var out []msg
	for {
		select {
		case m, ok := <-r.in:
			if !ok {
				r.t.Fatalf("connection closed before %s", typ)
			}
			out = append(out, m)
			if m.Type == typ {
				return out
			}
		case <-time.After(10 * time.Second):
			r.t.Fatalf("no %s within 10 s", typ)
		}
	}
}
