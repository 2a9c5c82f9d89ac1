package x11

import (
	"fmt"

	"github.com/jezek/xgb/xproto"

	"github.com/conclave-meet/conclave/internal/remotecontrol"
)

// keysyms maps KeyboardEvent.code (remotecontrol.Keys) to X keysyms, in
// order of preference: the code is a key's place on a US keyboard, and
// the sharer's keyboard map turns the keysym into one of its keys.
var keysyms = func() map[string][]xproto.Keysym {
	m := map[string][]xproto.Keysym{
		"Enter": {0xff0d}, "Escape": {0xff1b}, "Backspace": {0xff08}, "Tab": {0xff09},
		"Space": {0x20}, "Delete": {0xffff}, "Insert": {0xff63},
		"Home": {0xff50}, "End": {0xff57}, "PageUp": {0xff55}, "PageDown": {0xff56},
		"ArrowLeft": {0xff51}, "ArrowUp": {0xff52}, "ArrowRight": {0xff53}, "ArrowDown": {0xff54},
		"Minus": {'-'}, "Equal": {'='}, "BracketLeft": {'['}, "BracketRight": {']'},
		"Backslash": {'\\'}, "Semicolon": {';'}, "Quote": {'\''}, "Backquote": {'`'},
		"Comma": {','}, "Period": {'.'}, "Slash": {'/'},
		"CapsLock": {0xffe5}, "PrintScreen": {0xff61},
		"ShiftLeft": {xkShiftL}, "ShiftRight": {0xffe2, xkShiftL},
		"ControlLeft": {xkControlL}, "ControlRight": {0xffe4, xkControlL},
		"AltLeft": {xkAltL}, "AltRight": {0xffea, xkAltL},
		"MetaLeft": {xkSuperL}, "MetaRight": {0xffec, xkSuperL},
	}
	for c := 'A'; c <= 'Z'; c++ {
		m["Key"+string(c)] = []xproto.Keysym{xproto.Keysym(c - 'A' + 'a')}
	}
	for c := '0'; c <= '9'; c++ {
		m["Digit"+string(c)] = []xproto.Keysym{xproto.Keysym(c)}
	}
	for i := 1; i <= 12; i++ {
		m[fmt.Sprintf("F%d", i)] = []xproto.Keysym{xproto.Keysym(0xffbe + i - 1)}
	}
	return m
}()

// Keysyms of the modifiers the agent presses around a key, and of the
// locks whose state the stop key's grab must ignore.
const (
	xkShiftL   xproto.Keysym = 0xffe1
	xkControlL xproto.Keysym = 0xffe3
	xkAltL     xproto.Keysym = 0xffe9
	xkMetaL    xproto.Keysym = 0xffe7
	xkSuperL   xproto.Keysym = 0xffeb
	xkNumLock  xproto.Keysym = 0xff7f
	xkEscape   xproto.Keysym = 0xff1b
)

// modKeysyms are the keys pressed for Event.Mods.
var modKeysyms = map[string]xproto.Keysym{
	remotecontrol.ModShift: xkShiftL, remotecontrol.ModCtrl: xkControlL,
	remotecontrol.ModAlt: xkAltL, remotecontrol.ModMeta: xkSuperL,
}

// keymap is the X server's keyboard map: keysyms per keycode.
type keymap struct {
	min     xproto.Keycode
	perCode int
	syms    []xproto.Keysym
}

// code finds the keycode for sym, preferring a key where sym needs no
// Shift (the first column).
func (k keymap) code(sym xproto.Keysym) (xproto.Keycode, bool) {
	for col := range k.perCode {
		for i := col; i < len(k.syms); i += k.perCode {
			if k.syms[i] == sym {
				return k.min + xproto.Keycode(i/k.perCode), true
			}
		}
	}
	return 0, false
}

// keycode is the key to press for a KeyboardEvent.code.
func (k keymap) keycode(code string) (xproto.Keycode, error) {
	for _, sym := range keysyms[code] {
		if kc, ok := k.code(sym); ok {
			return kc, nil
		}
	}
	return 0, fmt.Errorf("%w: not on the sharer's keyboard map", remotecontrol.ErrKey)
}

// modMasks are the modifier bits the X server's modifier map gives Alt,
// Super and NumLock (usually Mod1, Mod4 and Mod2).
type modMasks struct{ alt, super, numLock uint16 }

func readModMasks(k keymap, mm *xproto.GetModifierMappingReply) modMasks {
	m := modMasks{alt: xproto.ModMask1, super: xproto.ModMask4, numLock: xproto.ModMask2}
	per := int(mm.KeycodesPerModifier)
	find := func(syms ...xproto.Keysym) (uint16, bool) {
		for _, sym := range syms {
			kc, ok := k.code(sym)
			if !ok {
				continue
			}
			for i, c := range mm.Keycodes {
				if c == kc && c != 0 {
					return 1 << (i / per), true
				}
			}
		}
		return 0, false
	}
	if b, ok := find(xkAltL, xkMetaL); ok {
		m.alt = b
	}
	if b, ok := find(xkSuperL); ok {
		m.super = b
	}
	if b, ok := find(xkNumLock); ok {
		m.numLock = b
	}
	return m
}

// names turns a modifier state (QueryPointer's mask) into Event.Mods names.
func (m modMasks) names(state uint16) []string {
	var out []string
	for _, b := range []struct {
		mask uint16
		name string
	}{
		{xproto.ModMaskShift, remotecontrol.ModShift}, {xproto.ModMaskControl, remotecontrol.ModCtrl},
		{m.alt, remotecontrol.ModAlt}, {m.super, remotecontrol.ModMeta},
	} {
		if state&b.mask != 0 {
			out = append(out, b.name)
		}
	}
	return out
}
