package signal

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// Entering a meeting: the join limit, the record of who entered, and the
// refusals, which are coalesced (docs/security.md, "Limits and expiry").
// Nothing an outsider sends may grow the database without bound: every
// hello counts against the join limit, a refused join is recorded at most
// once per kind and window, and consent is recorded only for someone the
// room actually let in.

// maxMeetingIDLen is the longest meeting ID a hello may name; longer ones
// are refused, and never become throttling keys.
const maxMeetingIDLen = 64

// earlyAnswer is a welcome or waiting held back while the join is put on
// record.
type earlyAnswer struct {
	typ     string
	data    json.RawMessage
	welcome bool
}

// tooManyAttempts is the answer while a throttle holds the join back.
func tooManyAttempts(wait time.Duration, what string) *ProtocolError {
	secs := int(wait.Seconds()) + 1
	return &ProtocolError{Code: protocol.CodeTooManyAttempts, Fatal: true, RetryAfter: secs,
		Message: fmt.Sprintf("too many %s; try again in %d seconds", what, secs)}
}

// checkJoinRate counts this hello against the join limits of the client
// address and the meeting it names, right passcode or wrong, and refuses
// it while either is locked out. A lock-out is recorded once, when it
// begins.
func (c *conn) checkJoinRate(meetingID string) error {
	keys := []string{throttle.IPKey(c.clientAddr())}
	if len(meetingID) <= maxMeetingIDLen {
		keys = append(keys, throttle.MeetingKey(meetingKey(meetingID)))
	}
	wait, locked := c.h.opts.Joins.Attempt(keys...)
	for _, k := range locked {
		_ = c.auditEvent(audit.Event{Action: audit.MeetingJoinLockout, Meeting: meetingKey(meetingID), Outcome: audit.Denied,
			Details: map[string]string{"scope": throttle.Scope(k), "limit": "joins"}})
	}
	if wait > 0 {
		return tooManyAttempts(wait, "joins from this address or to this meeting")
	}
	return nil
}

// enter asks the room to let the participant in (waiting room or meeting)
// and puts the entry on record: the acceptance of the notice with its
// consent.given entry, then meeting.join.attempt or .allowed. A join the
// room refuses records no consent. The participant is told nothing (no
// welcome, no waiting) until the record is written; if it cannot be, they
// leave at once, fail closed.
func (c *conn) enter(ctx context.Context, req room.JoinRequest, noticeVersion int) error {
	c.holdAnswer()
	member, err := c.h.opts.Rooms.Join(ctx, req, c)
	if err != nil {
		c.releaseAnswer(false)
		return c.joinError(req.MeetingID, err)
	}
	c.member = member // the actor of the entries below
	if err := c.recordEntry(ctx, member, noticeVersion); err != nil {
		member.Leave()
		c.member = nil
		c.releaseAnswer(false)
		return err
	}
	c.mu.Lock()
	c.log = c.log.With("participant", member.ID())
	if c.link != nil {
		c.link.bound.Store(true) // the hello timer stops only for a participant
	}
	c.mu.Unlock()
	c.releaseAnswer(true)
	c.issueToken()
	c.sendGuestProof(ctx)
	return nil
}

// recordEntry writes the records of a participant the room let in.
func (c *conn) recordEntry(ctx context.Context, member *room.Member, noticeVersion int) error {
	if err := c.recordNotice(ctx, noticeVersion, member.ID()); err != nil {
		return err
	}
	if member.Waiting() {
		_ = c.auditEvent(audit.Event{Action: audit.MeetingJoinAttempt, Meeting: c.meetingID, Target: member.ID(),
			Outcome: audit.Success, Details: map[string]string{"result": "waiting"}})
		return nil
	}
	// A join that cannot be recorded is ended at once.
	if err := c.audit(audit.MeetingJoinAllowed, c.meetingID, audit.Success); err != nil {
		return &ProtocolError{Code: protocol.CodeInternal, Message: "internal error", Fatal: true}
	}
	return nil
}

// holdAnswer makes welcome and waiting wait for releaseAnswer.
func (c *conn) holdAnswer() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entering = true
}

// releaseAnswer sends the held answers in order (ok), or drops them and
// every event held for after welcome (the participant did not enter).
func (c *conn) releaseAnswer(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	early := c.early
	c.entering, c.early = false, nil
	if !ok {
		c.held = nil
		return
	}
	for _, a := range early {
		c.sendAnswerLocked(a.typ, a.data, a.welcome)
	}
}

// answer sends a welcome (followed by the events held back for it) or a
// waiting message, unless the join is still being put on record.
func (c *conn) answer(typ string, data any, welcome bool) {
	raw := c.h.encode(typ, data)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.final {
		return
	}
	if c.entering {
		c.early = append(c.early, earlyAnswer{typ: typ, data: raw, welcome: welcome})
		return
	}
	c.sendAnswerLocked(typ, raw, welcome)
}

func (c *conn) sendAnswerLocked(typ string, raw json.RawMessage, welcome bool) {
	c.sendLocked(typ, raw)
	if !welcome {
		return
	}
	c.welcomed = true
	for _, e := range c.held {
		c.sendLocked(e.typ, e.data)
	}
	c.held = nil
}

// refusal records a refused join through the coalescer: the first of its
// kind at once, repeats as a count (audit.Coalescer).
func (c *conn) refusal(ev audit.Event) {
	if c.h.opts.Refusals == nil {
		return
	}
	ev = c.fillEvent(ev)
	ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
	defer cancel()
	if err := c.h.opts.Refusals.Record(ctx, ev); err != nil {
		c.log.Error("audit write failed", "action", string(ev.Action), "err", err)
	}
}
