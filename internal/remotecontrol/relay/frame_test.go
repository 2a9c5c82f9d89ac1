package relay

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/remotecontrol"
)

// TestDecodeFrame: one JSON object of a bounded size with known fields,
// nothing else.
func TestDecodeFrame(t *testing.T) {
	f, err := decodeFrame([]byte(`{"seq":3,"kind":"move","x":0.5,"y":0.25}`))
	if err != nil || f.Seq != 3 || f.Kind != remotecontrol.Move || f.X != 0.5 || f.Y != 0.25 {
		t.Fatalf("%+v %v", f, err)
	}
	for name, b := range map[string]string{
		"unknown field": `{"seq":1,"kind":"move","cmd":"rm"}`,
		"trailing":      `{"seq":1,"kind":"move"}{"seq":2,"kind":"move"}`,
		"not an object": `"move"`,
		"bad seq":       `{"seq":-1,"kind":"move"}`,
		"empty":         ``,
	} {
		if _, err := decodeFrame([]byte(b)); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	big := `{"seq":1,"kind":"move","sealed":"` + strings.Repeat("A", maxFrameBytes) + `"}`
	if _, err := decodeFrame([]byte(big)); !errors.Is(err, errFrameSize) {
		t.Errorf("large frame: %v", err)
	}
}

// TestCheckFrame: what the server checks of a frame in each kind of
// meeting.
func TestCheckFrame(t *testing.T) {
	sealed := base64.RawURLEncoding.EncodeToString(make([]byte, 64))
	tooBig := base64.RawURLEncoding.EncodeToString(make([]byte, remotecontrol.MaxEventBytes+1))
	for _, tc := range []struct {
		name      string
		f         remotecontrol.Frame
		e2ee, ptr bool
		want      error
	}{
		{name: "plain move", f: move(1, 0.5, 0.5)},
		{name: "plain out of bounds", f: move(1, 0.5, 1.01), want: remotecontrol.ErrOutOfBounds},
		{name: "plain blocked", f: key(1, "Delete", "Ctrl", "Alt"), want: remotecontrol.ErrBlockedKey},
		{name: "plain key pointer-only", f: key(1, "KeyA"), ptr: true, want: remotecontrol.ErrPointerOnly},
		{name: "sealed in plain", f: remotecontrol.Frame{Event: remotecontrol.Event{Seq: 1}, Sealed: sealed}, want: errSealed},
		{name: "sealed", f: remotecontrol.Frame{Event: remotecontrol.Event{Seq: 1}, Sealed: sealed}, e2ee: true},
		// The server cannot read a sealed key, so pointer-only is the
		// agent's to enforce there.
		{name: "sealed pointer-only", f: remotecontrol.Frame{Event: remotecontrol.Event{Seq: 1}, Sealed: sealed}, e2ee: true, ptr: true},
		{name: "plain in e2ee", f: move(1, 0.5, 0.5), e2ee: true, want: errPlain},
		{name: "sealed with plain fields", f: remotecontrol.Frame{Event: remotecontrol.Event{Seq: 1, Kind: "move"}, Sealed: sealed}, e2ee: true, want: errSealedBad},
		{name: "sealed with mods", f: remotecontrol.Frame{Event: remotecontrol.Event{Seq: 1, Mods: []string{}}, Sealed: sealed}, e2ee: true, want: errSealedBad},
		{name: "sealed not base64", f: remotecontrol.Frame{Event: remotecontrol.Event{Seq: 1}, Sealed: "a+b/"}, e2ee: true, want: errSealedBad},
		{name: "sealed too large", f: remotecontrol.Frame{Event: remotecontrol.Event{Seq: 1}, Sealed: tooBig}, e2ee: true, want: errSealedBad},
	} {
		err := checkFrame(tc.f, tc.e2ee, tc.ptr)
		switch {
		case tc.want == nil && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != nil && !errors.Is(err, tc.want):
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// TestQueueDropsMovesFirst: a full queue makes room by dropping its
// oldest pointer move; with none, the new frame is the one dropped. Keys
// and clicks are never lost for a move.
func TestQueueDropsMovesFirst(t *testing.T) {
	q := &agentQueue{wake: make(chan struct{}, 1)}
	seq := uint64(0)
	push := func(f remotecontrol.Frame) bool {
		seq++
		f.Seq = seq
		return q.pushLocked(f)
	}
	push(move(0, 0.1, 0.1)) // seq 1: the oldest move
	for len(q.frames) < QueueLen-1 {
		push(key(0, "KeyA"))
	}
	push(move(0, 0.2, 0.2)) // seq QueueLen: full now
	if dropped := push(key(0, "KeyB")); dropped {
		t.Fatal("a key was dropped while a move could go")
	}
	if len(q.frames) != QueueLen || q.frames[0].Seq != 2 || q.frames[len(q.frames)-1].Key != "KeyB" {
		t.Fatalf("after dropping the oldest move: %d frames, first %d", len(q.frames), q.frames[0].Seq)
	}
	if dropped := push(key(0, "KeyC")); dropped {
		t.Fatal("a key was dropped while the second move could go")
	}
	if dropped := push(key(0, "KeyD")); !dropped {
		t.Fatal("a queue full of keys took another")
	}
	if len(q.frames) != QueueLen {
		t.Fatalf("%d frames", len(q.frames))
	}
	select {
	case <-q.wake:
	default:
		t.Fatal("the writer was not woken")
	}
}
