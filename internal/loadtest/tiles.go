package loadtest

import (
	"context"
	"math"
	"slices"
	"sync"
	"time"
)

// Viewport is the video area a synthetic participant lays its tiles out in:
// a 1280x720 window at a device pixel ratio of 1, a common laptop meeting
// window.
const (
	viewportWidth  = 1280
	viewportHeight = 720
)

// TileSize is the size in device pixels of each tile when n videos share
// the viewport in a near-square grid of 16:9 tiles, as the web client lays
// them out: one video fills the window (720p), two to four get a quarter
// each (360p), five to nine a ninth (240p), and so on. The server picks the
// smallest simulcast layer at least as tall as the tile, so large tiles get
// the 360p layer and grids of ten or more the 180p one.
func TileSize(n int) (width, height int) {
	if n <= 0 {
		return 0, 0
	}
	cols := int(math.Ceil(math.Sqrt(float64(n))))
	width = viewportWidth / cols
	height = width * 9 / 16
	return width, min(height, viewportHeight)
}

// sender is how tiles reach the server: client.Client.Send.
type sender func(ctx context.Context, typ string, data any) error

// tiles tracks which videos a participant shows and tells the server each
// tile's size (video_size) whenever the layout changes, like the browser.
type tiles struct {
	mu    sync.Mutex
	send  sender          // nil until joined
	shown []string        // owners whose camera is shown, in arrival order
	sent  map[string]int  // height last told to the server per owner
	errs  func(err error) // reports a failed send
	done  bool            // leaving: the layout no longer matters
}

func newTiles(errs func(error)) *tiles { return &tiles{sent: map[string]int{}, errs: errs} }

// attach sets the sender once the client exists and sends what is pending.
func (t *tiles) attach(s sender) {
	t.mu.Lock()
	t.send = s
	t.mu.Unlock()
	t.update()
}

// close stops hints: tracks end as the participant leaves, and telling the
// server about the shrinking layout then would only fail.
func (t *tiles) close() {
	t.mu.Lock()
	t.done = true
	t.mu.Unlock()
}

// show adds a video to the layout.
func (t *tiles) show(owner string) {
	t.mu.Lock()
	if !slices.Contains(t.shown, owner) {
		t.shown = append(t.shown, owner)
	}
	t.mu.Unlock()
	t.update()
}

// hide removes a video (its owner left, or its track ended).
func (t *tiles) hide(owner string) {
	t.mu.Lock()
	t.shown = slices.DeleteFunc(t.shown, func(o string) bool { return o == owner })
	delete(t.sent, owner)
	t.mu.Unlock()
	t.update()
}

// update sends video_size for every shown video whose tile changed. The
// lock is held while sending so that hints reach the server in order.
func (t *tiles) update() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.send == nil || t.done {
		return
	}
	w, h := TileSize(len(t.shown))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, owner := range t.shown {
		if t.sent[owner] == h {
			continue
		}
		err := t.send(ctx, "video_size", map[string]any{"participant_id": owner, "source": "camera", "width": w, "height": h})
		if err != nil {
			t.errs(err)
			return
		}
		t.sent[owner] = h
	}
}
