package signal_test

import (
	"context"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/client"
)

// TestICEOverTCP: a participant whose UDP is blocked still exchanges media
// with a UDP participant through the server's ICE-TCP port.
func TestICEOverTCP(t *testing.T) {
	url, _ := testServer(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	recvUDP, recvTCP := &counts{}, &counts{}
	udp, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "UDP"}, client.Options{OnTrack: recvUDP.onTrack})
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	tcp, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "TCP"}, client.Options{TCPOnly: true, OnTrack: recvTCP.onTrack})
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	go udp.Pump(ctx, client.PumpOptions{})
	go tcp.Pump(ctx, client.PumpOptions{})
	deadline := time.Now().Add(20 * time.Second)
	for recvTCP.counter(udp.ID()+"/camera").Load() < 20 || recvUDP.counter(tcp.ID()+"/camera").Load() < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("over TCP: got %d, sent-to-UDP %d packets", recvTCP.counter(udp.ID()+"/camera").Load(), recvUDP.counter(tcp.ID()+"/camera").Load())
		}
		time.Sleep(100 * time.Millisecond)
	}
}
