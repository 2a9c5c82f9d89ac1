package signal_test

import (
	"context"
	"encoding/binary"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/client"
)

// seqRecorder keeps the sequence numbers of one received track.
type seqRecorder struct {
	mu   sync.Mutex
	seqs map[uint16]bool
}

func (r *seqRecorder) onTrack(owner, source string, t *webrtc.TrackRemote) {
	buf := make([]byte, 1500)
	for {
		n, _, err := t.Read(buf)
		if err != nil {
			return
		}
		if source != "camera" || n < 4 {
			continue
		}
		r.mu.Lock()
		r.seqs[binary.BigEndian.Uint16(buf[2:4])] = true
		r.mu.Unlock()
	}
}

// TestLostPacketsAreRetransmitted drops every 10th video packet on the
// subscriber's side; the subscriber's NACKs must make the server resend them
// from its packet cache, so that (almost) no sequence number stays missing.
func TestLostPacketsAreRetransmitted(t *testing.T) {
	url, _ := testServer(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Pub"}, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	rec := &seqRecorder{seqs: map[uint16]bool{}}
	sub, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Sub"},
		client.Options{DropEveryNth: 10, OnTrack: rec.onTrack})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	pumpCtx, stopPump := context.WithTimeout(ctx, 4*time.Second)
	defer stopPump()
	pub.Pump(pumpCtx, client.PumpOptions{})
	time.Sleep(time.Second) // let the last retransmissions arrive

	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.seqs) < 100 {
		t.Fatalf("received only %d video packets", len(rec.seqs))
	}
	lo, hi := span(rec.seqs)
	missing := 0
	for s := lo; s != hi-20; s++ { // the newest packets may still be in flight
		if !rec.seqs[s] {
			missing++
		}
	}
	dropped := sub.Dropped.Load()
	t.Logf("received %d, dropped on arrival %d, still missing %d", len(rec.seqs), dropped, missing)
	if dropped < 20 {
		t.Fatalf("loss simulation dropped only %d packets", dropped)
	}
	if missing > int(dropped)/10 {
		t.Fatalf("%d of %d dropped packets were never retransmitted", missing, dropped)
	}
}

// span returns the lowest and highest sequence number, assuming no wrap in
// a short test that starts near zero.
func span(m map[uint16]bool) (lo, hi uint16) {
	lo = 0xffff
	for s := range m {
		if s < lo {
			lo = s
		}
		if s > hi {
			hi = s
		}
	}
	return lo, hi
}

func TestActiveSpeakerFollowsAudioLevel(t *testing.T) {
	url, _ := testServer(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ev := newEvents()
	quiet, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Quiet"}, client.Options{OnMessage: ev.on})
	if err != nil {
		t.Fatal(err)
	}
	defer quiet.Close()
	loud, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Loud"}, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer loud.Close()
	go quiet.Pump(ctx, client.PumpOptions{AudioLevel: 127})
	go loud.Pump(ctx, client.PumpOptions{AudioLevel: 20})
	m := ev.wait(t, "active_speaker", loud.ID())
	if strings.Contains(string(m.Data), quiet.ID()) {
		t.Fatalf("quiet participant named: %s", m.Data)
	}
}

func TestSubscribingAsksPublisherForKeyframe(t *testing.T) {
	url, _ := testServer(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pub, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Pub"}, client.Options{Simulcast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	// Keyframes only every 1000 frames: the late subscriber can only start
	// quickly if the server requests one.
	go pub.Pump(ctx, client.PumpOptions{KeyframeEvery: 1000})
	time.Sleep(500 * time.Millisecond)
	before := pub.KeyframeRequests.Load()
	rec := &counts{}
	sub, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "Late"}, client.Options{OnTrack: rec.onTrack})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	deadline := time.Now().Add(10 * time.Second)
	for rec.counter(pub.ID()+"/camera").Load() < 10 {
		if time.Now().After(deadline) {
			t.Fatalf("late subscriber got no video; keyframe requests before %d, now %d", before, pub.KeyframeRequests.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if pub.KeyframeRequests.Load() <= before {
		t.Fatal("video started without a keyframe request")
	}
}
