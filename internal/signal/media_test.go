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
	"github.com/conclave-meet/conclave/internal/eventually"
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

	dropped := sub.Dropped.Load()
	if dropped < 20 {
		t.Fatalf("loss simulation dropped only %d packets", dropped)
	}
	// The last retransmissions may still be on their way: wait for them,
	// failing only if they never come.
	var received, missing int
	eventually.True(t, "the dropped packets to be resent", func() bool {
		received, missing = rec.missing()
		return received >= 100 && missing <= int(dropped)/10
	})
	t.Logf("received %d, dropped on arrival %d, still missing %d", received, dropped, missing)
}

// missing counts the sequence numbers not (yet) received between the
// lowest and the newest but 20 (those may still be in flight).
func (r *seqRecorder) missing() (received, missing int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.seqs) == 0 {
		return 0, 0
	}
	lo, hi := span(r.seqs)
	if hi-lo <= 20 {
		return len(r.seqs), 0
	}
	for s := lo; s != hi-20; s++ {
		if !r.seqs[s] {
			missing++
		}
	}
	return len(r.seqs), missing
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

// TestSRTPProfile: the SFU, as DTLS server, picks AEAD-AES-128-GCM for
// both peer connections of a client that offers the usual profiles.
func TestSRTPProfile(t *testing.T) {
	url, _ := testServer(t, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "A"}, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := client.Dial(ctx, url, client.Hello{MeetingID: "m1", Passcode: "secret", Name: "B"}, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	go a.Pump(ctx, client.PumpOptions{})
	const want = "SRTP_AEAD_AES_128_GCM"
	eventually.True(t, "both connections to be protected with "+want, func() bool {
		pub, sub := b.SRTPCiphers()
		return pub == want && sub == want
	})
}
