package agent

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/conclave-meet/conclave/internal/remotecontrol"
)

// Reasons the agent refuses an event besides remotecontrol.Check's.
var (
	ErrPlain    = errors.New("agent: plain event in an end-to-end encrypted grant")
	ErrSealed   = errors.New("agent: sealed event, but the pairing code has no key")
	ErrUnsealed = errors.New("agent: sealed event does not open with the pairing key")
	ErrNoFrame  = errors.New("agent: event message without a frame")
	ErrType     = errors.New("agent: unknown message type")
	ErrInject   = errors.New("agent: the desktop did not take the event")
)

// maxLoggedRefusals bounds the log of one grant's refusals: a controller
// sending garbage must not fill the sharer's disk; the count is logged
// at the end.
const maxLoggedRefusals = 20

// grant is the state of one grant: its key, its sequence and the
// modifier keys the controller holds down.
type grant struct {
	cfg         *Config
	id          string
	key         []byte
	pointerOnly bool
	expires     time.Time
	seq         remotecontrol.Sequencer
	held        heldMods
	injected    int
	refused     int
}

func newGrant(cfg *Config, g remotecontrol.AgentMessage) *grant {
	c := &grant{cfg: cfg, id: g.Grant, key: cfg.Code.Key, pointerOnly: g.PointerOnly,
		expires: g.ExpiresAt, held: heldMods{}}
	// The pairing code decides, not the server: a server that claims the
	// meeting is not encrypted cannot make the agent take plain events.
	switch {
	case c.key != nil && !g.E2EE:
		cfg.Logger.Warn("the server says the grant is not end-to-end encrypted, but the pairing code carries a key: plain events will be refused")
	case c.key == nil && g.E2EE:
		cfg.Logger.Warn("the grant is end-to-end encrypted, but the pairing code has no key part: sealed events will be refused")
	}
	return c
}

// over says why control must end before anything more is injected, or "":
// it is asked before every event, so that an event that arrives together
// with the stop key, the time limit or the end of ctx is never injected.
func (c *grant) over(ctx context.Context) string {
	select {
	case <-c.cfg.Injector.StopKey():
		return remotecontrol.CauseStopKey
	default:
	}
	switch {
	case ctx.Err() != nil:
		return remotecontrol.CauseAgentClosed
	case !c.expires.IsZero() && !c.cfg.Now().Before(c.expires):
		return remotecontrol.CauseExpired
	}
	return ""
}

// handle checks one message from the server and injects its event.
func (c *grant) handle(ctx context.Context, m remotecontrol.AgentMessage) {
	if m.Type != remotecontrol.TypeEvent {
		c.refuse(remotecontrol.Event{}, fmt.Errorf("%w: %q", ErrType, m.Type))
		return
	}
	e, err := c.accept(m.Frame)
	if err != nil {
		c.refuse(e, err)
		return
	}
	if err := c.cfg.Injector.Inject(e); err != nil {
		c.refuse(e, fmt.Errorf("%w: %w", ErrInject, err))
		return
	}
	c.held.track(e)
	c.injected++
}

// accept opens f and applies every check: sequence, Check with the
// grant's scope, and the key combinations that modifier keys held down
// by earlier events would make.
func (c *grant) accept(f *remotecontrol.Frame) (remotecontrol.Event, error) {
	if f == nil {
		return remotecontrol.Event{}, ErrNoFrame
	}
	e, err := c.open(*f)
	if err != nil {
		return remotecontrol.Event{Seq: f.Seq}, err
	}
	if err := c.seq.Take(e.Seq); err != nil {
		return e, err
	}
	if err := remotecontrol.Check(e, c.pointerOnly); err != nil {
		return e, err
	}
	return e, c.held.check(e)
}

func (c *grant) open(f remotecontrol.Frame) (remotecontrol.Event, error) {
	switch {
	case c.key != nil && f.Sealed == "":
		return remotecontrol.Event{}, ErrPlain
	case c.key == nil && f.Sealed != "":
		return remotecontrol.Event{}, ErrSealed
	case c.key == nil:
		return f.Event, nil
	}
	e, err := remotecontrol.Open(c.key, c.id, f)
	if errors.Is(err, remotecontrol.ErrSeq) {
		return e, err
	}
	if err != nil {
		return e, ErrUnsealed
	}
	return e, nil
}

// refuse logs a refused event by its kind and the reason's category only:
// never the key, which would log what the controller typed.
func (c *grant) refuse(e remotecontrol.Event, err error) {
	c.refused++
	if c.refused > maxLoggedRefusals {
		return
	}
	c.cfg.Logger.Warn("event refused", "grant", c.id, "seq", e.Seq, "kind", e.Kind, "reason", reason(err))
	if c.refused == maxLoggedRefusals {
		c.cfg.Logger.Warn("further refusals of this grant are counted, not logged", "grant", c.id)
	}
}

func (c *grant) logEnd(cause string) {
	c.cfg.Logger.Info("control ended", "grant", c.id, "cause", cause,
		"injected", c.injected, "refused", c.refused)
}

// reasons are the errors a refusal is logged as; their wrapped details
// (a key's name, a combination) stay out of the log.
var reasons = []error{
	remotecontrol.ErrKind, remotecontrol.ErrOutOfBounds, remotecontrol.ErrButton,
	remotecontrol.ErrKey, remotecontrol.ErrBlockedKey, remotecontrol.ErrPointerOnly,
	remotecontrol.ErrWheel, remotecontrol.ErrSeq,
	ErrPlain, ErrSealed, ErrUnsealed, ErrNoFrame, ErrType, ErrInject,
}

func reason(err error) string {
	for _, r := range reasons {
		if errors.Is(err, r) {
			return r.Error()
		}
	}
	return "refused"
}

// heldMods are the modifier keys the controller holds down. Check sees one
// event at a time, so Ctrl, then Alt, then Delete with no Mods would pass
// it; the agent checks each key with the modifiers held as well.
type heldMods map[string]string // KeyboardEvent.code → modifier name

var modifierKeys = map[string]string{
	"ControlLeft": remotecontrol.ModCtrl, "ControlRight": remotecontrol.ModCtrl,
	"AltLeft": remotecontrol.ModAlt, "AltRight": remotecontrol.ModAlt,
	"ShiftLeft": remotecontrol.ModShift, "ShiftRight": remotecontrol.ModShift,
	"MetaLeft": remotecontrol.ModMeta, "MetaRight": remotecontrol.ModMeta,
}

// check refuses a key press that, with the modifiers held, is blocked.
func (h heldMods) check(e remotecontrol.Event) error {
	if e.Kind != remotecontrol.KeyDown {
		return nil
	}
	return remotecontrol.CheckKey(e.Key, h.with(e.Mods))
}

// with is mods and the held modifiers, each once.
func (h heldMods) with(mods []string) []string {
	all := slices.Clone(mods)
	for _, m := range h {
		if !slices.Contains(all, m) {
			all = append(all, m)
		}
	}
	return all
}

// track notes an injected modifier key's press or release.
func (h heldMods) track(e remotecontrol.Event) {
	m, ok := modifierKeys[e.Key]
	switch {
	case !ok:
	case e.Kind == remotecontrol.KeyDown:
		h[e.Key] = m
	case e.Kind == remotecontrol.KeyUp:
		delete(h, e.Key)
	}
}
