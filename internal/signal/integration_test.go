package signal_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// testServer runs the signalling endpoint with a real media engine on
// 127.0.0.1 and returns its ws:// URL.
func testServer(t *testing.T, maxParticipants int) (string, *room.Manager) {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{MaxParticipants: maxParticipants})
	return srv.WS, srv.Rooms
}

// counts records RTP packets received per (owner, source).
type counts struct {
	mu sync.Mutex
	n  map[string]*atomic.Int64
}

func (c *counts) counter(key string) *atomic.Int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]*atomic.Int64{}
	}
	if c.n[key] == nil {
		c.n[key] = &atomic.Int64{}
	}
	return c.n[key]
}

func (c *counts) onTrack(owner, source string, t *webrtc.TrackRemote) {
	n := c.counter(owner + "/" + source)
	buf := make([]byte, 1500)
	for {
		if _, _, err := t.Read(buf); err != nil {
			return
		}
		n.Add(1)
	}
}

func TestFourParticipantsReceiveEachOther(t *testing.T) {
	url, _ := testServer(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	const n = 4
	clients := make([]*client.Client, n)
	recv := make([]*counts, n)
	for i := range clients {
		recv[i] = &counts{}
		c, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "P" + string(rune('A'+i))},
			client.Options{Simulcast: true, OnTrack: recv[i].onTrack})
		if err != nil {
			t.Fatalf("participant %d: %v", i, err)
		}
		defer c.Close()
		clients[i] = c
		if got := len(c.Welcome.Participants); got != i {
			t.Errorf("participant %d was told of %d others, want %d", i, got, i)
		}
		go c.Pump(ctx, client.PumpOptions{})
	}

	deadline := time.Now().Add(30 * time.Second)
	for {
		missing := missingStreams(clients, recv)
		if len(missing) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30 s these streams never arrived: %v", missing)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// missingStreams lists receiver→sender streams with fewer than 20 packets.
func missingStreams(clients []*client.Client, recv []*counts) []string {
	var missing []string
	for i := range clients {
		for j, sender := range clients {
			if i == j {
				continue
			}
			for _, src := range []string{"audio", "camera"} {
				if recv[i].counter(sender.ID()+"/"+src).Load() < 20 {
					missing = append(missing, clients[i].Welcome.ParticipantID+"<-"+sender.ID()+"/"+src)
				}
			}
		}
	}
	return missing
}
