package signal

import (
	"context"
	"errors"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/store"
)

// Recording and transcription are captures (internal/room/capture.go)
// with one signalling flow: a host starts one, the room asks everyone,
// and each consent goes into the ledger with its audit entry before the
// room lets the capturer take the participant's media; a refusal or
// withdrawal takes effect in the room first, at once, and is then
// written. captureFlow holds what differs between the two.
type captureFlow struct {
	noun        string // "recording", also the audit detail naming it
	kind        string // consent kind in the ledger
	startAction audit.Action
	stopAction  audit.Action
	// notTaken is what a participant is told when their consent could not
	// be written ("…, so you are not recorded").
	notTaken string
	errNone  error
	wireErr  func(error) error
	answer   func(mb *room.Member, id string, given bool) (subject string, changed bool, err error)
	current  func(mb *room.Member) (id, answer string) // id "": none runs
	stop     func(mb *room.Member, id string) error
}

const recordingTimeout = 10 * time.Second

// unavailable refuses a capture the server does not offer.
func (f *captureFlow) unavailable() error {
	return protoErr(protocol.CodeForbidden, "%s is not available on this server", f.noun)
}

// beginCapture ends a start: the service's refusal or fault (err), else
// the room's start (which stops sink when it fails), then the audit entry.
func beginCapture[S interface{ Stop(string) }](c *conn, f *captureFlow, sink S, id string, err error, start func() error) error {
	var refused interface{ Refusal() string }
	switch {
	case errors.As(err, &refused):
		return protoErr(protocol.CodeForbidden, "%s", refused.Refusal())
	case err != nil:
		c.log.Error("start "+f.noun, "err", err)
		return &ProtocolError{Code: protocol.CodeInternal, Message: "the " + f.noun + " could not be started"}
	}
	if err := start(); err != nil {
		sink.Stop(room.RecordingFailed)
		return f.wireErr(err)
	}
	c.auditAct(f.startAction, "", map[string]string{f.noun: id})
	return nil
}

func (f *captureFlow) onStop(c *conn, id string) error {
	if err := f.stop(c.member, id); err != nil {
		return f.wireErr(err)
	}
	c.auditAct(f.stopAction, "", map[string]string{f.noun: id, "reason": room.RecordingStopped})
	return nil
}

// onConsent records an answer. Consent is written to the ledger before
// the room lets the capturer take the participant's media; a refusal or
// withdrawal takes effect in the room first, at once, and is then
// written.
func (f *captureFlow) onConsent(ctx context.Context, c *conn, id string, given bool) error {
	if c.h.opts.Consents == nil {
		return f.unavailable()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordingTimeout)
	defer cancel()
	if !given {
		subject, changed, err := f.answer(c.member, id, false)
		if err != nil {
			return f.wireErr(err)
		}
		if changed {
			c.ledgerRefusal(ctx, subject, f.kind, f.noun, id)
		}
		return nil
	}
	running, answer := f.current(c.member)
	if running == "" || running != id {
		return f.wireErr(f.errNone)
	}
	if answer == room.ConsentGiven {
		return nil
	}
	subject := c.subject()
	ev := c.fillEvent(audit.Event{Action: audit.ConsentGiven, Meeting: c.meetingID, Target: c.member.ID(), Outcome: audit.Success,
		Details: map[string]string{"kind": f.kind, f.noun: id}})
	if _, err := c.h.opts.Consents.AppendConsent(ctx, store.Consent{SubjectID: subject, Kind: f.kind,
		MeetingID: c.meetingID, GivenAt: time.Now().UTC()}, ev); err != nil {
		c.log.Error("record consent", "kind", f.kind, "err", err)
		return &ProtocolError{Code: protocol.CodeInternal, Message: f.notTaken}
	}
	if _, _, err := f.answer(c.member, id, true); err != nil {
		// The capture ended meanwhile: the consent on record covers
		// nothing more, and is withdrawn again.
		c.ledgerRefusal(ctx, subject, f.kind, f.noun, id)
		return f.wireErr(err)
	}
	return nil
}

// ledgerRefusal puts a refusal of consent kind into the ledger: a
// withdrawal of the participant's standing consent in this meeting, or,
// when none stood (a decline), a consent withdrawn the moment it was
// given; each with its audit entry (details: kind and detail=id). The room
// already acts on it: a failure to write is logged, and the participant
// stays uncaptured.
func (c *conn) ledgerRefusal(ctx context.Context, subject, kind, detail, id string) {
	now := time.Now().UTC()
	ev := c.fillEvent(audit.Event{Action: audit.ConsentWithdrawn, Meeting: c.meetingID, Target: c.member.ID(), Outcome: audit.Success,
		Details: map[string]string{"kind": kind, detail: id}})
	n, err := c.h.opts.Consents.WithdrawConsent(ctx, subject, kind, c.meetingID, now, ev)
	if err == nil && n == 0 {
		ev.Action = audit.ConsentDeclined
		_, err = c.h.opts.Consents.AppendConsent(ctx, store.Consent{SubjectID: subject, Kind: kind,
			MeetingID: c.meetingID, GivenAt: now, WithdrawnAt: now}, ev)
	}
	if err != nil {
		c.log.Error("record consent refusal", "kind", kind, "err", err)
	}
}
