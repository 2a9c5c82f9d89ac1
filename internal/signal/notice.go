package signal

import (
	"context"
	"strconv"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/protocol"
)

// NoticeChecker is the privacy notice every participant must accept before
// joining (package notice's Service).
type NoticeChecker interface {
	// CurrentNoticeVersion is the version a hello must name.
	CurrentNoticeVersion(ctx context.Context) (int, error)
	// RecordAcceptance adds the acceptance to the consent ledger together
	// with ev, its consent.given audit entry: both or neither.
	RecordAcceptance(ctx context.Context, subject string, version int, meetingID string, ev audit.Event) error
}

// data is the error message's payload.
// checkNotice refuses a hello that did not accept the current notice. It
// runs before the passcode is checked: the notice is public, and a client
// that shows it again should not spend a passcode attempt.
func (c *conn) checkNotice(ctx context.Context, accepted int) error {
	n := c.h.opts.Notices
	if n == nil {
		return nil
	}
	current, err := n.CurrentNoticeVersion(ctx)
	if err != nil {
		c.log.Error("privacy notice unavailable", "err", err)
		return &ProtocolError{Code: protocol.CodeInternal, Message: "internal error", Fatal: true}
	}
	if accepted != current {
		return &ProtocolError{Code: protocol.CodeNoticeRequired, Fatal: true, NoticeVersion: current,
			Message: "read and accept the current privacy notice (version " + strconv.Itoa(current) + ") first"}
	}
	return nil
}

// recordNotice writes the acceptance of participant pid, whom the room
// has just let in (waiting room or meeting), to the ledger together with
// its audit entry, in one transaction. The subject is the account when
// signed in, else the participant. Entering without the proof on record is
// refused, like a join that cannot be audited.
func (c *conn) recordNotice(ctx context.Context, version int, pid string) error {
	n := c.h.opts.Notices
	if n == nil {
		return nil
	}
	subject := pid
	if c.user != nil {
		subject = c.user.ID
	}
	ev := c.fillEvent(audit.Event{Action: audit.ConsentGiven, Meeting: c.meetingID, Target: pid, Outcome: audit.Success,
		Details: map[string]string{"kind": "notice", "version": strconv.Itoa(version)}})
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	if err := n.RecordAcceptance(ctx, subject, version, c.meetingID, ev); err != nil {
		c.log.Error("record notice acceptance", "err", err)
		return &ProtocolError{Code: protocol.CodeInternal, Message: "internal error", Fatal: true}
	}
	return nil
}
