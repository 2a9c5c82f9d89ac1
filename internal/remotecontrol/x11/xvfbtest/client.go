package xvfbtest

import (
	"slices"
	"sync"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"
)

// Client is a test's own X client: a window covering the screen that
// records the key and button events it receives, and the means to read
// the pointer, the keyboard and the window tree, and to press keys as the
// sharer would.
type Client struct {
	t    testing.TB
	conn *xgb.Conn
	root xproto.Window
	win  xproto.Window
	// syms is the keyboard map: keysyms per keycode from min.
	min     xproto.Keycode
	perCode int
	syms    []xproto.Keysym

	mu     sync.Mutex
	events []Input
}

// Input is one key or button event the window received.
type Input struct {
	Press  bool
	Key    xproto.Keysym // the key's unshifted keysym; 0 for a button
	Button byte
	Mods   uint16 // the modifier state before the event
}

// Connect opens the window on display and gives it the keyboard focus.
func Connect(t testing.TB, display string) *Client {
	t.Helper()
	conn, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatalf("connect to %s: %v", display, err)
	}
	t.Cleanup(conn.Close)
	if err := xtest.Init(conn); err != nil {
		t.Fatalf("XTEST: %v", err)
	}
	screen := xproto.Setup(conn).DefaultScreen(conn)
	c := &Client{t: t, conn: conn, root: screen.Root}
	c.readKeymap()
	c.openWindow(screen)
	go c.record()
	return c
}

func (c *Client) readKeymap() {
	setup := xproto.Setup(c.conn)
	km, err := xproto.GetKeyboardMapping(c.conn, setup.MinKeycode, byte(setup.MaxKeycode-setup.MinKeycode+1)).Reply()
	if err != nil {
		c.t.Fatalf("keyboard map: %v", err)
	}
	c.min, c.perCode, c.syms = setup.MinKeycode, int(km.KeysymsPerKeycode), km.Keysyms
}

func (c *Client) openWindow(screen *xproto.ScreenInfo) {
	id, err := c.conn.NewId()
	if err != nil {
		c.t.Fatal(err)
	}
	c.win = xproto.Window(id)
	mask := uint32(xproto.EventMaskKeyPress | xproto.EventMaskKeyRelease |
		xproto.EventMaskButtonPress | xproto.EventMaskButtonRelease)
	err = xproto.CreateWindowChecked(c.conn, 0, c.win, c.root, 0, 0, Width, Height, 0,
		xproto.WindowClassInputOutput, 0, xproto.CwBackPixel|xproto.CwEventMask,
		[]uint32{screen.WhitePixel, mask}).Check()
	if err != nil {
		c.t.Fatalf("create the test window: %v", err)
	}
	if err := xproto.MapWindowChecked(c.conn, c.win).Check(); err != nil {
		c.t.Fatal(err)
	}
	err = xproto.SetInputFocusChecked(c.conn, xproto.InputFocusPointerRoot, c.win, xproto.TimeCurrentTime).Check()
	if err != nil {
		c.t.Fatalf("focus the test window: %v", err)
	}
}

func (c *Client) record() {
	for {
		ev, xerr := c.conn.WaitForEvent()
		if ev == nil && xerr == nil {
			return
		}
		var in Input
		switch ev := ev.(type) {
		case xproto.KeyPressEvent:
			in = Input{Press: true, Key: c.Keysym(ev.Detail), Mods: ev.State}
		case xproto.KeyReleaseEvent:
			in = Input{Key: c.Keysym(ev.Detail), Mods: ev.State}
		case xproto.ButtonPressEvent:
			in = Input{Press: true, Button: byte(ev.Detail), Mods: ev.State}
		case xproto.ButtonReleaseEvent:
			in = Input{Button: byte(ev.Detail), Mods: ev.State}
		default:
			continue
		}
		c.mu.Lock()
		c.events = append(c.events, in)
		c.mu.Unlock()
	}
}

// Inputs are the events the window received so far.
func (c *Client) Inputs() []Input {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.events)
}

// Pressed are the keysyms of the keys pressed in the window, in order.
func (c *Client) Pressed() []xproto.Keysym {
	var out []xproto.Keysym
	for _, in := range c.Inputs() {
		if in.Press && in.Key != 0 {
			out = append(out, in.Key)
		}
	}
	return out
}

// Keysym is the unshifted keysym of kc.
func (c *Client) Keysym(kc xproto.Keycode) xproto.Keysym {
	i := int(kc-c.min) * c.perCode
	if i < 0 || i >= len(c.syms) {
		return 0
	}
	return c.syms[i]
}

// Keycode is the key whose unshifted keysym is sym.
func (c *Client) Keycode(sym xproto.Keysym) xproto.Keycode {
	for i := 0; i < len(c.syms); i += c.perCode {
		if c.syms[i] == sym {
			return c.min + xproto.Keycode(i/c.perCode)
		}
	}
	c.t.Fatalf("no key for keysym %#x", sym)
	return 0
}

// Pointer is where the pointer is, in root coordinates, and the
// modifier and button state.
func (c *Client) Pointer() (x, y int, mask uint16) {
	p, err := xproto.QueryPointer(c.conn, c.root).Reply()
	if err != nil {
		c.t.Errorf("query the pointer: %v", err)
		return -1, -1, 0
	}
	return int(p.RootX), int(p.RootY), p.Mask
}

// Down reports whether the key with keysym sym is down on the server.
func (c *Client) Down(sym xproto.Keysym) bool {
	km, err := xproto.QueryKeymap(c.conn).Reply()
	if err != nil {
		c.t.Errorf("query the keymap: %v", err)
		return false
	}
	kc := c.Keycode(sym)
	return km.Keys[kc/8]&(1<<(kc%8)) != 0
}

// Press presses the keys with keysyms syms in order and lets them go in
// reverse, through XTEST, as the sharer's own keyboard would.
func (c *Client) Press(syms ...xproto.Keysym) {
	c.t.Helper()
	for _, s := range syms {
		c.fake(xproto.KeyPress, c.Keycode(s))
	}
	for _, s := range slices.Backward(syms) {
		c.fake(xproto.KeyRelease, c.Keycode(s))
	}
}

func (c *Client) fake(kind byte, kc xproto.Keycode) {
	c.t.Helper()
	if err := xtest.FakeInputChecked(c.conn, kind, byte(kc), 0, c.root, 0, 0, 0).Check(); err != nil {
		c.t.Fatalf("XTEST: %v", err)
	}
}

// MovePointer puts the pointer at x, y.
func (c *Client) MovePointer(x, y int) {
	c.t.Helper()
	if err := xtest.FakeInputChecked(c.conn, xproto.MotionNotify, 0, 0, c.root, int16(x), int16(y), 0).Check(); err != nil {
		c.t.Fatalf("XTEST: %v", err)
	}
}

// Windows are the mapped top-level windows named name (WM_NAME).
func (c *Client) Windows(name string) []xproto.Window {
	tree, err := xproto.QueryTree(c.conn, c.root).Reply()
	if err != nil {
		c.t.Errorf("query the window tree: %v", err)
		return nil
	}
	var out []xproto.Window
	for _, w := range tree.Children {
		p, err := xproto.GetProperty(c.conn, false, w, xproto.AtomWmName, xproto.AtomString, 0, 256).Reply()
		if err != nil || string(p.Value) != name {
			continue
		}
		a, err := xproto.GetWindowAttributes(c.conn, w).Reply()
		if err == nil && a.MapState == xproto.MapStateViewable && a.OverrideRedirect {
			out = append(out, w)
		}
	}
	return out
}

// Geometry is w's position and size.
func (c *Client) Geometry(w xproto.Window) (x, y, width, height int) {
	g, err := xproto.GetGeometry(c.conn, xproto.Drawable(w)).Reply()
	if err != nil {
		c.t.Errorf("geometry: %v", err)
		return
	}
	return int(g.X), int(g.Y), int(g.Width), int(g.Height)
}

// KeyDown presses the key with keysym sym and holds it, as the sharer
// holding it down on their keyboard.
func (c *Client) KeyDown(sym xproto.Keysym) {
	c.t.Helper()
	c.fake(xproto.KeyPress, c.Keycode(sym))
}

// KeyUp lets go of the key with keysym sym.
func (c *Client) KeyUp(sym xproto.Keysym) {
	c.t.Helper()
	c.fake(xproto.KeyRelease, c.Keycode(sym))
}
