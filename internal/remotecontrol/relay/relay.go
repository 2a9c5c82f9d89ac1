// Package relay is the server's live input path of remote control
// (docs/security.md, "Remote control"): it takes the controller's events
// on /api/control/input, checks each against its grant, and forwards what
// passes to the sharer's agent on /api/control/agent.
//
// The room (package room) owns the grants and tells the Relay of each one
// (Start, Pair, End, as room.ControlRelay); the Relay tells the room when
// the agent stops control, when a controller's input ends it (flood, bad
// input) and when the agent comes and goes, through Rooms. The Relay owns
// only the live connections and their queues. Its mutex guards maps and
// small counters; no I/O and no call into the room happens under it.
package relay

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/conclave-meet/conclave/internal/remotecontrol"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// Rooms is what the relay tells the room (room.Manager implements it).
// The relay calls it from its connections' goroutines, never under its
// own lock, because the room calls the relay under the room's.
type Rooms interface {
	// EndControl ends a grant for a cause of the input path.
	EndControl(meetingID, grant, cause string) bool
	// AgentConnected says the grant's agent paired (true) or went away.
	AgentConnected(meetingID, grant string, on bool)
}

// Options configure a Relay.
type Options struct {
	Rooms Rooms
	// Now is the clock of the grants' time limits and the input rate
	// limit: the room's clock.
	Now func() time.Time
	// Origin checks a browser's Origin header (the signalling socket's
	// own check); nil refuses every request that carries one, so only
	// non-browser clients connect.
	Origin func(*http.Request) bool
	// Guesses counts wrong pairing codes and tokens per client address
	// (nil: DefaultGuesses on Now).
	Guesses *throttle.Limiter
	Logger  *slog.Logger
}

// Limits of the input path.
const (
	// QueueLen bounds the events waiting for a slow agent; when full,
	// pointer moves are dropped first (the next move makes up for them).
	QueueLen = 256
	// MaxRefused refused events end control (bad_input): a page that
	// sends that many wrong events is broken or hostile.
	MaxRefused = 20
	// HelloTimeout bounds the wait for an agent's or a page's first
	// message.
	HelloTimeout = 10 * time.Second
	// maxFrameBytes bounds one frame: a sealed event of MaxEventBytes
	// grows by a third in base64, plus the seq and the envelope.
	maxFrameBytes = 2 * remotecontrol.MaxEventBytes
	// spentKept bounds the memory of used and ended pairing codes, kept
	// only to give a clearer refusal.
	spentKept = 1024
)

// GuessPolicy locks out a client address after 10 wrong pairing codes or
// tokens in 10 minutes, for 10 minutes: a code has 128 random bits, so
// this is about log noise and load, not about the odds.
var GuessPolicy = throttle.Policy{MaxFailures: 10, Window: 10 * time.Minute, Lockout: 10 * time.Minute, MaxKeys: 10000}

// Relay holds the live grants' input paths.
type Relay struct {
	opts Options
	log  *slog.Logger

	mu     sync.Mutex
	grants map[string]*grant // by grant ID, while active
	codes  map[string]*grant // live pairing codes
	spent  map[string]string // used or ended codes → why they no longer pair
	order  []string          // spent codes, oldest first, to bound spent
}

// grant is one grant's input path. Everything but the immutable
// ControlGrant fields is guarded by Relay.mu.
type grant struct {
	room.ControlGrant
	ended string        // the cause, once ended
	done  chan struct{} // closed when the grant ends
	// agent is the paired agent's queue; nil while no agent is paired.
	agent *agentQueue
	// input is the controller's current connection; a new one replaces
	// it (a reloaded page), and the old one closes.
	input   *inputConn
	seq     remotecontrol.Sequencer
	limit   remotecontrol.Limiter
	refused int
}

// New makes a Relay.
func New(o Options) *Relay {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Origin == nil {
		o.Origin = func(r *http.Request) bool { return r.Header.Get("Origin") == "" }
	}
	if o.Guesses == nil {
		o.Guesses = throttle.New(GuessPolicy, o.Now)
	}
	return &Relay{opts: o, log: o.Logger, grants: map[string]*grant{}, codes: map[string]*grant{}, spent: map[string]string{}}
}

// Start implements room.ControlRelay: the grant's input path opens, and
// its pairing code waits for the agent.
func (r *Relay) Start(g room.ControlGrant) {
	r.mu.Lock()
	defer r.mu.Unlock()
	gr := &grant{ControlGrant: g, done: make(chan struct{})}
	r.grants[g.ID] = gr
	r.codes[g.AgentCode] = gr
}

// Pair implements room.ControlRelay: the grant's agent went away and code
// replaces its spent pairing code.
func (r *Relay) Pair(id, code string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.grants[id]
	if g == nil || g.agent != nil {
		return
	}
	r.spendLocked(g.AgentCode, refusedUsed)
	g.AgentCode = code
	r.codes[code] = g
}

// End implements room.ControlRelay: from now on no event of the grant
// passes; its connections close from their own goroutines.
func (r *Relay) End(id, cause string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := r.grants[id]
	if g == nil {
		return
	}
	delete(r.grants, id)
	r.spendLocked(g.AgentCode, refusedEnded)
	g.ended = cause
	if g.agent != nil {
		g.agent.frames = nil // nothing queued goes out after the end
	}
	close(g.done)
}

// Why a pairing code no longer pairs.
const (
	refusedUnknown = "unknown pairing code"
	refusedUsed    = "this pairing code was used already: ask the page for a new one"
	refusedEnded   = "control has ended: this pairing code is no longer valid"
)

// spendLocked retires a pairing code, remembering why for a while.
func (r *Relay) spendLocked(code, why string) {
	if r.codes[code] != nil {
		delete(r.codes, code)
	}
	if _, ok := r.spent[code]; !ok {
		r.order = append(r.order, code)
	}
	r.spent[code] = why
	for len(r.order) > spentKept {
		delete(r.spent, r.order[0])
		r.order = r.order[1:]
	}
}

// Active reports whether grant id is active here (tests, metrics).
func (r *Relay) Active(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.grants[id] != nil
}
