package sfu

import "testing"

func TestIsVP8Keyframe(t *testing.T) {
	cases := []struct {
		name    string
		payload []byte
		want    bool
	}{
		{"empty", nil, false},
		{"minimal keyframe", []byte{0x10, 0x00}, true},
		{"minimal delta", []byte{0x10, 0x01}, false},
		{"not start of partition", []byte{0x00, 0x00}, false},
		{"second partition", []byte{0x11, 0x00}, false},
		{"extended with 15-bit picture id, keyframe", []byte{0x90, 0x80, 0x81, 0x23, 0x00}, true},
		{"extended with 7-bit picture id, delta", []byte{0x90, 0x80, 0x05, 0x01}, false},
		{"extended with all fields, keyframe", []byte{0x90, 0xf0, 0x81, 0x23, 0x07, 0x20, 0x00}, true},
		{"extended, truncated before header", []byte{0x90, 0xf0, 0x81, 0x23, 0x07, 0x20}, false},
		{"extended, truncated after X", []byte{0x90}, false},
		{"extended, truncated in picture id", []byte{0x90, 0x80}, false},
	}
	for _, c := range cases {
		if got := isVP8Keyframe(c.payload); got != c.want {
			t.Errorf("%s: isVP8Keyframe(%x) = %v, want %v", c.name, c.payload, got, c.want)
		}
	}
}

func FuzzIsVP8Keyframe(f *testing.F) {
	f.Add([]byte{0x90, 0xf0, 0x81, 0x23, 0x07, 0x20, 0x00})
	f.Add([]byte{0x10, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = isVP8Keyframe(b) // must never panic
	})
}

func TestVP8KeyframeHeight(t *testing.T) {
	// Descriptor 0x10, frame tag (keyframe), start code, 640x480 (scale 0).
	kf := []byte{0x10, 0x00, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01}
	if h := vp8KeyframeHeight(kf); h != 480 {
		t.Fatalf("height = %d, want 480", h)
	}
	if h := vp8KeyframeHeight(kf[:8]); h != 0 {
		t.Fatalf("truncated header gave height %d", h)
	}
	bad := append([]byte(nil), kf...)
	bad[5] = 0
	if h := vp8KeyframeHeight(bad); h != 0 {
		t.Fatalf("bad start code gave height %d", h)
	}
}
