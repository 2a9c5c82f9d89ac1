package signal

import (
	"context"
	"time"

	"github.com/conclave-meet/conclave/internal/protocol"
)

// GuestProofs issues a guest the one-time proof with which they can later
// exercise their data-subject rights by participant ID (privacy.Service,
// docs/privacy.md "Guests").
type GuestProofs interface {
	IssueGuestProof(ctx context.Context, participantID, meetingID string) (token string, expires time.Time, err error)
}

// sendGuestProof gives a guest who just entered (waiting or admitted)
// their proof, on their own connection only and unnumbered: it is never
// replayed. Runs on the read goroutine after the entry is on record.
func (c *conn) sendGuestProof(ctx context.Context) {
	if c.h.opts.GuestProofs == nil || c.user != nil || c.member == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	tok, expires, err := c.h.opts.GuestProofs.IssueGuestProof(ctx, c.member.ID(), c.meetingID)
	if err != nil {
		c.log.Error("issue guest proof", "err", err)
		return
	}
	c.mu.Lock()
	l := c.link
	c.mu.Unlock()
	if l != nil {
		l.push(c.h.frame("guest_proof", 0, protocol.GuestProof{ParticipantID: c.member.ID(), Token: tok, Expires: expires}), "")
	}
}
