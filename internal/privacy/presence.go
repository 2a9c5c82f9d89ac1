package privacy

import (
	"context"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// AuditReader reads audit entries (store.Store implements it).
type AuditReader interface {
	AuditEntries(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error)
}

// Presence is a stretch of time a participant was in a live meeting.
type Presence struct {
	Participant string
	From        time.Time
	// To is zero when no leave was recorded (still there, or the server
	// stopped without recording it).
	To time.Time
}

// Contains reports whether t falls in the stretch.
func (p Presence) Contains(t time.Time) bool {
	return !t.Before(p.From) && (p.To.IsZero() || !t.After(p.To))
}

// presenceSlack moves each stretch's start back a little: the entry that
// opens it is written just after the room let the participant in, so a
// message sent at that moment can carry an earlier time.
const presenceSlack = 2 * time.Second

// AccountPresence says when an account was in a meeting, from the audit
// log: for each participant ID it entered as (meeting.join.allowed or
// meeting.join.attempt with the account as actor), from its admission
// (meeting.join.allowed, or a host's meeting.admit; the waiting-room entry
// when neither was recorded, as for people let in when a host arrived) to
// its meeting.leave. The audit log is the only record of who was there;
// chat is kept shorter than it by default, so it answers for all of it.
func AccountPresence(ctx context.Context, st AuditReader, meetingID, userID string) ([]Presence, error) {
	es, err := st.AuditEntries(ctx, store.AuditFilter{Meeting: meetingID})
	if err != nil {
		return nil, fmt.Errorf("account presence: %w", err)
	}
	mine := map[string]bool{}
	for _, e := range es {
		if e.Actor == userID && userID != "" && (e.Action == "meeting.join.allowed" || e.Action == "meeting.join.attempt") {
			mine[e.Target] = true
		}
	}
	open := map[string]*Presence{}
	var order []string
	for _, e := range es {
		if !mine[e.Target] {
			continue
		}
		p := open[e.Target]
		switch e.Action {
		case "meeting.join.attempt":
			if p == nil {
				open[e.Target], order = &Presence{Participant: e.Target, From: e.Time.Add(-presenceSlack)}, append(order, e.Target)
			}
		case "meeting.join.allowed", "meeting.admit":
			if p == nil {
				open[e.Target], order = &Presence{Participant: e.Target}, append(order, e.Target)
				p = open[e.Target]
			}
			if p.To.IsZero() {
				p.From = e.Time.Add(-presenceSlack) // admitted: the wait is not presence
			}
		case "meeting.leave":
			if p != nil && p.To.IsZero() {
				p.To = e.Time
			}
		}
	}
	out := make([]Presence, 0, len(order))
	for _, id := range order {
		out = append(out, *open[id])
	}
	return out, nil
}
