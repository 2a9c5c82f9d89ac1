package remotecontrol

import (
	"errors"
	"testing"
	"time"
)

func TestCheckRefusesWhatMustNotReachADesktop(t *testing.T) {
	cases := []struct {
		name        string
		e           Event
		pointerOnly bool
		want        error
	}{
		{"move", Event{Kind: Move, X: 0.5, Y: 1}, false, nil},
		{"move pointer-only", Event{Kind: Move, X: 0, Y: 0}, true, nil},
		{"outside", Event{Kind: Move, X: 1.01, Y: 0.5}, false, ErrOutOfBounds},
		{"negative", Event{Kind: Down, X: -0.1, Y: 0.5}, false, ErrOutOfBounds},
		{"unknown kind", Event{Kind: "exec"}, false, ErrKind},
		{"button", Event{Kind: Down, X: 0.1, Y: 0.1, Button: 7}, false, ErrButton},
		{"click pointer-only", Event{Kind: Down, X: 0.1, Y: 0.1}, true, ErrPointerOnly},
		{"key pointer-only", Event{Kind: KeyDown, Key: "KeyA"}, true, ErrPointerOnly},
		{"key", Event{Kind: KeyDown, Key: "KeyA", Mods: []string{ModShift}}, false, nil},
		{"unknown key", Event{Kind: KeyDown, Key: "Power"}, false, ErrKey},
		{"unknown mod", Event{Kind: KeyDown, Key: "KeyA", Mods: []string{"Hyper"}}, false, ErrKey},
		{"ctrl alt del", Event{Kind: KeyDown, Key: "Delete", Mods: []string{ModAlt, ModCtrl}}, false, ErrBlockedKey},
		{"zap X", Event{Kind: KeyDown, Key: "Backspace", Mods: []string{ModCtrl, ModAlt}}, false, ErrBlockedKey},
		{"VT switch", Event{Kind: KeyDown, Key: "F2", Mods: []string{ModCtrl, ModAlt}}, false, ErrBlockedKey},
		{"sysrq", Event{Kind: KeyDown, Key: "PrintScreen", Mods: []string{ModAlt}}, false, ErrBlockedKey},
		{"lock", Event{Kind: KeyDown, Key: "KeyL", Mods: []string{ModMeta}}, false, ErrBlockedKey},
		{"stop combo", Event{Kind: KeyDown, Key: StopKey, Mods: []string{ModAlt, ModCtrl}}, false, ErrBlockedKey},
		{"plain F2", Event{Kind: KeyDown, Key: "F2"}, false, nil},
		{"wheel", Event{Kind: Wheel, X: 0.5, Y: 0.5, DY: 3}, false, nil},
		{"wheel huge", Event{Kind: Wheel, X: 0.5, Y: 0.5, DY: 1e9}, false, ErrWheel},
	}
	for _, c := range cases {
		err := Check(c.e, c.pointerOnly)
		if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
			t.Errorf("%s: Check = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestDecodeRefusesUnknownFieldsAndOversize(t *testing.T) {
	if _, err := Decode([]byte(`{"seq":1,"kind":"move","x":0.5,"y":0.5}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := Decode([]byte(`{"seq":1,"kind":"move","cmd":"rm"}`)); err == nil {
		t.Error("unknown field accepted")
	}
	if _, err := Decode(make([]byte, MaxEventBytes+1)); err == nil {
		t.Error("oversized event accepted")
	}
	if _, err := Decode([]byte(`{"seq":1,"kind":"move"} {}`)); err == nil {
		t.Error("trailing data accepted")
	}
}

func TestSequencerRefusesReplay(t *testing.T) {
	var s Sequencer
	for _, seq := range []uint64{1, 2, 5} {
		if err := s.Take(seq); err != nil {
			t.Fatal(err)
		}
	}
	for _, seq := range []uint64{5, 3, 0} {
		if err := s.Take(seq); !errors.Is(err, ErrSeq) {
			t.Errorf("Take(%d) = %v, want ErrSeq", seq, err)
		}
	}
}

func TestSealOpen(t *testing.T) {
	key := make([]byte, KeySize)
	key[0] = 1
	e := Event{Seq: 7, Kind: KeyDown, Key: "KeyA"}
	f, err := Seal(key, "g1", e)
	if err != nil {
		t.Fatal(err)
	}
	if f.Kind != "" || f.Key != "" {
		t.Fatalf("sealed frame shows the event: %+v", f)
	}
	got, err := Open(key, "g1", f)
	if err != nil || got.Key != "KeyA" || got.Seq != 7 {
		t.Fatalf("Open = %+v, %v", got, err)
	}
	if _, err := Open(key, "g2", f); err == nil {
		t.Error("opened under another grant")
	}
	moved := f
	moved.Seq = 8
	if _, err := Open(key, "g1", moved); err == nil {
		t.Error("opened at another sequence number")
	}
	other := make([]byte, KeySize)
	if _, err := Open(other, "g1", f); err == nil {
		t.Error("opened with another key")
	}
}

func TestPairingCode(t *testing.T) {
	key := make([]byte, KeySize)
	key[3] = 9
	pc := PairingCode{Server: "abc123", Key: key}
	got, err := ParsePairingCode(" " + pc.String() + "\n")
	if err != nil || got.Server != "abc123" || string(got.Key) != string(key) {
		t.Fatalf("ParsePairingCode = %+v, %v", got, err)
	}
	plain, err := ParsePairingCode("abc123")
	if err != nil || plain.Key != nil {
		t.Fatalf("plain code = %+v, %v", plain, err)
	}
	for _, bad := range []string{"", ".AAAA", "abc.!!", "abc.AAAA"} {
		if _, err := ParsePairingCode(bad); err == nil {
			t.Errorf("ParsePairingCode(%q) accepted", bad)
		}
	}
}

func TestLimiterCutsFloods(t *testing.T) {
	var l Limiter
	now := time.Unix(1000, 0)
	for i := range Burst {
		if ok, _ := l.Allow(now); !ok {
			t.Fatalf("event %d of the burst refused", i)
		}
	}
	if ok, flood := l.Allow(now); ok || flood {
		t.Fatalf("past the burst: ok=%v flood=%v", ok, flood)
	}
	now = now.Add(100 * time.Millisecond)
	passed := 0
	for range Rate {
		if ok, _ := l.Allow(now); ok {
			passed++
		}
	}
	if passed != Rate/10 {
		t.Errorf("after 100 ms %d passed, want %d", passed, Rate/10)
	}
	var flood bool
	for i := 0; i < FloodCut+1 && !flood; i++ {
		_, flood = l.Allow(now)
	}
	if !flood {
		t.Error("a flood was not cut off")
	}
}
