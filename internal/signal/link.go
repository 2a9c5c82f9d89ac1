package signal

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/store"
)

// link is one websocket carrying a participant's session (conn). A session
// outlives its links: when one drops, a new one may resume the session
// (resume.go). The link owns the socket, its write queue and its rate
// limit; the read goroutine owns sess and the per-socket error counters.
type link struct {
	h       *Handler
	ws      *websocket.Conn
	log     *slog.Logger
	user    *store.User // the account of the request that opened it
	addr    string      // client IP, for the audit log and throttles only
	base    string      // ws(s)://host the client reached, for redirect
	limiter *rate.Limiter
	out     chan outgoing
	cancel  context.CancelFunc

	// bound: the link speaks for a participant (hello or resume went
	// through); until then the hello timer may end it.
	bound atomic.Bool

	// read goroutine only
	sess        *conn
	errStreak   int
	floodFrom   time.Time // first refusal of the current flood
	lastRefused time.Time
	warnedFlood bool

	mu      sync.Mutex
	closing bool
	reason  string // close reason the server chose; "" if it did not close
}

type outgoing struct {
	frame []byte
	close string // non-empty: close the socket with this reason after frame
}

func newLink(h *Handler, ws *websocket.Conn, user *store.User, addr string) *link {
	return &link{
		h: h, ws: ws, log: h.log, user: user, addr: addr,
		limiter: rate.NewLimiter(messageRate, messageBurst),
		out:     make(chan outgoing, sendQueue),
	}
}

// run serves the socket until it ends, then tells the session, which
// either ends or waits for a resume.
func (l *link) run(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	l.mu.Lock()
	l.cancel = cancel
	l.mu.Unlock()
	defer cancel()
	writerDone := make(chan struct{})
	go l.writeLoop(ctx, writerDone)
	// Until hello or resume has made it a participant's, a link has
	// helloTimeout to live: a refused hello does not extend it.
	hello := time.AfterFunc(l.h.helloTimeout, func() {
		if !l.bound.Load() {
			l.bye("protocol_error")
		}
	})
	defer hello.Stop()
	l.sess = newConn(l)
	status := l.readLoop(ctx)
	l.sess.linkEnded(l, status)
	// Let a queued error or bye reach the client before tearing down.
	l.mu.Lock()
	closing := l.closing
	l.mu.Unlock()
	if closing {
		select {
		case <-writerDone:
		case <-time.After(closeGrace):
		}
	}
	cancel()
	<-writerDone
}

// readLoop reads and dispatches frames; it returns the close status the
// client sent, or -1 when the socket ended without one (a dropped network).
func (l *link) readLoop(ctx context.Context) websocket.StatusCode {
	for {
		typ, frame, err := l.ws.Read(ctx)
		if err != nil {
			// closed, too big (1009 sent by the library) or cancelled
			return websocket.CloseStatus(err)
		}
		now := l.h.opts.Clock()
		if !l.limiter.AllowN(now, 1) {
			if l.flooding(now) {
				l.bye(protocol.CodeRateLimited)
				return -1
			}
			// One error per flood, not one per dropped message: replies
			// must not amplify the flood.
			if !l.warnedFlood {
				l.warnedFlood = true
				l.sendError(protoErr(protocol.CodeRateLimited, "too many messages"), 0)
			}
			continue
		}
		if typ != websocket.MessageText {
			l.fail(protoErr(protocol.CodeBadJSON, "binary frames are not accepted"), 0)
			continue
		}
		if stop := l.dispatch(ctx, frame); stop {
			return -1
		}
		if l.errStreak >= maxErrorStreak {
			l.bye("protocol_error")
			return -1
		}
	}
}

// flooding records a refused message and reports whether the client has
// been flooding for longer than floodWindow. A flood ends only after
// floodCalm without a refusal: the messages the limiter lets through in
// the middle of a steady flood must not restart it, or the cut-off would
// never come and every restart would earn the client another error.
func (l *link) flooding(now time.Time) bool {
	if l.floodFrom.IsZero() || now.Sub(l.lastRefused) > floodCalm {
		l.floodFrom, l.warnedFlood = now, false
	}
	l.lastRefused = now
	return now.Sub(l.floodFrom) > floodWindow
}

// dispatch parses one frame and runs its handler for the link's session.
// It returns true when the link must end.
func (l *link) dispatch(ctx context.Context, frame []byte) (stop bool) {
	env, err := protocol.Parse(frame)
	if err != nil {
		return l.fail(fromWire(err), env.Seq)
	}
	hd, ok := handlers[env.Type]
	if !ok {
		return l.fail(protoErr(protocol.CodeUnknownType, "unknown message type %q", truncate(env.Type, 32)), env.Seq)
	}
	c := l.sess
	if hd.afterHello != (c.member != nil) {
		if c.member != nil {
			return l.fail(protoErr(protocol.CodeOutOfOrder, "%s is only allowed before joining", env.Type), env.Seq)
		}
		return l.fail(protoErr(protocol.CodeOutOfOrder, "send hello first"), env.Seq)
	}
	// The one authorisation point: the permission table decides, for the
	// member's current role (waiting included), before the handler runs.
	if hd.afterHello {
		if err := c.member.Authorize(hd.action); err != nil {
			c.log.Debug("message refused", "type", env.Type, "err", err)
			return l.fail(forbidden(), env.Seq)
		}
	}
	// Decoded and validated against the one protocol definition only once
	// the sender may send it: a refused message says forbidden, whatever
	// its payload.
	msg, err := protocol.DecodeClient(env)
	if err != nil {
		err = fromWire(err)
	} else {
		err = hd.fn(ctx, c, msg)
	}
	if hd.afterHello {
		c.processed(env.Seq)
	}
	if err != nil {
		return l.fail(err, env.Seq)
	}
	l.errStreak = 0
	return false
}

// fail reports err to the client; fatal errors end the link.
func (l *link) fail(err error, ref int64) bool {
	var pe *ProtocolError
	if !errors.As(err, &pe) {
		l.log.Error("signalling handler failed", "err", err)
		pe = protoErr(protocol.CodeInternal, "internal error")
	}
	l.errStreak++
	if pe.Fatal {
		l.push(l.h.frame("error", 0, pe.data(ref)), pe.Code)
		return true
	}
	l.sendError(pe, ref)
	return false
}

func (l *link) sendError(pe *ProtocolError, ref int64) {
	l.push(l.h.frame("error", 0, pe.data(ref)), "")
}

// bye tells the client why the server closes the link, and closes it after
// sending.
func (l *link) bye(reason string) {
	l.push(l.h.frame("bye", 0, map[string]string{"reason": reason}), reason)
}

// push queues a frame for the writer. A client too slow to drain its queue
// loses the link rather than holding server memory; its session may
// resume on a new one, replaying what it missed.
func (l *link) push(frame []byte, closeReason string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return
	}
	if closeReason != "" {
		l.closing, l.reason = true, closeReason
	}
	select {
	case l.out <- outgoing{frame: frame, close: closeReason}:
	default:
		l.closing = true
		l.log.Warn("signalling client too slow, disconnecting")
		if l.cancel != nil {
			l.cancel()
		}
	}
}

// closeReason is the reason the server closed the link with, if it did.
func (l *link) closeReason() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reason
}

func (l *link) writeLoop(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	for {
		select {
		case <-ctx.Done():
			_ = l.ws.Close(websocket.StatusGoingAway, "")
			return
		case o := <-l.out:
			wctx, cancel := context.WithTimeout(ctx, writeTimeout)
			err := l.ws.Write(wctx, websocket.MessageText, o.frame)
			cancel()
			if err != nil {
				l.cancel()
				return
			}
			if o.close != "" {
				_ = l.ws.Close(websocket.StatusNormalClosure, o.close)
				l.cancel()
				return
			}
		}
	}
}
