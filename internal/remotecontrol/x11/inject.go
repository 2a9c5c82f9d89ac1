package x11

import (
	"fmt"
	"math"
	"slices"

	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"

	"github.com/conclave-meet/conclave/internal/remotecontrol"
)

// X pointer buttons: DOM's 0, 1, 2 are X's 1 (left), 2 (middle), 3
// (right); the wheel is buttons 4 (up), 5 (down), 6 (left), 7 (right).
var xButtons = map[int]byte{
	remotecontrol.ButtonLeft: 1, remotecontrol.ButtonMiddle: 2, remotecontrol.ButtonRight: 3,
}

const (
	wheelUp, wheelDown, wheelLeft, wheelRight byte = 4, 5, 6, 7
)

// Inject puts e on the desktop. It checks e again first (the agent has,
// but what reaches the desktop is decided here as well), including the
// key combinations that the modifiers already held down would make.
func (d *Desktop) Inject(e remotecontrol.Event) error {
	if err := remotecontrol.Check(e, false); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped.Load() {
		return ErrStopped
	}
	switch e.Kind {
	case remotecontrol.KeyDown:
		return d.keyDown(e)
	case remotecontrol.KeyUp:
		return d.keyUp(e)
	}
	if err := d.moveTo(e.X, e.Y); err != nil {
		return err
	}
	switch e.Kind {
	case remotecontrol.Down:
		return d.button(xButtons[e.Button], true)
	case remotecontrol.Up:
		return d.button(xButtons[e.Button], false)
	case remotecontrol.Wheel:
		return d.scroll(e.DX, e.DY)
	}
	return nil
}

// fake sends one XTEST event and waits for the X server to take it, so
// that an error belongs to this event and the events stay in order.
func (d *Desktop) fake(kind, detail byte, x, y int) error {
	err := xtest.FakeInputChecked(d.conn, kind, detail, 0, d.root, int16(x), int16(y), 0).Check()
	if err != nil {
		return fmt.Errorf("x11: inject: %w", err)
	}
	return nil
}

func (d *Desktop) moveTo(fx, fy float64) error {
	x, y := d.bounds.Point(fx, fy)
	return d.fake(xproto.MotionNotify, 0, x, y)
}

func (d *Desktop) button(b byte, down bool) error {
	if !down {
		if !d.buttons[b] {
			return nil // not ours to release: the sharer may hold it
		}
		delete(d.buttons, b)
		return d.fake(xproto.ButtonRelease, b, 0, 0)
	}
	if err := d.fake(xproto.ButtonPress, b, 0, 0); err != nil {
		return err
	}
	d.buttons[b] = true
	return nil
}

// scroll turns lines into wheel clicks, keeping fractions of a line (a
// touchpad's small steps) until they add up to one.
func (d *Desktop) scroll(dx, dy float64) error {
	for i, step := range []struct {
		delta    float64
		neg, pos byte
	}{{dx, wheelLeft, wheelRight}, {dy, wheelUp, wheelDown}} {
		d.wheel[i] += step.delta
		lines := math.Trunc(d.wheel[i])
		d.wheel[i] -= lines
		b := step.pos
		if lines < 0 {
			b = step.neg
		}
		for range int(math.Abs(lines)) {
			if err := d.click(b); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *Desktop) click(b byte) error {
	if err := d.fake(xproto.ButtonPress, b, 0, 0); err != nil {
		return err
	}
	return d.fake(xproto.ButtonRelease, b, 0, 0)
}

// keyDown presses e.Key with e.Mods: a modifier not already down is
// pressed around the key and let go after it, so that Ctrl+C arrives as
// Ctrl+C and leaves nothing held.
func (d *Desktop) keyDown(e remotecontrol.Event) error {
	kc, err := d.keys.keycode(e.Key)
	if err != nil {
		return err
	}
	down, err := d.modsDown()
	if err != nil {
		return err
	}
	// With the modifiers held on the desktop (the controller's earlier
	// presses, or the sharer's own), the key may make a refused combination.
	all := union(e.Mods, down)
	if err := remotecontrol.CheckKey(e.Key, all); err != nil {
		return err
	}
	// The stop key's grab takes Escape with Ctrl and Alt and any other
	// modifier: the controller must not press it, or control would end
	// as if the sharer had stopped it.
	if e.Key == remotecontrol.StopKey && slices.Contains(all, remotecontrol.ModCtrl) && slices.Contains(all, remotecontrol.ModAlt) {
		return fmt.Errorf("%w: the stop key", remotecontrol.ErrBlockedKey)
	}
	var pressed []xproto.Keycode
	defer func() { d.releaseKeys(pressed) }()
	for _, m := range e.Mods {
		if slices.Contains(down, m) {
			continue
		}
		mc, ok := d.keys.code(modKeysyms[m])
		if !ok {
			return fmt.Errorf("%w: no %s key on the sharer's keyboard map", remotecontrol.ErrKey, m)
		}
		if err := d.fake(xproto.KeyPress, byte(mc), 0, 0); err != nil {
			return err
		}
		pressed = append(pressed, mc)
	}
	if err := d.fake(xproto.KeyPress, byte(kc), 0, 0); err != nil {
		return err
	}
	d.held[kc] = true
	if m, ok := modifierCodes[e.Key]; ok {
		d.heldMods[kc] = m
	}
	return nil
}

// modifierCodes are the modifier keys by KeyboardEvent.code.
var modifierCodes = map[string]string{
	"ControlLeft": remotecontrol.ModCtrl, "ControlRight": remotecontrol.ModCtrl,
	"AltLeft": remotecontrol.ModAlt, "AltRight": remotecontrol.ModAlt,
	"ShiftLeft": remotecontrol.ModShift, "ShiftRight": remotecontrol.ModShift,
	"MetaLeft": remotecontrol.ModMeta, "MetaRight": remotecontrol.ModMeta,
}

// releaseKeys lets go of modifiers pressed around one key, last first.
func (d *Desktop) releaseKeys(kcs []xproto.Keycode) {
	for _, kc := range slices.Backward(kcs) {
		if err := d.fake(xproto.KeyRelease, byte(kc), 0, 0); err != nil {
			d.log.Warn("could not let go of a modifier", "err", err)
		}
	}
}

func (d *Desktop) keyUp(e remotecontrol.Event) error {
	kc, err := d.keys.keycode(e.Key)
	if err != nil {
		return err
	}
	if !d.held[kc] {
		return nil // not ours to release: the sharer may hold it
	}
	delete(d.held, kc)
	delete(d.heldMods, kc)
	return d.fake(xproto.KeyRelease, byte(kc), 0, 0)
}

// modsDown are the modifiers down on the desktop now, whoever holds them.
func (d *Desktop) modsDown() ([]string, error) {
	p, err := xproto.QueryPointer(d.conn, d.root).Reply()
	if err != nil {
		return nil, fmt.Errorf("x11: read the modifier state: %w", err)
	}
	mods := d.masks.names(p.Mask)
	// The X server may not have applied the last presses to its state yet.
	for _, m := range d.heldMods {
		if !slices.Contains(mods, m) {
			mods = append(mods, m)
		}
	}
	return mods, nil
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// Release lets go of every key and button the controller holds. It does
// not wait for the X server, so that it can run whatever state the
// connection is in; the X server takes requests in order.
func (d *Desktop) Release() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for kc := range d.held {
		xtest.FakeInput(d.conn, xproto.KeyRelease, byte(kc), 0, d.root, 0, 0, 0)
	}
	for b := range d.buttons {
		xtest.FakeInput(d.conn, xproto.ButtonRelease, b, 0, d.root, 0, 0, 0)
	}
	clear(d.held)
	clear(d.heldMods)
	clear(d.buttons)
	d.wheel = [2]float64{}
}
