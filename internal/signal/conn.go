package signal

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/chat"
	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// Connection limits (docs/protocol.md).
const (
	helloTimeout   = 10 * time.Second
	messageRate    = 50  // messages per second
	messageBurst   = 100 // ICE candidates come in bursts
	floodWindow    = 10 * time.Second
	floodCalm      = 2 * time.Second // without a refusal, to end a flood
	maxErrorStreak = 10
	// sendQueue holds a resume's replay (replayFrames) with room to spare.
	sendQueue    = replayFrames + 64 // outgoing messages buffered per link
	writeTimeout = 10 * time.Second
	closeGrace   = 2 * time.Second
)

// MeetingAuthorizer checks a meeting ID and passcode. Any error refuses the
// join with the same answer, whether the meeting is unknown or the passcode
// wrong.
type MeetingAuthorizer interface {
	Authorize(ctx context.Context, id, passcode string) (store.Meeting, error)
}

// UserResolver identifies the signed-in account of a request, if any.
type UserResolver interface {
	UserFromRequest(r *http.Request) (store.User, bool)
}

// Auditor records security-relevant events (package audit's Log).
type Auditor interface {
	Append(ctx context.Context, ev audit.Event) (audit.Entry, error)
}

// Options configures the websocket handler.
type Options struct {
	Meetings MeetingAuthorizer
	Users    UserResolver
	Rooms    *room.Manager
	// Audit records joins and leaves; nil records nothing (tests).
	Audit Auditor
	// HelloTimeout is how long a connection may stay without becoming a
	// participant; zero means 10 s (docs/protocol.md).
	HelloTimeout time.Duration
	// Passcodes throttles wrong passcodes per client address and meeting;
	// nil means throttle.NewPasscodes with the real clock.
	Passcodes *throttle.Limiter
	// Joins limits joins per client address and meeting, whatever the
	// passcode; nil means throttle.NewJoins with the real clock.
	Joins *throttle.Limiter
	// Refusals records refused joins, coalescing repeats; nil means one
	// over Audit with the defaults (none without Audit).
	Refusals *audit.Coalescer
	// Relay grants admitted participants TURN credentials and revokes
	// them when they go; nil hands out no ICE servers.
	Relay Relay
	// Notices makes every participant accept the current privacy notice
	// and records the acceptance; nil requires none (tests).
	Notices NoticeChecker
	Logger  *slog.Logger
	// PublicOrigin is the origin users reach the server at (config
	// PublicURL); websocket handshakes from it are accepted besides those
	// from the request's own origin. Empty: the request's own only.
	PublicOrigin string
	// Clock is read once per incoming message for the rate limit and the
	// flood cut-off; nil means time.Now. Tests step it per message.
	Clock func() time.Time
	// ResumeGrace is how long a participant whose connection dropped keeps
	// their place for a resume (docs/protocol.md, "Resume"); zero means
	// 30 s, negative turns resume off (a drop is a leave).
	ResumeGrace time.Duration
	// Chat keeps chat messages; nil keeps none (tests), and late joiners
	// then get no history.
	Chat chat.Store
	// FileSharing hands admitted participants a capability for the file
	// routes (the Handler is their files.Access); off: none.
	FileSharing bool
	// GuestProofs issues guests their one-time proof for data-subject
	// requests; nil issues none.
	GuestProofs GuestProofs
	// AfterFunc runs f after d, like time.AfterFunc, for the resume grace
	// period; nil means time.AfterFunc. Tests fire it by hand.
	AfterFunc func(d time.Duration, f func()) Timer
	// Recordings starts recordings where policy allows them; nil (or no
	// Consents): recording is unavailable.
	Recordings Recordings
	// Consents records consent answers with their audit entries (the
	// audit log).
	Consents ConsentLedger
	// Transcriptions starts transcriptions where policy allows them; nil
	// (or no Consents): transcription is unavailable.
	Transcriptions Transcriptions
	// Placement, in a cluster, says on which node each meeting runs; a
	// hello for a meeting elsewhere is redirected. Nil: one node.
	Placement Placer
}

// Timer is the part of *time.Timer the resume grace period needs.
type Timer interface{ Stop() bool }

// DefaultResumeGrace is how long a dropped participant may resume.
const DefaultResumeGrace = 30 * time.Second

// Handler upgrades GET /ws requests to signalling connections.
type Handler struct {
	opts         Options
	log          *slog.Logger
	passcodes    *throttle.Limiter
	helloTimeout time.Duration
	grace        time.Duration // 0: resume off
	resumes      *resumeIndex
	caps         *capIndex
	chat         *chat.Keeper // nil: nothing is kept
}

// NewHandler returns the websocket endpoint.
func NewHandler(opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Passcodes == nil {
		opts.Passcodes = throttle.NewPasscodes(nil)
	}
	if opts.Joins == nil {
		opts.Joins = throttle.NewJoins(nil)
	}
	if opts.Refusals == nil && opts.Audit != nil {
		opts.Refusals = audit.NewCoalescer(opts.Audit, audit.CoalesceOptions{Logger: opts.Logger})
	}
	if opts.HelloTimeout <= 0 {
		opts.HelloTimeout = helloTimeout
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.AfterFunc == nil {
		opts.AfterFunc = func(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
	}
	grace := opts.ResumeGrace
	switch {
	case grace == 0:
		grace = DefaultResumeGrace
	case grace < 0:
		grace = 0
	}
	h := &Handler{opts: opts, log: opts.Logger, passcodes: opts.Passcodes, helloTimeout: opts.HelloTimeout,
		grace: grace, resumes: newResumeIndex(), caps: newCapIndex()}
	if opts.Chat != nil {
		h.chat = chat.NewKeeper(opts.Chat)
	}
	return h
}

// ServeHTTP accepts the websocket (same origin only: scheme, host and port,
// see originAllowed; the library then compares Origin with Host as well)
// and runs the link until it ends.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !originAllowed(r, h.opts.PublicOrigin) {
		h.log.Debug("websocket refused: cross-origin")
		http.Error(w, "cross-origin websocket refused", http.StatusForbidden)
		return
	}
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		h.log.Debug("websocket refused", "err", err)
		return
	}
	ws.SetReadLimit(MaxMessageSize)
	var user *store.User
	if u, ok := h.opts.Users.UserFromRequest(r); ok {
		user = &u
	}
	addr := ""
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		addr = host
	}
	l := newLink(h, ws, user, addr)
	l.base = signallingBase(r, h.opts.PublicOrigin)
	l.run(r.Context())
}

// conn is one participant's signalling session, from hello until they
// leave: their member of the room, their relay grant and the numbered
// stream of events sent to them. A websocket (link) carries it; when the
// link drops, the session waits the grace period for a resume on a new
// link (resume.go). Handlers run on the current link's read goroutine;
// room events may come from any goroutine and only enqueue.
type conn struct {
	h    *Handler
	log  *slog.Logger
	user *store.User // the account, if the link that said hello had one
	// chatLimit bounds this participant's chat (read goroutine only).
	chatLimit *rate.Limiter

	// Set by hello on the read goroutine, before any event.
	meetingID string       // read by events
	title     string       // of the meeting, for welcome
	member    *room.Member // from hello on: waiting or admitted

	mu        sync.Mutex
	link      *link  // nil while detached
	addr      string // the current link's client IP
	welcomed  bool   // events before welcome are held back
	held      []heldEvent
	final     bool        // the session ended: no events, no resume
	relayID   string      // participant holding TURN credentials, until revoked
	renew     *time.Timer // next credential renewal
	out       stream      // the numbered events, kept for replay
	clientSeq int64       // highest client seq processed, for resumed
	token     tokenHash   // current resume token; zero: none
	fileCap   tokenHash   // file capability (files.go); zero: none
	grace     Timer       // running while detached
	endedAway string      // why the session ended while detached

	// hello's answer (welcome or waiting) waits in early while entering,
	// until the join is on record (entry.go).
	entering bool
	early    []earlyAnswer
}

// heldEvent is an event waiting for welcome; it is numbered when sent.
type heldEvent struct {
	typ  string
	data json.RawMessage
}

func newConn(l *link) *conn {
	return &conn{h: l.h, log: l.log, user: l.user, link: l, addr: l.addr, chatLimit: newChatLimiter()}
}

// linkEnded is called when a link of the session has ended. A link the
// client lost (no close frame, or a close other than normal or going
// away) leaves an entered session waiting for a resume; any other end
// ends the session.
func (c *conn) linkEnded(l *link, status websocket.StatusCode) {
	c.mu.Lock()
	if c.link != l {
		c.mu.Unlock()
		return // replaced by a resume
	}
	c.link = nil
	lost := status != websocket.StatusNormalClosure && status != websocket.StatusGoingAway && l.closeReason() == ""
	away := lost && c.member != nil && !c.final && c.h.grace > 0 && !c.token.zero()
	if away {
		c.grace = c.h.opts.AfterFunc(c.h.grace, c.expire)
	} else {
		c.final = true
	}
	c.mu.Unlock()
	if away {
		c.member.SetReconnecting(true)
		c.log.Info("participant connection lost, awaiting resume", "grace", c.h.grace)
		return
	}
	c.finish(nil)
}

// finish ends the session: the relay goes, the member leaves and the
// leave is recorded, and the resume token stops working.
func (c *conn) finish(details map[string]string) {
	c.revokeRelay()
	c.h.resumes.drop(c)
	if c.member != nil {
		c.h.caps.revoke(c, c.member.ID())
	}
	if c.member != nil {
		c.member.Leave()
		_ = c.auditEvent(audit.Event{Action: audit.MeetingLeave, Meeting: c.meetingID, Target: c.member.ID(),
			Outcome: audit.Success, Details: details})
	}
}

// processed records the client seq of a message the session handled.
func (c *conn) processed(seq int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if seq > c.clientSeq {
		c.clientSeq = seq
	}
}

// reply sends an unnumbered answer on the current link (pong).
func (c *conn) reply(typ string, data any) {
	c.mu.Lock()
	l := c.link
	c.mu.Unlock()
	if l != nil {
		l.push(c.h.frame(typ, 0, data), "")
	}
}

// bye closes the current link with reason; the session ends with it.
func (c *conn) bye(reason string) {
	c.mu.Lock()
	l := c.link
	c.final = true
	c.mu.Unlock()
	if l != nil {
		l.bye(reason)
	}
}

// clientAddr is the current link's client address.
func (c *conn) clientAddr() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.addr
}

// frame encodes a message; encoding our own types cannot fail.
func (h *Handler) frame(typ string, seq int64, data any) []byte {
	return envelope(typ, seq, h.encode(typ, data))
}

func (h *Handler) encode(typ string, data any) json.RawMessage {
	raw, err := json.Marshal(data)
	if err != nil {
		h.log.Error("encode message", "type", typ, "err", err)
		raw = []byte("{}")
	}
	return raw
}

func envelope(typ string, seq int64, raw json.RawMessage) []byte {
	b, _ := json.Marshal(protocol.Envelope{Type: typ, Seq: seq, Data: raw})
	return b
}

// event numbers and sends a server event, holding it back until welcome
// is sent. Events reach the stream even while the session is detached:
// a resume replays them.
func (c *conn) event(typ string, data any) {
	raw := c.h.encode(typ, data)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.final {
		return
	}
	if !c.welcomed {
		c.held = append(c.held, heldEvent{typ: typ, data: raw})
		return
	}
	c.sendLocked(typ, raw)
}

// sendLocked numbers an event, keeps it for replay and queues it on the
// link, if any.
func (c *conn) sendLocked(typ string, raw json.RawMessage) {
	f := c.out.add(typ, raw)
	if c.link != nil {
		c.link.push(f, "")
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// auditTimeout bounds one audit write; it does not inherit the connection's
// context, so a client that hangs up cannot suppress its own entry.
const auditTimeout = 10 * time.Second

// audit records a meeting event about this connection's own participant.
func (c *conn) audit(action audit.Action, meetingID string, outcome audit.Outcome) error {
	target := ""
	if c.member != nil {
		target = c.member.ID()
	}
	return c.auditEvent(audit.Event{Action: action, Meeting: meetingID, Target: target, Outcome: outcome})
}

// auditAct records an action this participant took on another.
func (c *conn) auditAct(action audit.Action, target string, details map[string]string) {
	_ = c.auditEvent(audit.Event{Action: action, Meeting: c.meetingID, Target: target, Outcome: audit.Success, Details: details})
}

// auditEvent fills in the actor (the account when signed in, else the
// participant) and client address and appends ev. Entries carry IDs only.
func (c *conn) auditEvent(ev audit.Event) error {
	if c.h.opts.Audit == nil {
		return nil
	}
	ev = c.fillEvent(ev)
	ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
	defer cancel()
	if _, err := c.h.opts.Audit.Append(ctx, ev); err != nil {
		c.log.Error("audit write failed", "action", string(ev.Action), "err", err)
		return err
	}
	return nil
}

// fillEvent sets ev's actor (the account when signed in, else the
// participant) and client address, and drops a malformed meeting ID.
func (c *conn) fillEvent(ev audit.Event) audit.Event {
	ev.ClientAddr = c.clientAddr()
	if !audit.ValidMeetingID(ev.Meeting) {
		ev.Meeting = ""
	}
	if c.member != nil {
		ev.Actor = c.subject()
	} else if c.user != nil {
		ev.Actor = c.user.ID
	}
	return ev
}

// subject is the data subject of an admitted participant: the account
// when signed in, else the participant (a guest has no other identity).
func (c *conn) subject() string {
	if c.user != nil {
		return c.user.ID
	}
	return c.member.ID()
}
