package signal

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/conclave-meet/conclave/internal/audit"
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
	sendQueue      = 256 // outgoing messages buffered per client
	writeTimeout   = 10 * time.Second
	closeGrace     = 2 * time.Second
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
}

// Handler upgrades GET /ws requests to signalling connections.
type Handler struct {
	opts         Options
	log          *slog.Logger
	passcodes    *throttle.Limiter
	helloTimeout time.Duration
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
	return &Handler{opts: opts, log: opts.Logger, passcodes: opts.Passcodes, helloTimeout: opts.HelloTimeout}
}

// ServeHTTP accepts the websocket (same origin only: scheme, host and port,
// see originAllowed; the library then compares Origin with Host as well)
// and runs the connection until it ends.
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
	c := &conn{
		h:       h,
		ws:      ws,
		log:     h.log,
		limiter: rate.NewLimiter(messageRate, messageBurst),
		out:     make(chan outgoing, sendQueue),
	}
	if u, ok := h.opts.Users.UserFromRequest(r); ok {
		c.user = &u
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		c.addr = host
	}
	c.run(r.Context())
}

type outgoing struct {
	frame []byte
	close string // non-empty: close the socket with this reason after frame
}

// conn is one participant's signalling connection. The read goroutine owns
// state and member; Events methods may be called from any goroutine and only
// enqueue.
type conn struct {
	h       *Handler
	ws      *websocket.Conn
	log     *slog.Logger
	user    *store.User
	addr    string // client IP, for the audit log only
	limiter *rate.Limiter

	meetingID   string       // set before joining, read by events
	title       string       // of the meeting, for welcome
	member      *room.Member // from hello on: waiting or admitted
	errStreak   int
	floodFrom   time.Time // first refusal of the current flood
	lastRefused time.Time
	warnedFlood bool

	mu        sync.Mutex
	out       chan outgoing
	helloSeen bool       // a hello arrived (the hello timer stops caring)
	welcomed  bool       // events before welcome are held back
	held      []outgoing // so the client sees welcome first
	closing   bool
	cancel    context.CancelFunc
	relayID   string      // participant holding TURN credentials, until revoked
	renew     *time.Timer // next credential renewal

	// hello's answer (welcome or waiting) waits in early while entering,
	// until the join is on record (entry.go).
	entering bool
	early    []earlyAnswer
}

func (c *conn) run(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	c.cancel = cancel
	defer cancel()
	writerDone := make(chan struct{})
	go c.writeLoop(ctx, writerDone)
	// Until a hello has made it a participant (waiting or admitted), a
	// connection has helloTimeout to live: a refused hello does not extend it.
	hello := time.AfterFunc(c.h.helloTimeout, func() {
		c.mu.Lock()
		waiting := !c.helloSeen
		c.mu.Unlock()
		if waiting {
			c.bye("protocol_error")
		}
	})
	defer hello.Stop()
	c.readLoop(ctx)
	c.revokeRelay()
	if c.member != nil {
		c.member.Leave()
		c.audit(audit.MeetingLeave, c.meetingID, audit.Success)
	}
	// Let a queued error or bye reach the client before tearing down.
	c.mu.Lock()
	closing := c.closing
	c.mu.Unlock()
	if closing {
		select {
		case <-writerDone:
		case <-time.After(closeGrace):
		}
	}
	cancel()
	<-writerDone
}

func (c *conn) readLoop(ctx context.Context) {
	for {
		typ, frame, err := c.ws.Read(ctx)
		if err != nil {
			return // closed, too big (1009 sent by the library) or cancelled
		}
		now := c.h.opts.Clock()
		if !c.limiter.AllowN(now, 1) {
			if c.flooding(now) {
				c.bye(CodeRateLimited)
				return
			}
			// One error per flood, not one per dropped message: replies
			// must not amplify the flood.
			if !c.warnedFlood {
				c.warnedFlood = true
				c.sendError(protoErr(CodeRateLimited, "too many messages"), 0)
			}
			continue
		}
		if typ != websocket.MessageText {
			c.fail(protoErr(CodeBadJSON, "binary frames are not accepted"), 0)
			continue
		}
		if stop := c.dispatch(ctx, frame); stop {
			return
		}
		if c.errStreak >= maxErrorStreak {
			c.bye("protocol_error")
			return
		}
	}
}

// flooding records a refused message and reports whether the client has
// been flooding for longer than floodWindow. A flood ends only after
// floodCalm without a refusal: the messages the limiter lets through in
// the middle of a steady flood must not restart it, or the cut-off would
// never come and every restart would earn the client another error.
func (c *conn) flooding(now time.Time) bool {
	if c.floodFrom.IsZero() || now.Sub(c.lastRefused) > floodCalm {
		c.floodFrom, c.warnedFlood = now, false
	}
	c.lastRefused = now
	return now.Sub(c.floodFrom) > floodWindow
}

// dispatch parses one frame and runs its handler. It returns true when the
// connection must end.
func (c *conn) dispatch(ctx context.Context, frame []byte) (stop bool) {
	env, err := Parse(frame)
	if err != nil {
		return c.fail(err, env.Seq)
	}
	hd, ok := handlers[env.Type]
	if !ok {
		return c.fail(protoErr(CodeUnknownType, "unknown message type %q", truncate(env.Type, 32)), env.Seq)
	}
	if hd.afterHello != (c.member != nil) {
		if c.member != nil {
			return c.fail(protoErr(CodeOutOfOrder, "%s is only allowed before joining", env.Type), env.Seq)
		}
		return c.fail(protoErr(CodeOutOfOrder, "send hello first"), env.Seq)
	}
	// The one authorisation point: the permission table decides, for the
	// member's current role (waiting included), before the handler runs.
	if hd.afterHello {
		if err := c.member.Authorize(hd.action); err != nil {
			c.log.Debug("message refused", "type", env.Type, "err", err)
			return c.fail(forbidden(), env.Seq)
		}
	}
	if err := hd.fn(ctx, c, env.Data); err != nil {
		return c.fail(err, env.Seq)
	}
	c.errStreak = 0
	return false
}

// fail reports err to the client; fatal errors end the connection.
func (c *conn) fail(err error, ref int64) bool {
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		c.log.Error("signalling handler failed", "err", err)
		pe = protoErr(CodeInternal, "internal error")
	}
	c.errStreak++
	if pe.Fatal {
		c.sendErrorAndClose(pe, ref)
		return true
	}
	c.sendError(pe, ref)
	return false
}

func (c *conn) sendError(pe *ProtocolError, ref int64) {
	c.push(c.frame("error", pe.data(ref)), "")
}

func (c *conn) sendErrorAndClose(pe *ProtocolError, ref int64) {
	c.push(c.frame("error", pe.data(ref)), pe.Code)
}

// bye tells the client why it is disconnected and closes after sending.
func (c *conn) bye(reason string) {
	c.push(c.frame("bye", map[string]string{"reason": reason}), reason)
}

// frame encodes a message; encoding our own types cannot fail.
func (c *conn) frame(typ string, data any) []byte {
	raw, err := json.Marshal(data)
	if err != nil {
		// c.h.log: frame runs on room goroutines, c.log belongs to the reader.
		c.h.log.Error("encode message", "type", typ, "err", err)
		raw = []byte("{}")
	}
	b, _ := json.Marshal(Envelope{Type: typ, Data: raw})
	return b
}

// push queues a frame for the writer. A client too slow to drain its queue
// is disconnected rather than allowed to hold server memory.
func (c *conn) push(frame []byte, closeReason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pushLocked(outgoing{frame: frame, close: closeReason})
}

func (c *conn) pushLocked(o outgoing) {
	if c.closing {
		return
	}
	if o.close != "" {
		c.closing = true
	}
	select {
	case c.out <- o:
	default:
		c.closing = true
		c.log.Warn("signalling client too slow, disconnecting")
		c.cancel()
	}
}

// event queues a server event, holding it back until welcome is sent.
func (c *conn) event(typ string, data any) {
	f := c.frame(typ, data)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.welcomed {
		c.held = append(c.held, outgoing{frame: f})
		return
	}
	c.pushLocked(outgoing{frame: f})
}

// welcome sends the welcome message followed by the held-back events.
func (c *conn) welcome(data welcomeData) {
	c.answer(c.frame("welcome", data), true)
}

func (c *conn) writeLoop(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-ctx.Done():
			_ = c.ws.Close(websocket.StatusGoingAway, "")
			return
		case o := <-c.out:
			wctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := c.ws.Write(wctx, websocket.MessageText, o.frame)
			cancel()
			if err != nil {
				c.cancel()
				return
			}
			if o.close != "" {
				_ = c.ws.Close(websocket.StatusNormalClosure, o.close)
				c.cancel()
				return
			}
		}
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
	ev.ClientAddr = c.addr
	if !audit.ValidMeetingID(ev.Meeting) {
		ev.Meeting = ""
	}
	if c.member != nil {
		ev.Actor = c.member.ID()
	}
	if c.user != nil {
		ev.Actor = c.user.ID
	}
	return ev
}
