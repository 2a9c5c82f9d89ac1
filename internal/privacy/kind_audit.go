package privacy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// AuditStore is what the audit_log kind reads and erases.
type AuditStore interface {
	AuditEntries(ctx context.Context, f store.AuditFilter) ([]store.AuditEntry, error)
	DeleteAuditAddrs(ctx context.Context, seqs []int64) (int, error)
}

// AuditTruncator removes the oldest audit entries behind a sealed
// checkpoint, so that the rest of the chain still verifies (*audit.Log).
type AuditTruncator interface {
	Truncate(ctx context.Context, before time.Time) (int, error)
}

// AuditKind is the audit log as personal data: entries name people by
// subject ID and keep the client address of whoever acted. Entries are
// never changed (the hash chain must verify), so erasure deletes the
// person's addresses and leaves the entries with an ID that, once the
// account is gone, names nobody (docs/security.md, "Erasure"). Retention
// removes whole entries from the front of the log (docs/security.md,
// "Retention").
type AuditKind struct {
	Store AuditStore
	// Log truncates the log for Expire; without it Expire fails rather
	// than keep entries past their period unnoticed.
	Log AuditTruncator
}

// Declare implements Kind.
func (AuditKind) Declare() Declaration {
	return Declaration{
		Name:     "audit_log",
		Category: CatAudit,
		Description: "Security-relevant events in which the person acted or was acted upon (sign-ins, " +
			"meeting joins, moderation, administration), with the network address they acted from.",
		Purpose: "Detect and investigate abuse and security incidents; show what administrators did.",
		LegalBasis: LegitimateInterest + " (security of the service); " + LegalObligation +
			" where the controller must keep an audit trail",
		Storage: "tables audit_log (hash-chained, append-only) and audit_addr (client addresses)",
		Fields: []string{"time (plain)", "action (plain)", "actor subject ID (plain)", "target subject ID (plain)",
			"meeting ID (plain)", "outcome (plain)", "details (plain)", "client IP address (plain)"},
	}
}

// auditRecord is one exported entry.
type auditRecord struct {
	Seq        int64             `json:"seq"`
	Time       time.Time         `json:"time"`
	Action     string            `json:"action"`
	Actor      string            `json:"actor"`
	Target     string            `json:"target"`
	Meeting    string            `json:"meeting"`
	Outcome    string            `json:"outcome"`
	Details    map[string]string `json:"details,omitempty"`
	ClientAddr string            `json:"client_addr,omitempty"`
}

// Export implements Kind: every entry whose actor or target is the
// subject or one of the participant IDs their account joined meetings as.
// Client addresses are included only where the subject acted: in other
// entries the address is someone else's.
func (k AuditKind) Export(ctx context.Context, s Subject) ([]Item, error) {
	ids, entries, err := k.entries(ctx, s)
	if err != nil {
		return nil, err
	}
	items := make([]Item, 0, len(entries))
	for _, e := range entries {
		r := auditRecord{Seq: e.Seq, Time: e.Time, Action: e.Action, Actor: e.Actor, Target: e.Target,
			Meeting: e.Meeting, Outcome: e.Outcome, Details: e.Details}
		if ids[e.Actor] {
			r.ClientAddr = e.ClientAddr
		}
		items = append(items, Item{Record: r})
	}
	return items, nil
}

// Erase implements Kind.
func (k AuditKind) Erase(ctx context.Context, s Subject) (Erased, error) {
	ids, entries, err := k.entries(ctx, s)
	if err != nil {
		return Erased{}, err
	}
	var seqs []int64
	for _, e := range entries {
		if ids[e.Actor] && e.ClientAddr != "" {
			seqs = append(seqs, e.Seq)
		}
	}
	n, err := k.Store.DeleteAuditAddrs(ctx, seqs)
	if err != nil {
		return Erased{}, fmt.Errorf("audit_log: %w", err)
	}
	return Erased{Deleted: n, Pseudonymous: len(entries),
		Note: "client addresses deleted; entries kept (hash chain) naming only the subject ID"}, nil
}

// Expire implements Kind: it removes the entries older than before, with
// their addresses, except the newest entry. The sweeper records its run
// after every kind has expired, so that record is never removed by the
// same run.
func (k AuditKind) Expire(ctx context.Context, before time.Time) (int, error) {
	if k.Log == nil {
		return 0, errors.New("audit_log: no audit log to expire entries from")
	}
	n, err := k.Log.Truncate(ctx, before)
	if err != nil {
		return 0, fmt.Errorf("audit_log: %w", err)
	}
	return n, nil
}

// entries returns the subject's IDs and the entries naming any of them, in
// chain order.
func (k AuditKind) entries(ctx context.Context, s Subject) (map[string]bool, []store.AuditEntry, error) {
	ids, err := k.subjectIDs(ctx, s)
	if err != nil {
		return nil, nil, err
	}
	bySeq := map[int64]store.AuditEntry{}
	for id := range ids {
		for _, f := range []store.AuditFilter{{Actor: id}, {Target: id}} {
			es, err := k.Store.AuditEntries(ctx, f)
			if err != nil {
				return nil, nil, fmt.Errorf("audit_log: %w", err)
			}
			for _, e := range es {
				bySeq[e.Seq] = e
			}
		}
	}
	out := make([]store.AuditEntry, 0, len(bySeq))
	for _, e := range bySeq {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return ids, out, nil
}

// subjectIDs adds to an account the participant IDs it joined meetings
// as: the signalling server records a signed-in join with the account as
// actor and the participant as target.
func (k AuditKind) subjectIDs(ctx context.Context, s Subject) (map[string]bool, error) {
	ids := map[string]bool{s.ID: true}
	if !strings.HasPrefix(s.ID, "u_") {
		return ids, nil
	}
	es, err := k.Store.AuditEntries(ctx, store.AuditFilter{Actor: s.ID})
	if err != nil {
		return nil, fmt.Errorf("audit_log: %w", err)
	}
	for _, e := range es {
		if strings.HasPrefix(e.Action, "meeting.join.") && strings.HasPrefix(e.Target, "p_") {
			ids[e.Target] = true
		}
	}
	return ids, nil
}

// Participant is one participant of a meeting as the audit log knows it.
type Participant struct {
	ID       string    `json:"id"`
	Account  string    `json:"account,omitempty"` // the account that joined as it; "" for a guest
	FirstAt  time.Time `json:"first_at"`
	LastAt   time.Time `json:"last_at"`
	Outcomes []string  `json:"actions"`
}

// MeetingParticipants lists the participant IDs that tried to join a
// meeting, so that a guest, who has no account, can be found by meeting
// and time.
func MeetingParticipants(ctx context.Context, st AuditReader, meetingID string) ([]Participant, error) {
	es, err := st.AuditEntries(ctx, store.AuditFilter{Meeting: meetingID})
	if err != nil {
		return nil, fmt.Errorf("meeting participants: %w", err)
	}
	byID := map[string]*Participant{}
	var order []string
	for _, e := range es {
		if !strings.HasPrefix(e.Action, "meeting.join.") || !strings.HasPrefix(e.Target, "p_") {
			continue
		}
		p, ok := byID[e.Target]
		if !ok {
			p = &Participant{ID: e.Target, FirstAt: e.Time}
			byID[e.Target], order = p, append(order, e.Target)
		}
		if strings.HasPrefix(e.Actor, "u_") {
			p.Account = e.Actor
		}
		p.LastAt = e.Time
		p.Outcomes = append(p.Outcomes, e.Action)
	}
	out := make([]Participant, 0, len(order))
	for _, id := range order {
		out = append(out, *byID[id])
	}
	return out, nil
}
