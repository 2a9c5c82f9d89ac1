package signal_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/client"
)

// layerWatch records which simulcast layer the last received camera packet
// came from and counts packets.
type layerWatch struct {
	layer   atomic.Int32
	packets atomic.Int64
}

func (w *layerWatch) onTrack(_, source string, t *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		var p rtp.Packet
		if source == "camera" && p.Unmarshal(buf[:n]) == nil && len(p.Payload) > client.LayerMarker {
			w.layer.Store(int32(p.Payload[client.LayerMarker]))
			w.packets.Add(1)
		}
	}
}

func (w *layerWatch) waitLayer(t *testing.T, want int32, why string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		before := w.packets.Load()
		time.Sleep(300 * time.Millisecond)
		if w.layer.Load() == want && w.packets.Load() > before {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: receiving layer %d, want %d", why, w.layer.Load(), want)
		}
	}
}

// TestSimulcastLayerFollowsTileSize: a subscriber showing the video in a
// small tile gets the low layer, a large tile the high one, and a hidden
// tile nothing.
func TestSimulcastLayerFollowsTileSize(t *testing.T) {
	url, _ := testServer(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	pub, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Pub"}, client.Options{Simulcast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	go pub.Pump(ctx, client.PumpOptions{KeyframeEvery: 10})
	w := &layerWatch{}
	sub, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Sub"}, client.Options{OnTrack: w.onTrack})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	size := func(h int) {
		if err := sub.Send(ctx, "video_size", map[string]any{"participant_id": pub.ID(), "source": "camera", "width": h * 16 / 9, "height": h}); err != nil {
			t.Fatal(err)
		}
	}
	w.waitLayer(t, 1, "no size hint yet")
	size(180)
	w.waitLayer(t, 0, "180-pixel tile")
	size(720)
	w.waitLayer(t, 1, "720-pixel tile")
	size(0)
	time.Sleep(time.Second)
	before := w.packets.Load()
	time.Sleep(time.Second)
	if got := w.packets.Load() - before; got > 0 {
		t.Fatalf("hidden tile still receives video: %d packets in 1 s", got)
	}
}

// TestSimulcastLayerFitsBandwidthEstimate: when the top layer is bigger than
// the subscriber's bandwidth estimate (congestion control starts at 1 Mbit/s),
// the subscriber gets the low layer even for a large tile.
func TestSimulcastLayerFitsBandwidthEstimate(t *testing.T) {
	url, _ := testServer(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Pub"}, client.Options{Simulcast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	// Top layer about 2.9 Mbit/s, low layer about 0.7 Mbit/s.
	go pub.Pump(ctx, client.PumpOptions{KeyframeEvery: 10, VideoPacketsPerSecond: 300, PayloadSize: 1200})
	w := &layerWatch{}
	sub, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Sub"}, client.Options{OnTrack: w.onTrack})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := sub.Send(ctx, "video_size", map[string]any{"participant_id": pub.ID(), "source": "camera", "width": 1280, "height": 720}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // rates measured, allocation applied
	w.waitLayer(t, 0, "top layer above the bandwidth estimate")
}
