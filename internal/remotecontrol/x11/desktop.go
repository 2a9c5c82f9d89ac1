// Package x11 puts remote control's events on a Linux X11 desktop with
// the XTEST extension, as `conclave agent` does for the sharer: it maps
// events onto the shared screen's bounds, shows a banner naming the
// controller, and watches the sharer's keyboard for the stop combination
// (Ctrl+Alt+Escape) through a key grab, which works whatever the browser
// is doing. It implements agent.Injector.
package x11

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"
)

// Options say which display and which part of it the agent drives.
type Options struct {
	// Display is an X display name (":0"); empty for $DISPLAY.
	Display string
	// Bounds is the shared screen's rectangle; zero for the whole screen.
	Bounds Rect
	Logger *slog.Logger
}

// ErrStopped is returned by Inject once the sharer pressed the stop key.
var ErrStopped = errors.New("x11: control was stopped with the stop key")

// Desktop is a connection to the sharer's X server. Its methods are safe
// for concurrent use.
type Desktop struct {
	conn   *xgb.Conn
	root   xproto.Window
	screen *xproto.ScreenInfo
	bounds Rect
	keys   keymap
	masks  modMasks
	escape xproto.Keycode
	log    *slog.Logger

	mu       sync.Mutex // the input held down
	held     map[xproto.Keycode]bool
	heldMods map[xproto.Keycode]string // the modifiers among held
	buttons  map[byte]bool
	wheel    [2]float64 // scroll not yet turned into whole lines: X, Y

	bannerMu sync.Mutex
	banner   *banner

	stopped  atomic.Bool
	closing  atomic.Bool
	stop     chan struct{}
	stopOnce sync.Once
	loopDone chan struct{}
}

// Open connects to the X server, checks XTEST, reads the keyboard map and
// grabs the stop combination. Close undoes it all.
func Open(opts Options) (*Desktop, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	conn, err := xgb.NewConnDisplay(opts.Display)
	if err != nil {
		return nil, fmt.Errorf("x11: connect to the X display %q: %w", opts.Display, err)
	}
	d, err := setup(conn, opts)
	if err != nil {
		conn.Close()
		return nil, err
	}
	go d.events()
	return d, nil
}

func setup(conn *xgb.Conn, opts Options) (*Desktop, error) {
	if err := xtest.Init(conn); err != nil {
		return nil, fmt.Errorf("x11: the X server has no XTEST extension: %w", err)
	}
	screen := xproto.Setup(conn).DefaultScreen(conn)
	full := Rect{W: int(screen.WidthInPixels), H: int(screen.HeightInPixels)}
	bounds := opts.Bounds
	if bounds == (Rect{}) {
		bounds = full
	}
	if !bounds.inside(full) {
		return nil, fmt.Errorf("x11: bounds %v are not inside the screen %v", bounds, full)
	}
	d := &Desktop{conn: conn, root: screen.Root, screen: screen, bounds: bounds, log: opts.Logger,
		held: map[xproto.Keycode]bool{}, heldMods: map[xproto.Keycode]string{}, buttons: map[byte]bool{},
		stop: make(chan struct{}), loopDone: make(chan struct{})}
	if err := d.readKeyboard(); err != nil {
		return nil, err
	}
	if err := d.grabStopKey(); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Desktop) readKeyboard() error {
	setup := xproto.Setup(d.conn)
	count := byte(setup.MaxKeycode - setup.MinKeycode + 1)
	km, err := xproto.GetKeyboardMapping(d.conn, setup.MinKeycode, count).Reply()
	if err != nil {
		return fmt.Errorf("x11: read the keyboard map: %w", err)
	}
	d.keys = keymap{min: setup.MinKeycode, perCode: int(km.KeysymsPerKeycode), syms: km.Keysyms}
	mm, err := xproto.GetModifierMapping(d.conn).Reply()
	if err != nil {
		return fmt.Errorf("x11: read the modifier map: %w", err)
	}
	d.masks = readModMasks(d.keys, mm)
	esc, ok := d.keys.code(xkEscape)
	if !ok {
		return errors.New("x11: the keyboard map has no Escape key for the stop combination")
	}
	d.escape = esc
	return nil
}

// stopMasks are Ctrl+Alt with every other modifier up or down: a grab
// matches its modifiers exactly, and the stop key must work whatever the
// controller holds down (Shift, say) and whatever Caps Lock and Num Lock
// are.
func (d *Desktop) stopMasks() []uint16 {
	base := uint16(xproto.ModMaskControl) | d.masks.alt
	var others []uint16
	for _, m := range []uint16{xproto.ModMaskShift, xproto.ModMaskLock, xproto.ModMask1, xproto.ModMask2,
		xproto.ModMask3, xproto.ModMask4, xproto.ModMask5} {
		if m&base == 0 {
			others = append(others, m)
		}
	}
	masks := []uint16{base}
	for _, o := range others {
		for _, m := range masks {
			masks = append(masks, m|o)
		}
	}
	return masks
}

// grabStopKey takes Ctrl+Alt+Escape on the root window: the X server then
// gives it to the agent whichever window has the focus, and to no one
// else. Without it there is no stop key, so the agent does not run.
func (d *Desktop) grabStopKey() error {
	for _, m := range d.stopMasks() {
		err := xproto.GrabKeyChecked(d.conn, false, d.root, m, d.escape, xproto.GrabModeAsync, xproto.GrabModeAsync).Check()
		if err != nil {
			xproto.UngrabKey(d.conn, d.escape, d.root, xproto.ModMaskAny)
			return fmt.Errorf("x11: cannot take Ctrl+Alt+Esc as the stop key (another program holds it?): %w", err)
		}
	}
	return nil
}

// StopKey is closed when the sharer presses Ctrl+Alt+Escape.
func (d *Desktop) StopKey() <-chan struct{} { return d.stop }

// Bounds is the rectangle events are mapped onto.
func (d *Desktop) Bounds() Rect { return d.bounds }

// events handles what the X server sends: the stop key, and exposures
// and covering of the banner.
func (d *Desktop) events() {
	defer close(d.loopDone)
	for {
		ev, xerr := d.conn.WaitForEvent()
		switch {
		case ev == nil && xerr == nil:
			if !d.closing.Load() {
				// The X server went away: control ends as with the stop key.
				d.log.Warn("lost the connection to the X display")
				d.pressStop()
			}
			return
		case xerr != nil:
			d.log.Warn("X error", "err", xerr)
			continue
		}
		switch ev := ev.(type) {
		case xproto.KeyPressEvent:
			if ev.Detail == d.escape {
				d.log.Info("the sharer pressed the stop key")
				d.pressStop()
			}
		case xproto.ExposeEvent:
			d.withBanner(func(b *banner) { b.redraw(ev.Window) })
		case xproto.VisibilityNotifyEvent:
			if ev.State != xproto.VisibilityUnobscured {
				d.withBanner(func(b *banner) { b.raise(ev.Window) })
			}
		}
	}
}

// pressStop ends control at once: nothing more is injected and what the
// controller held is let go, before the agent even hears of it.
func (d *Desktop) pressStop() {
	d.stopOnce.Do(func() {
		d.stopped.Store(true)
		close(d.stop)
		// Not on this goroutine: Release waits for the input lock, which an
		// Inject waiting on the X server may hold.
		go d.Release()
	})
}

// Close lets go of everything, removes the banner and the grab, and
// disconnects.
func (d *Desktop) Close() error {
	d.closing.Store(true)
	d.Release()
	d.ClearBanner()
	xproto.UngrabKey(d.conn, d.escape, d.root, xproto.ModMaskAny)
	d.conn.Sync()
	d.conn.Close()
	<-d.loopDone
	return nil
}
