// Package remotecontrol is the contract of remote control (docs/security.md,
// "Remote control"): the input events a controller's browser sends, the
// checks every hop applies to them, and the messages between the server
// and the sharer's companion program (`conclave agent`).
//
// The server (internal/signal, the grant's relay) and the agent
// (cmd/conclave agent, remotecontrol/x11) both check events here, so that
// one definition says what may reach a desktop. The server checks what it
// can read; in end-to-end encrypted meetings it sees only sealed events
// (Sealed) and the agent checks them after opening.
package remotecontrol

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Kinds of input event.
const (
	Move    = "move"    // pointer moved to X, Y
	Down    = "down"    // pointer Button pressed at X, Y
	Up      = "up"      // pointer Button released at X, Y
	Wheel   = "wheel"   // scrolled by DX, DY at X, Y
	KeyDown = "keydown" // Key pressed (with Mods held)
	KeyUp   = "keyup"   // Key released
)

// Pointer buttons, as DOM MouseEvent.button numbers them.
const (
	ButtonLeft   = 0
	ButtonMiddle = 1
	ButtonRight  = 2
)

// MaxEventBytes bounds one event on the wire, sealed or not: a pointer
// event is about 60 bytes, and nothing needs more than this.
const MaxEventBytes = 512

// Event is one pointer or keyboard event from the controller.
//
// Coordinates are fractions of the shared screen, X and Y in [0, 1] from
// its top-left corner: the controller's page knows only the video, not
// the sharer's pixels, and the agent maps fractions onto the shared
// screen's bounds, so no event can land outside them.
type Event struct {
	// Seq numbers the grant's events from 1, strictly increasing: a
	// replayed or reordered event is refused.
	Seq  uint64  `json:"seq"`
	Kind string  `json:"kind"`
	X    float64 `json:"x,omitempty"`
	Y    float64 `json:"y,omitempty"`
	// Button for Down and Up.
	Button int `json:"button,omitempty"`
	// DX, DY for Wheel: lines, positive is right and down, at most
	// MaxWheel in one event.
	DX float64 `json:"dx,omitempty"`
	DY float64 `json:"dy,omitempty"`
	// Key for KeyDown and KeyUp: a DOM KeyboardEvent.code ("KeyA",
	// "Enter", "ArrowLeft"), the physical key, independent of layouts.
	Key string `json:"key,omitempty"`
	// Mods are the modifiers held (Ctrl, Alt, Shift, Meta) for keys.
	Mods []string `json:"mods,omitempty"`
}

// MaxWheel bounds one wheel event, in lines.
const MaxWheel = 20

// Modifier names in Event.Mods.
const (
	ModCtrl  = "Ctrl"
	ModAlt   = "Alt"
	ModShift = "Shift"
	ModMeta  = "Meta"
)

// Errors of Check; each says what is wrong, for the refusal and the log.
var (
	ErrKind        = errors.New("remotecontrol: unknown event kind")
	ErrOutOfBounds = errors.New("remotecontrol: coordinates outside the shared screen")
	ErrButton      = errors.New("remotecontrol: unknown pointer button")
	ErrKey         = errors.New("remotecontrol: unknown key")
	ErrBlockedKey  = errors.New("remotecontrol: key combination refused")
	ErrPointerOnly = errors.New("remotecontrol: the grant allows the pointer only")
	ErrWheel       = errors.New("remotecontrol: scroll out of range")
	ErrSeq         = errors.New("remotecontrol: event out of sequence")
)

// Check reports whether e may be injected under a grant; pointerOnly
// grants refuse keys and clicks (the pointer only shows where to look).
// It does not check Seq (see Sequencer).
func Check(e Event, pointerOnly bool) error {
	switch e.Kind {
	case Move, Down, Up, Wheel:
		if err := checkPoint(e.X, e.Y); err != nil {
			return err
		}
	case KeyDown, KeyUp:
		if pointerOnly {
			return ErrPointerOnly
		}
		return CheckKey(e.Key, e.Mods)
	default:
		return fmt.Errorf("%w: %q", ErrKind, e.Kind)
	}
	switch e.Kind {
	case Down, Up:
		if pointerOnly {
			return ErrPointerOnly
		}
		if e.Button < ButtonLeft || e.Button > ButtonRight {
			return fmt.Errorf("%w: %d", ErrButton, e.Button)
		}
	case Wheel:
		if pointerOnly {
			return ErrPointerOnly
		}
		if !finite(e.DX) || !finite(e.DY) || math.Abs(e.DX) > MaxWheel || math.Abs(e.DY) > MaxWheel {
			return ErrWheel
		}
	}
	return nil
}

func checkPoint(x, y float64) error {
	if !finite(x) || !finite(y) || x < 0 || x > 1 || y < 0 || y > 1 {
		return fmt.Errorf("%w: (%v, %v)", ErrOutOfBounds, x, y)
	}
	return nil
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// CheckKey refuses keys outside Keys, unknown modifiers, and the
// combinations that would lock, switch or leave the sharer's session
// (BlockedCombos). The agent refuses them again before injecting.
func CheckKey(key string, mods []string) error {
	if !slices.Contains(Keys, key) {
		return fmt.Errorf("%w: %q", ErrKey, key)
	}
	for _, m := range mods {
		switch m {
		case ModCtrl, ModAlt, ModShift, ModMeta:
		default:
			return fmt.Errorf("%w: modifier %q", ErrKey, m)
		}
	}
	if blocked(key, mods) {
		return fmt.Errorf("%w: %s", ErrBlockedKey, Combo(key, mods))
	}
	return nil
}

// Combo spells a key with its modifiers in a fixed order ("Ctrl+Alt+Delete").
func Combo(key string, mods []string) string {
	var parts []string
	for _, m := range []string{ModCtrl, ModAlt, ModShift, ModMeta} {
		if slices.Contains(mods, m) {
			parts = append(parts, m)
		}
	}
	return strings.Join(append(parts, key), "+")
}

// blocked: Ctrl+Alt+Delete and Ctrl+Alt+Backspace (end the X server),
// Ctrl+Alt+F1…F12 and Alt+SysRq (switch virtual terminals, kernel keys),
// Meta+L and Ctrl+Alt+L (lock the screen), and the agent's own stop combo,
// which only the sharer's keyboard may press.
func blocked(key string, mods []string) bool {
	ctrl, alt, meta := slices.Contains(mods, ModCtrl), slices.Contains(mods, ModAlt), slices.Contains(mods, ModMeta)
	switch {
	case key == "PrintScreen" && alt: // SysRq
		return true
	case ctrl && alt && (key == "Delete" || key == "Backspace" || key == "KeyL" || isFunctionKey(key)):
		return true
	case meta && key == "KeyL":
		return true
	case key == StopKey && slices.Equal(sortedMods(mods), sortedMods(StopMods)):
		return true
	}
	return false
}

// StopKey with StopMods is the fixed combination that ends control at once
// when the sharer presses it: the agent grabs it on the sharer's desktop,
// so it works even if the browser is frozen. Controllers may not send it.
const StopKey = "Escape"

// StopMods are the modifiers of the stop combination: Ctrl+Alt+Escape.
var StopMods = []string{ModCtrl, ModAlt}

func sortedMods(m []string) []string {
	s := slices.Clone(m)
	slices.Sort(s)
	return s
}

func isFunctionKey(key string) bool {
	if !strings.HasPrefix(key, "F") {
		return false
	}
	var n int
	_, err := fmt.Sscanf(key, "F%d", &n)
	return err == nil && n >= 1 && n <= 24
}

// Keys are the KeyboardEvent.code values the agent can inject: letters,
// digits, punctuation of a US layout, editing and navigation keys,
// function keys and modifiers. Media, power and system keys are not here.
var Keys = func() []string {
	var k []string
	for c := 'A'; c <= 'Z'; c++ {
		k = append(k, "Key"+string(c))
	}
	for c := '0'; c <= '9'; c++ {
		k = append(k, "Digit"+string(c))
	}
	for i := 1; i <= 12; i++ {
		k = append(k, fmt.Sprintf("F%d", i))
	}
	return append(k,
		"Enter", "Escape", "Backspace", "Tab", "Space", "Delete", "Insert",
		"Home", "End", "PageUp", "PageDown", "ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown",
		"Minus", "Equal", "BracketLeft", "BracketRight", "Backslash", "Semicolon", "Quote",
		"Backquote", "Comma", "Period", "Slash", "CapsLock", "PrintScreen",
		"ShiftLeft", "ShiftRight", "ControlLeft", "ControlRight", "AltLeft", "AltRight",
		"MetaLeft", "MetaRight")
}()

// Decode parses one plain event, refusing anything larger than
// MaxEventBytes or with unknown fields.
func Decode(b []byte) (Event, error) {
	var e Event
	if len(b) > MaxEventBytes {
		return e, fmt.Errorf("remotecontrol: event of %d bytes, at most %d", len(b), MaxEventBytes)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return e, fmt.Errorf("remotecontrol: bad event: %w", err)
	}
	if dec.More() {
		return e, errors.New("remotecontrol: bad event: trailing data")
	}
	return e, nil
}

// Sequencer refuses events whose Seq does not follow the last one taken.
// Gaps are allowed (the relay may drop events in a flood); going back is
// not. Not safe for concurrent use: one per grant, on one goroutine.
type Sequencer struct{ last uint64 }

// Take accepts seq if it is past the last accepted one.
func (s *Sequencer) Take(seq uint64) error {
	if seq <= s.last {
		return fmt.Errorf("%w: %d after %d", ErrSeq, seq, s.last)
	}
	s.last = seq
	return nil
}
