package sfu

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

func TestForwardStartsOnKeyframeAndRewrites(t *testing.T) {
	up := newVideoUp()
	l := up.addLayer("", 1234, nil)
	d, w := boundDown(up, 777)
	d.target = l
	up.forward(l, vp8Packet(100, 9000, false), 1000)
	if w.packets != 0 {
		t.Fatal("forwarded a delta frame before any keyframe")
	}
	up.forward(l, vp8Packet(101, 12000, true), 1000)
	up.forward(l, vp8Packet(102, 12000, false), 1000)
	if w.packets != 2 || w.ssrc != 777 || w.lastSeq != 102 {
		t.Fatalf("packets=%d ssrc=%d seq=%d; want 2, 777, 102", w.packets, w.ssrc, w.lastSeq)
	}
}

func TestLayerSwitchKeepsSequenceContinuous(t *testing.T) {
	up := newVideoUp()
	low := up.addLayer("l", 1, nil)
	high := up.addLayer("h", 2, nil)
	if ls := up.layerSnapshot(); ls[0] != low || ls[1] != high {
		t.Fatal("layers not ordered low to high")
	}
	d, w := boundDown(up, 9)
	d.target = low
	up.forward(low, vp8Packet(500, 1000, true), 1000)
	up.forward(low, vp8Packet(501, 1000, false), 1000)
	up.forward(high, vp8Packet(9000, 777000, true), 1000) // not the target: dropped
	if w.packets != 2 {
		t.Fatalf("forwarded %d packets, want 2", w.packets)
	}
	d.setTarget(high)
	up.forward(high, vp8Packet(9001, 780000, false), 1000) // wait for keyframe
	up.forward(low, vp8Packet(502, 4000, false), 1000)     // still on low until then
	if w.packets != 3 || w.lastSeq != 502 {
		t.Fatalf("packets=%d seq=%d before switch; want 3, 502", w.packets, w.lastSeq)
	}
	prevTS := w.lastTS
	up.forward(high, vp8Packet(9002, 783000, true), 1000) // switch here
	if w.packets != 4 || w.lastSeq != 503 {
		t.Fatalf("after switch packets=%d seq=%d; want 4, 503", w.packets, w.lastSeq)
	}
	if int32(w.lastTS-prevTS) <= 0 {
		t.Fatalf("timestamp went backwards across the switch: %d → %d", prevTS, w.lastTS)
	}
	up.forward(low, vp8Packet(503, 7000, false), 1000) // old layer now dropped
	up.forward(high, vp8Packet(9003, 783000, false), 1000)
	if w.packets != 5 || w.lastSeq != 504 {
		t.Fatalf("packets=%d seq=%d; want 5, 504", w.packets, w.lastSeq)
	}
}

func TestPausedAndUnboundDownTracksSendNothing(t *testing.T) {
	up := newVideoUp()
	l := up.addLayer("", 1, nil)
	d, w := boundDown(up, 9)
	d.setTarget(nil)
	up.forward(l, vp8Packet(1, 1, true), 1000)
	if w.packets != 0 {
		t.Fatal("paused track forwarded")
	}
	d.setTarget(l)
	_ = d.Unbind(nil)
	up.forward(l, vp8Packet(2, 1, true), 1000)
	if w.packets != 0 {
		t.Fatal("unbound track forwarded")
	}
	up.removeSink(d)
	if len(*up.sinks.Load()) != 0 {
		t.Fatal("removeSink left the track")
	}
}

func TestKeyframeRequestsAreThrottled(t *testing.T) {
	var plis []uint32
	up := newUpTrack("p", SourceCamera, webrtc.RTPCodecTypeVideo, webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, func(ssrc uint32) { plis = append(plis, ssrc) })
	l := up.addLayer("", 42, nil)
	up.keyframe(l)
	up.keyframe(l)
	if len(plis) != 1 || plis[0] != 42 {
		t.Fatalf("PLIs = %v, want one for ssrc 42", plis)
	}
}

func TestCountersFollowForwarding(t *testing.T) {
	up := newVideoUp()
	l := up.addLayer("", 1, nil)
	_, _ = boundDown(up, 9)
	d2, _ := boundDown(up, 10)
	d2.setTarget(nil) // paused: forwards nothing
	up.forward(l, vp8Packet(1, 1, true), 1012)
	up.forward(l, vp8Packet(2, 1, false), 1012)
	var s Stats
	up.addStats(&s)
	for _, d := range *up.sinks.Load() {
		s.addTotals(&d.(*downTrack).stats)
	}
	if s.ReceivedPackets != 2 || s.ReceivedBytes != 2024 || s.ForwardedPackets != 2 || s.ForwardedBytes != 2000 {
		t.Fatalf("stats %+v", s)
	}
}

func TestLatencyIsSampled(t *testing.T) {
	up := newVideoUp()
	var observed []time.Duration
	f := func(d time.Duration) { observed = append(observed, d) }
	var p atomic.Pointer[func(time.Duration)]
	p.Store(&f)
	up.observe = &p
	l := up.addLayer("", 1, nil)
	boundDown(up, 9)
	up.forward(l, vp8Packet(0, 0, true), 1012)
	for i := 1; i < 4*latencySampleEvery; i++ {
		up.forward(l, vp8Packet(uint16(i), 0, false), 1012)
	}
	if len(observed) != 4 {
		t.Fatalf("observed %d samples over %d packets, want 4", len(observed), 4*latencySampleEvery)
	}
}
