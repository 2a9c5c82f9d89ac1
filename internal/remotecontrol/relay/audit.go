package relay

import (
	"context"
	"log/slog"
	"maps"
	"sync"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/room"
)

// Auditor appends to the audit log (*audit.Log).
type Auditor interface {
	Append(ctx context.Context, ev audit.Event) (audit.Entry, error)
}

// AuditRecorder writes the room's remote control records to the audit
// log (room.ControlRecorder). The room hands records over under its lock,
// so RecordControl only queues; one goroutine at a time appends them, in
// the order they came.
type AuditRecorder struct {
	a   Auditor
	log *slog.Logger

	mu      sync.Mutex
	queue   []audit.Event
	running bool
	idle    *sync.Cond // signalled when the queue drains (Flush)
}

// NewAuditRecorder records into a; log receives failed writes.
func NewAuditRecorder(a Auditor, log *slog.Logger) *AuditRecorder {
	if log == nil {
		log = slog.Default()
	}
	rec := &AuditRecorder{a: a, log: log}
	rec.idle = sync.NewCond(&rec.mu)
	return rec
}

// auditActions maps the room's record kinds to audit actions.
var auditActions = map[string]audit.Action{
	room.ControlRecordRequest: audit.RemoteControlRequest,
	room.ControlRecordGrant:   audit.RemoteControlGrant,
	room.ControlRecordRefuse:  audit.RemoteControlRefuse,
	room.ControlRecordEnd:     audit.RemoteControlEnd,
}

// RecordControl implements room.ControlRecorder.
func (a *AuditRecorder) RecordControl(rec room.ControlRecord) {
	action, ok := auditActions[rec.Kind]
	if !ok {
		return
	}
	outcome := audit.Success
	if rec.Kind == room.ControlRecordRefuse {
		outcome = audit.Denied
	}
	meeting := rec.MeetingID
	if !audit.ValidMeetingID(meeting) {
		meeting = ""
	}
	ev := audit.Event{Action: action, Actor: rec.Actor, Target: rec.Target, Meeting: meeting, Outcome: outcome,
		Details: maps.Clone(rec.Details)}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.queue = append(a.queue, ev)
	if !a.running {
		a.running = true
		go a.drain()
	}
}

// auditTimeout bounds one append.
const auditTimeout = 10 * time.Second

func (a *AuditRecorder) drain() {
	for {
		a.mu.Lock()
		if len(a.queue) == 0 {
			a.running = false
			a.idle.Broadcast()
			a.mu.Unlock()
			return
		}
		ev := a.queue[0]
		a.queue = a.queue[1:]
		a.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), auditTimeout)
		if _, err := a.a.Append(ctx, ev); err != nil {
			a.log.Error("audit write failed", "action", string(ev.Action), "err", err)
		}
		cancel()
	}
}

// Flush waits until every record handed over so far is written (server
// shutdown, tests).
func (a *AuditRecorder) Flush() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for a.running {
		a.idle.Wait()
	}
}
