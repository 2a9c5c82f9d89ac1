package x11

import (
	"errors"
	"log/slog"
	"slices"
	"testing"

	"github.com/jezek/xgb/xproto"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/remotecontrol"
	"github.com/conclave-meet/conclave/internal/remotecontrol/x11/xvfbtest"
	"github.com/conclave-meet/conclave/internal/testlog"
)

// Keysyms the tests look for.
const (
	symA, symH, symI, symX = xproto.Keysym('a'), xproto.Keysym('h'), xproto.Keysym('i'), xproto.Keysym('x')
	symDelete              = xproto.Keysym(0xffff)
)

// quadrant is the bottom-right quarter of the test screen: a second
// monitor, say.
var quadrant = Rect{X: xvfbtest.Width / 2, Y: xvfbtest.Height / 2, W: xvfbtest.Width / 2, H: xvfbtest.Height / 2}

// desktop starts Xvfb, the test's window and a Desktop on bounds.
func desktop(t *testing.T, bounds Rect) (*Desktop, *xvfbtest.Client, *testlog.Buffer) {
	t.Helper()
	display := xvfbtest.Start(t)
	client := xvfbtest.Connect(t, display)
	log := &testlog.Buffer{}
	d, err := Open(Options{Display: display, Bounds: bounds, Logger: slog.New(slog.NewTextHandler(log, nil))})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d, client, log
}

func mustInject(t *testing.T, d *Desktop, e remotecontrol.Event) {
	t.Helper()
	if err := d.Inject(e); err != nil {
		t.Fatalf("Inject(%s %s): %v", e.Kind, e.Key, err)
	}
}

func keyEvent(kind, code string, mods ...string) remotecontrol.Event {
	return remotecontrol.Event{Kind: kind, Key: code, Mods: mods}
}

func typeKey(t *testing.T, d *Desktop, code string, mods ...string) {
	t.Helper()
	mustInject(t, d, keyEvent(remotecontrol.KeyDown, code, mods...))
	mustInject(t, d, keyEvent(remotecontrol.KeyUp, code, mods...))
}

// waitPressed waits until the window has received presses of want, in
// order, and nothing else.
func waitPressed(t *testing.T, c *xvfbtest.Client, want ...xproto.Keysym) {
	t.Helper()
	eventually.True(t, "keys in the window", func() bool { return len(c.Pressed()) >= len(want) })
	if got := c.Pressed(); !slices.Equal(got, want) {
		t.Fatalf("the window got keys %#x, want %#x", got, want)
	}
}

func TestDesktopMovesThePointerWithinBounds(t *testing.T) {
	d, c, _ := desktop(t, quadrant)
	for _, p := range []struct {
		fx, fy float64
		x, y   int
	}{
		{0, 0, 512, 384}, {1, 1, 1023, 767}, {0.5, 0.5, 768, 576}, {0.25, 1, 640, 767},
	} {
		mustInject(t, d, remotecontrol.Event{Kind: remotecontrol.Move, X: p.fx, Y: p.fy})
		if x, y, _ := c.Pointer(); x != p.x || y != p.y {
			t.Errorf("move to (%v, %v): pointer at (%d, %d), want (%d, %d)", p.fx, p.fy, x, y, p.x, p.y)
		}
	}
	err := d.Inject(remotecontrol.Event{Kind: remotecontrol.Move, X: 1.01, Y: 0.5})
	if !errors.Is(err, remotecontrol.ErrOutOfBounds) {
		t.Fatalf("out of bounds: %v", err)
	}
	if x, y, _ := c.Pointer(); x != 640 || y != 767 {
		t.Fatalf("an out-of-bounds event moved the pointer to (%d, %d)", x, y)
	}
}

func TestDesktopTypesIntoTheFocusedWindow(t *testing.T) {
	d, c, _ := desktop(t, Rect{})
	typeKey(t, d, "KeyH")
	typeKey(t, d, "KeyI")
	waitPressed(t, c, symH, symI)
}

// TestDesktopPressesModifiersAroundAKey: Shift+A arrives as Shift, A with
// Shift in its state, and Shift is let go again.
func TestDesktopPressesModifiersAroundAKey(t *testing.T) {
	d, c, _ := desktop(t, Rect{})
	typeKey(t, d, "KeyA", remotecontrol.ModShift)
	shiftL := xproto.Keysym(0xffe1)
	waitPressed(t, c, shiftL, symA)
	for _, in := range c.Inputs() {
		if in.Press && in.Key == symA && in.Mods&xproto.ModMaskShift == 0 {
			t.Fatalf("A arrived without Shift: %+v", in)
		}
	}
	eventually.True(t, "Shift let go", func() bool { return !c.Down(shiftL) })
}

func TestDesktopRefusesBlockedCombinations(t *testing.T) {
	d, c, _ := desktop(t, Rect{})
	for _, e := range []remotecontrol.Event{
		keyEvent(remotecontrol.KeyDown, "Delete", remotecontrol.ModCtrl, remotecontrol.ModAlt),
		keyEvent(remotecontrol.KeyDown, "F1", remotecontrol.ModCtrl, remotecontrol.ModAlt),
		keyEvent(remotecontrol.KeyDown, "Escape", remotecontrol.ModCtrl, remotecontrol.ModAlt),
		keyEvent(remotecontrol.KeyDown, "KeyL", remotecontrol.ModMeta),
	} {
		if err := d.Inject(e); !errors.Is(err, remotecontrol.ErrBlockedKey) {
			t.Errorf("%s: %v, want ErrBlockedKey", remotecontrol.Combo(e.Key, e.Mods), err)
		}
	}
	typeKey(t, d, "KeyX")
	waitPressed(t, c, symX)
}

// TestDesktopRefusesCombinationsOfHeldModifiers: Ctrl and Alt pressed by
// earlier events, then Delete alone, is Ctrl+Alt+Delete.
func TestDesktopRefusesCombinationsOfHeldModifiers(t *testing.T) {
	d, c, _ := desktop(t, Rect{})
	mustInject(t, d, keyEvent(remotecontrol.KeyDown, "ControlLeft"))
	mustInject(t, d, keyEvent(remotecontrol.KeyDown, "AltLeft"))
	if err := d.Inject(keyEvent(remotecontrol.KeyDown, "Delete")); !errors.Is(err, remotecontrol.ErrBlockedKey) {
		t.Fatalf("Delete with Ctrl and Alt held: %v", err)
	}
	d.Release()
	typeKey(t, d, "KeyX")
	eventually.True(t, "X typed", func() bool { return slices.Contains(c.Pressed(), symX) })
	if slices.Contains(c.Pressed(), symDelete) {
		t.Fatal("Delete reached the window")
	}
}

// TestDesktopCountsTheSharersModifiers: the sharer holding Ctrl+Alt on
// their own keyboard does not let the controller's Delete through.
func TestDesktopCountsTheSharersModifiers(t *testing.T) {
	d, c, _ := desktop(t, Rect{})
	c.KeyDown(0xffe3) // Control_L
	c.KeyDown(0xffe9) // Alt_L
	if err := d.Inject(keyEvent(remotecontrol.KeyDown, "Delete")); !errors.Is(err, remotecontrol.ErrBlockedKey) {
		t.Fatalf("Delete with the sharer's Ctrl and Alt down: %v", err)
	}
	c.KeyUp(0xffe9)
	c.KeyUp(0xffe3)
}

func TestDesktopClicksAndScrolls(t *testing.T) {
	d, c, _ := desktop(t, Rect{})
	at := func(kind string, button int) remotecontrol.Event {
		return remotecontrol.Event{Kind: kind, X: 0.5, Y: 0.5, Button: button}
	}
	mustInject(t, d, at(remotecontrol.Down, remotecontrol.ButtonRight))
	mustInject(t, d, at(remotecontrol.Up, remotecontrol.ButtonRight))
	mustInject(t, d, remotecontrol.Event{Kind: remotecontrol.Wheel, X: 0.5, Y: 0.5, DY: 2})
	mustInject(t, d, remotecontrol.Event{Kind: remotecontrol.Wheel, X: 0.5, Y: 0.5, DY: -0.5})
	mustInject(t, d, remotecontrol.Event{Kind: remotecontrol.Wheel, X: 0.5, Y: 0.5, DY: -0.5})
	mustInject(t, d, remotecontrol.Event{Kind: remotecontrol.Wheel, X: 0.5, Y: 0.5, DX: 1})
	want := []byte{3, 5, 5, 4, 7} // right; down twice; half and half a line up; right
	var got []byte
	eventually.True(t, "the clicks", func() bool {
		got = nil
		for _, in := range c.Inputs() {
			if in.Press && in.Button != 0 {
				got = append(got, in.Button)
			}
		}
		return len(got) >= len(want)
	})
	if !slices.Equal(got, want) {
		t.Fatalf("buttons %v, want %v", got, want)
	}
}

func TestDesktopReleaseLetsGoOfEverything(t *testing.T) {
	d, c, _ := desktop(t, Rect{})
	mustInject(t, d, keyEvent(remotecontrol.KeyDown, "ShiftLeft"))
	mustInject(t, d, keyEvent(remotecontrol.KeyDown, "KeyA"))
	mustInject(t, d, remotecontrol.Event{Kind: remotecontrol.Down, X: 0.5, Y: 0.5, Button: remotecontrol.ButtonLeft})
	if !c.Down(0xffe1) || !c.Down(symA) {
		t.Fatal("keys not down")
	}
	d.Release()
	eventually.True(t, "everything let go", func() bool {
		_, _, mask := c.Pointer()
		return !c.Down(0xffe1) && !c.Down(symA) && mask&xproto.KeyButMaskButton1 == 0
	})
}

// TestDesktopLeavesTheSharersKeysAlone: a key up for a key the controller
// did not press does not release the sharer's.
func TestDesktopLeavesTheSharersKeysAlone(t *testing.T) {
	d, c, _ := desktop(t, Rect{})
	c.KeyDown(symA)
	mustInject(t, d, keyEvent(remotecontrol.KeyUp, "KeyA"))
	d.Release()
	mustInject(t, d, keyEvent(remotecontrol.KeyDown, "KeyX")) // a round trip after the release
	if !c.Down(symA) {
		t.Fatal("the controller released the sharer's key")
	}
	c.KeyUp(symA)
}

func TestDesktopStopKey(t *testing.T) {
	d, c, log := desktop(t, Rect{})
	mustInject(t, d, keyEvent(remotecontrol.KeyDown, "ShiftLeft"))
	c.Press(0xffe3, 0xffe9, 0xff1b) // Control_L, Alt_L, Escape on the sharer's keyboard
	select {
	case <-d.StopKey():
	case <-timeout():
		t.Fatal("the stop key did not stop control")
	}
	if err := d.Inject(keyEvent(remotecontrol.KeyDown, "KeyX")); !errors.Is(err, ErrStopped) {
		t.Fatalf("Inject after the stop key: %v", err)
	}
	eventually.True(t, "Shift let go", func() bool { return !c.Down(0xffe1) })
	if slices.Contains(c.Pressed(), 0xff1b) {
		t.Error("the stop key reached the focused window")
	}
	if !containsText(log.String(), "stop key") {
		t.Errorf("not logged:\n%s", log)
	}
}

// TestDesktopStopKeyWithLocks: Caps Lock or Num Lock on does not disable
// the stop key.
func TestDesktopStopKeyWithLocks(t *testing.T) {
	d, c, _ := desktop(t, Rect{})
	capsLock := xproto.Keysym(0xffe5)
	c.Press(capsLock) // on
	c.Press(0xffe3, 0xffe9, 0xff1b)
	select {
	case <-d.StopKey():
	case <-timeout():
		t.Fatal("the stop key did not work with Caps Lock on")
	}
	c.Press(capsLock) // off
}

func TestDesktopBanner(t *testing.T) {
	d, c, _ := desktop(t, quadrant)
	if w := c.Windows(BannerName); len(w) != 0 {
		t.Fatalf("a banner before control: %v", w)
	}
	if err := d.Banner("Ada Lovelace"); err != nil {
		t.Fatal(err)
	}
	var wins []xproto.Window
	eventually.True(t, "the banner", func() bool { wins = c.Windows(BannerName); return len(wins) == 1 })
	x, y, w, h := c.Geometry(wins[0])
	if x != quadrant.X || y != quadrant.Y || w != quadrant.W || h < 10 || h > 40 {
		t.Fatalf("banner at %dx%d+%d+%d, want across the top of %v", w, h, x, y, quadrant)
	}
	if err := d.Banner("Grace"); err != nil { // a second grant replaces it
		t.Fatal(err)
	}
	eventually.True(t, "one banner", func() bool { return len(c.Windows(BannerName)) == 1 })
	d.ClearBanner()
	if w := c.Windows(BannerName); len(w) != 0 {
		t.Fatalf("the banner is still there: %v", w)
	}
}

func TestDesktopRefusesBoundsOutsideTheScreen(t *testing.T) {
	display := xvfbtest.Start(t)
	for _, b := range []Rect{{X: 1000, Y: 0, W: 100, H: 100}, {X: 0, Y: 0, W: 2000, H: 10}} {
		if d, err := Open(Options{Display: display, Bounds: b}); err == nil {
			d.Close()
			t.Errorf("bounds %v accepted", b)
		}
	}
}

// TestDesktopRefusesATakenStopKey: without the stop key, no control.
func TestDesktopRefusesATakenStopKey(t *testing.T) {
	display := xvfbtest.Start(t)
	first, err := Open(Options{Display: display})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if d, err := Open(Options{Display: display}); err == nil {
		d.Close()
		t.Fatal("a second agent ran without the stop key")
	}
}

func TestDesktopNeedsADisplay(t *testing.T) {
	if _, err := Open(Options{Display: ":9999"}); err == nil {
		t.Fatal("no error without an X server")
	}
}

// TestDesktopStopKeyWhateverTheControllerHolds: Shift held by the
// controller does not turn the sharer's Ctrl+Alt+Esc into another
// combination that the grab misses.
func TestDesktopStopKeyWhateverTheControllerHolds(t *testing.T) {
	d, c, _ := desktop(t, Rect{})
	mustInject(t, d, keyEvent(remotecontrol.KeyDown, "ShiftLeft"))
	mustInject(t, d, keyEvent(remotecontrol.KeyDown, "MetaLeft"))
	c.Press(0xffe3, 0xffe9, 0xff1b)
	select {
	case <-d.StopKey():
	case <-timeout():
		t.Fatal("the stop key did not work with Shift and Meta held")
	}
}

// TestDesktopRefusesTheStopKeyFromTheController: with Ctrl and Alt held
// (plus Shift, which Check alone would let pass), Escape is refused.
func TestDesktopRefusesTheStopKeyFromTheController(t *testing.T) {
	d, _, _ := desktop(t, Rect{})
	err := d.Inject(keyEvent(remotecontrol.KeyDown, "Escape", remotecontrol.ModCtrl, remotecontrol.ModAlt, remotecontrol.ModShift))
	if !errors.Is(err, remotecontrol.ErrBlockedKey) {
		t.Fatalf("Ctrl+Alt+Shift+Escape: %v", err)
	}
	select {
	case <-d.StopKey():
		t.Fatal("the controller stopped control as the sharer")
	default:
	}
}
