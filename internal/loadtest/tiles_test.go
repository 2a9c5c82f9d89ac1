package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestTileSize(t *testing.T) {
	for _, tc := range []struct{ n, w, h int }{
		{0, 0, 0}, {1, 1280, 720}, {2, 640, 360}, {4, 640, 360}, {5, 426, 239}, {9, 426, 239}, {10, 320, 180}, {16, 320, 180}, {17, 256, 144},
	} {
		if w, h := TileSize(tc.n); w != tc.w || h != tc.h {
			t.Errorf("TileSize(%d) = %dx%d, want %dx%d", tc.n, w, h, tc.w, tc.h)
		}
	}
}

// hints records video_size messages.
type hints struct {
	mu   sync.Mutex
	msgs []string
	fail bool
}

func (h *hints) send(_ context.Context, typ string, data any) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fail {
		return errors.New("closed")
	}
	m := data.(map[string]any)
	h.msgs = append(h.msgs, fmt.Sprintf("%s %s %vx%v", typ, m["participant_id"], m["width"], m["height"]))
	return nil
}

func (h *hints) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.msgs
	h.msgs = nil
	return out
}

func TestTilesTellTheServerWhenTheLayoutChanges(t *testing.T) {
	var errs []error
	tl := newTiles(func(err error) { errs = append(errs, err) })
	h := &hints{}
	tl.show("a") // before joining: held until attach
	tl.attach(h.send)
	want := func(msgs ...string) {
		t.Helper()
		got := h.take()
		if fmt.Sprint(got) != fmt.Sprint(msgs) {
			t.Fatalf("sent %q, want %q", got, msgs)
		}
	}
	want("video_size a 1280x720")
	tl.show("b")
	want("video_size a 640x360", "video_size b 640x360")
	tl.show("b") // a second track of the same owner changes nothing
	tl.show("c")
	want("video_size c 640x360")
	tl.hide("b")
	want()
	tl.hide("c")
	want("video_size a 1280x720")
	h.fail = true
	tl.show("d")
	if len(errs) != 1 {
		t.Fatalf("errors %v", errs)
	}
	h.fail = false
	tl.close()
	tl.show("e")
	want()
}
