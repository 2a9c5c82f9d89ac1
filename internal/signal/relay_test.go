package signal_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	pionturn "github.com/pion/turn/v5"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testserver"
	"github.com/conclave-meet/conclave/internal/turn"
)

// iceCred is the TURN credential a welcome or ice_servers message carries.
type iceCred struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username"`
	Credential string   `json:"credential"`
}

func credOf(t *testing.T, m msg) iceCred {
	t.Helper()
	var d struct {
		ICE []iceCred `json:"ice_servers"`
	}
	if err := json.Unmarshal(m.Data, &d); err != nil || len(d.ICE) != 1 || d.ICE[0].Username == "" {
		t.Fatalf("%s carries no TURN credential: %s", m.Type, m.Data)
	}
	return d.ICE[0]
}

// tryAllocate asks the TURN server for a relay with a participant's
// credential, the way a browser would.
func tryAllocate(t *testing.T, srv *testserver.Server, c iceCred) error {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tc, err := pionturn.NewClient(&pionturn.ClientConfig{
		TURNServerAddr: srv.TURN.Addr(), Username: c.Username, Password: c.Credential,
		Realm: "conclave", Conn: conn, RTO: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if err := tc.Listen(); err != nil {
		t.Fatal(err)
	}
	relay, err := tc.Allocate()
	if err == nil {
		relay.Close()
	}
	return err
}

func turnServer(t *testing.T, cfg turn.Config) *testserver.Server {
	t.Helper()
	return testserver.Start(t, testserver.Options{
		WithTURN: true, TURN: cfg,
		Meeting: &store.Meeting{Title: "Guarded", HostID: hostUser.ID, WaitingRoom: true, ScreenShare: store.ScreenSharePresenters},
		Users:   []store.User{hostUser, attUser},
	})
}

// Media between two participants who can only reach the server through its
// TURN relay: the relay's allow-list is exactly what the SFU needs.
func TestMediaFlowsThroughTheTURNRelay(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{WithTURN: true})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	recv := [2]*counts{{}, {}}
	var clients [2]*client.Client
	for i := range clients {
		c, err := client.Dial(ctx, srv.WS, client.Hello{MeetingID: testserver.MeetingID, Passcode: testserver.Passcode, Name: "Relayed"},
			client.Options{RelayOnly: true, OnTrack: recv[i].onTrack})
		if err != nil {
			t.Fatalf("participant %d: %v", i, err)
		}
		defer c.Close()
		clients[i] = c
		go c.Pump(ctx, client.PumpOptions{})
	}
	for i := range clients {
		other := clients[1-i].ID()
		waitFor(t, "relayed audio and video", func() bool {
			return recv[i].counter(other+"/audio").Load() > 20 && recv[i].counter(other+"/camera").Load() > 20
		})
	}
	if n := srv.TURN.Stats().Allocations; n == 0 {
		t.Fatal("media arrived, but not through the relay")
	}
	// Operators see the relay in the metrics: counts, never who.
	body := scrapeMetrics(t, srv.Metrics)
	for _, want := range []string{"conclave_turn_grants 2", "conclave_turn_allocations ", "conclave_turn_refused_datagrams_total 0"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	for _, c := range clients {
		if strings.Contains(body, c.ID()) {
			t.Errorf("metrics name participant %s", c.ID())
		}
	}
}

func scrapeMetrics(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRelayCredentialRevokedOnLeave(t *testing.T) {
	srv := turnServer(t, turn.Config{})
	host := dialAs(t, srv.WS, hostUser.ID)
	w := host.hello("Hana", testserver.Passcode, nil)
	cred := credOf(t, w)
	if err := tryAllocate(t, srv, cred); err != nil {
		t.Fatalf("an admitted participant's credential was refused: %v", err)
	}
	host.send("leave", struct{}{})
	waitFor(t, "the grant to go", func() bool { return srv.TURN.Stats().Grants == 0 })
	if err := tryAllocate(t, srv, cred); err == nil {
		t.Fatal("the credential still allocates after its participant left")
	}
}

// TestRelayCredentialRevokedOnDroppedConnection: the grant goes when the
// dropped participant's resume grace period ends (fired by hand: waiting
// out the real 30 s raced the wait's own timeout).
func TestRelayCredentialRevokedOnDroppedConnection(t *testing.T) {
	timers := &manualTimers{}
	srv := testserver.Start(t, testserver.Options{
		WithTURN: true, AfterFunc: timers.AfterFunc,
		Meeting: &store.Meeting{Title: "Guarded", HostID: hostUser.ID, WaitingRoom: true, ScreenShare: store.ScreenSharePresenters},
		Users:   []store.User{hostUser, attUser},
	})
	host := dialAs(t, srv.WS, hostUser.ID)
	cred := credOf(t, host.hello("Hana", testserver.Passcode, nil))
	host.ws.CloseNow()
	waitFor(t, "the grace period to start", func() bool {
		timers.mu.Lock()
		defer timers.mu.Unlock()
		return len(timers.timers) > 0
	})
	timers.fire()
	waitFor(t, "the grant to go", func() bool { return srv.TURN.Stats().Grants == 0 })
	if err := tryAllocate(t, srv, cred); err == nil {
		t.Fatal("the credential still allocates after its connection dropped")
	}
}

func TestRelayCredentialRevokedOnRemoval(t *testing.T) {
	srv := turnServer(t, turn.Config{})
	host := dialAs(t, srv.WS, hostUser.ID)
	host.hello("Hana", testserver.Passcode, nil)
	guest := dialAs(t, srv.WS, "")
	if m := guest.hello("Gus", testserver.Passcode, nil); m.Type != "waiting" {
		t.Fatalf("guest: %s %s", m.Type, m.Data)
	}
	// Nobody in the waiting room holds a credential.
	if g := srv.TURN.Stats().Grants; g != 1 {
		t.Fatalf("grants with a guest waiting = %d, want 1 (the host)", g)
	}
	host.send("admit", map[string]string{"participant_id": host.lobbyIDs(1)[0]})
	w := guest.next("welcome")
	var id struct {
		ID string `json:"participant_id"`
	}
	_ = json.Unmarshal(w.Data, &id)
	cred := credOf(t, w)
	if err := tryAllocate(t, srv, cred); err != nil {
		t.Fatalf("an admitted guest's credential was refused: %v", err)
	}
	if got := host.outcome("remove", map[string]any{"participant_id": id.ID}); got != "ok" {
		t.Fatalf("remove: %s", got)
	}
	if err := tryAllocate(t, srv, cred); err == nil {
		t.Fatal("a removed guest's credential still allocates")
	}
}

// A long meeting outlives a credential: the server sends fresh ones before
// the old expire, so an ICE restart still gathers relay candidates.
func TestRelayCredentialsRenewed(t *testing.T) {
	srv := turnServer(t, turn.Config{CredentialTTL: 2 * time.Second})
	host := dialAs(t, srv.WS, hostUser.ID)
	first := credOf(t, host.hello("Hana", testserver.Passcode, nil))
	renewed := credOf(t, host.next("ice_servers"))
	if renewed.Username == first.Username {
		t.Fatalf("renewal repeated the credential %q", first.Username)
	}
	if err := tryAllocate(t, srv, renewed); err != nil {
		t.Fatalf("renewed credential refused: %v", err)
	}
}
