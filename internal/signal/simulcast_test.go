package signal_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// layerWatch records which simulcast layer the last received camera packet
// came from and counts camera and audio packets.
type layerWatch struct {
	layer   atomic.Int32
	packets atomic.Int64
	audio   atomic.Int64
}

func (w *layerWatch) onTrack(_, source string, t *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		if source == "audio" {
			w.audio.Add(1)
			continue
		}
		var p rtp.Packet
		if source == "camera" && p.Unmarshal(buf[:n]) == nil && len(p.Payload) > client.LayerMarker {
			w.layer.Store(int32(p.Payload[client.LayerMarker]))
			w.packets.Add(1)
		}
	}
}

// controlled is a test server whose media control loop runs only when the
// test steps it, so layer choices happen when the test says.
type controlled struct {
	*testserver.Server
	lastRates time.Time
}

func controlledServer(t *testing.T) *controlled {
	t.Helper()
	return &controlled{Server: testserver.Start(t, testserver.Options{ManualControl: true})}
}

// allocate samples layer rates (over at least 200 ms of traffic, so that
// they mean something) and runs one layer allocation.
func (s *controlled) allocate() {
	if time.Since(s.lastRates) >= 200*time.Millisecond {
		s.Engine.Step(sfu.StepRates)
		s.lastRates = time.Now()
	}
	s.Engine.Step(sfu.StepAllocate)
}

// waitLayer steps the control loop until the subscriber receives camera
// packets from layer want.
func (w *layerWatch) waitLayer(t *testing.T, srv *controlled, want int32, why string) {
	t.Helper()
	eventually.True(t, why, func() bool {
		srv.allocate()
		before := w.packets.Load()
		return w.afterAudio(10) && w.packets.Load() > before && w.layer.Load() == want
	})
}

// afterAudio waits until n more audio packets have arrived: packets the
// server forwarded before then have arrived too (one path, in order).
func (w *layerWatch) afterAudio(n int64) bool {
	mark := w.audio.Load()
	deadline := time.Now().Add(5 * time.Second)
	for w.audio.Load() < mark+n {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// TestSimulcastLayerFollowsTileSize: a subscriber showing the video in a
// small tile gets the low layer, a large tile the high one, and a hidden
// tile nothing.
func TestSimulcastLayerFollowsTileSize(t *testing.T) {
	srv := controlledServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	pub, err := client.Dial(ctx, srv.WS, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Pub"}, client.Options{Simulcast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	go pub.Pump(ctx, client.PumpOptions{KeyframeEvery: 10})
	w := &layerWatch{}
	sub, err := client.Dial(ctx, srv.WS, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Sub"}, client.Options{OnTrack: w.onTrack})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	size := func(h int) {
		if err := sub.Send(ctx, "video_size", map[string]any{"participant_id": pub.ID(), "source": "camera", "width": h * 16 / 9, "height": h}); err != nil {
			t.Fatal(err)
		}
		// The size message is handled before this ping's pong comes back.
		if err := sub.Send(ctx, "ping", struct{}{}); err != nil {
			t.Fatal(err)
		}
	}
	w.waitLayer(t, srv, 1, "the top layer with no size hint yet")
	size(180)
	w.waitLayer(t, srv, 0, "the low layer for a 180-pixel tile")
	size(720)
	w.waitLayer(t, srv, 1, "the top layer for a 720-pixel tile")

	size(0)
	eventually.True(t, "the hidden tile to be paused", func() bool {
		srv.allocate()
		// Whatever was forwarded before the pause arrives before the audio
		// forwarded after it; then no camera packet may follow.
		if !w.afterAudio(10) {
			return false
		}
		mark := w.packets.Load()
		return w.afterAudio(50) && w.packets.Load() == mark
	})
}

// TestSimulcastLayerFitsBandwidthEstimate: when the top layer is bigger than
// the subscriber's bandwidth estimate (congestion control starts at 1 Mbit/s),
// the subscriber gets the low layer even for a large tile.
func TestSimulcastLayerFitsBandwidthEstimate(t *testing.T) {
	srv := controlledServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, err := client.Dial(ctx, srv.WS, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Pub"}, client.Options{Simulcast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	// Top layer about 2.9 Mbit/s, low layer about 0.7 Mbit/s.
	go pub.Pump(ctx, client.PumpOptions{KeyframeEvery: 10, VideoPacketsPerSecond: 300, PayloadSize: 1200})
	w := &layerWatch{}
	sub, err := client.Dial(ctx, srv.WS, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Sub"}, client.Options{OnTrack: w.onTrack})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if err := sub.Send(ctx, "video_size", map[string]any{"participant_id": pub.ID(), "source": "camera", "width": 1280, "height": 720}); err != nil {
		t.Fatal(err)
	}
	w.waitLayer(t, srv, 0, "the low layer: the top one is above the bandwidth estimate")
}
