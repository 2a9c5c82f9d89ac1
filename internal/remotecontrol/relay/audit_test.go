package relay

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/room"
)

// fakeAuditor keeps what it is given; gate, when set, holds each append
// until the test lets it go; fail fails the appends of these actions.
type fakeAuditor struct {
	gate chan struct{}
	fail map[audit.Action]bool

	mu     sync.Mutex
	events []audit.Event
}

func (f *fakeAuditor) Append(ctx context.Context, ev audit.Event) (audit.Entry, error) {
	if f.gate != nil {
		<-f.gate
	}
	if f.fail[ev.Action] {
		return audit.Entry{}, errors.New("disk full")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, ev)
	return audit.Entry{}, nil
}

func (f *fakeAuditor) got() []audit.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

const meetingID = "abc-defg-hij"

// records is a grant's life as the room hands it over.
var records = []room.ControlRecord{
	{Kind: room.ControlRecordRequest, MeetingID: meetingID, Actor: "u-ctl", Target: "p-sharer", Details: map[string]string{"request": "r1"}},
	{Kind: room.ControlRecordRefuse, MeetingID: meetingID, Actor: "u-sharer", Target: "p-ctl", Details: map[string]string{"request": "r1", "reason": "refused"}},
	{Kind: room.ControlRecordRequest, MeetingID: meetingID, Actor: "u-ctl", Target: "p-sharer", Details: map[string]string{"request": "r2"}},
	{Kind: room.ControlRecordGrant, MeetingID: meetingID, Actor: "u-sharer", Target: "p-ctl", Details: map[string]string{"request": "r2", "grant": "g1"}},
	{Kind: room.ControlRecordEnd, MeetingID: meetingID, Target: "p-ctl", Details: map[string]string{"grant": "g1", "sharer": "p-sharer", "cause": "flood"}},
}

// TestAuditRecorderInOrder: each record becomes its audit action, in the
// order handed over; a refusal is Denied, the rest Success.
func TestAuditRecorderInOrder(t *testing.T) {
	a := &fakeAuditor{}
	rec := NewAuditRecorder(a, nil)
	for _, r := range records {
		rec.RecordControl(r)
	}
	rec.Flush()
	got := a.got()
	want := []struct {
		action  audit.Action
		outcome audit.Outcome
	}{
		{audit.RemoteControlRequest, audit.Success},
		{audit.RemoteControlRefuse, audit.Denied},
		{audit.RemoteControlRequest, audit.Success},
		{audit.RemoteControlGrant, audit.Success},
		{audit.RemoteControlEnd, audit.Success},
	}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		ev, r := got[i], records[i]
		if ev.Action != w.action || ev.Outcome != w.outcome || ev.Actor != r.Actor || ev.Target != r.Target ||
			ev.Meeting != meetingID || ev.Details["request"] != r.Details["request"] || ev.Details["cause"] != r.Details["cause"] {
			t.Errorf("event %d: %+v, want %s %s from %+v", i, ev, w.action, w.outcome, r)
		}
	}
}

// TestAuditRecorderCopiesDetails: the room may reuse its map after handing
// a record over; the queued event keeps what it said then.
func TestAuditRecorderCopiesDetails(t *testing.T) {
	a := &fakeAuditor{gate: make(chan struct{})}
	rec := NewAuditRecorder(a, nil)
	d := map[string]string{"grant": "g1", "cause": "revoked"}
	rec.RecordControl(room.ControlRecord{Kind: room.ControlRecordEnd, MeetingID: meetingID, Details: d})
	d["cause"] = "changed"
	close(a.gate)
	rec.Flush()
	if got := a.got(); len(got) != 1 || got[0].Details["cause"] != "revoked" {
		t.Fatalf("%+v", got)
	}
}

// TestAuditRecorderDrops: an unknown kind is not audited; a meeting ID
// the audit log would refuse is left out rather than losing the record.
func TestAuditRecorderDrops(t *testing.T) {
	a := &fakeAuditor{}
	rec := NewAuditRecorder(a, nil)
	rec.RecordControl(room.ControlRecord{Kind: "teleport", MeetingID: meetingID})
	rec.RecordControl(room.ControlRecord{Kind: room.ControlRecordGrant, MeetingID: "not a meeting\n", Actor: "u-sharer"})
	rec.Flush()
	got := a.got()
	if len(got) != 1 || got[0].Action != audit.RemoteControlGrant || got[0].Meeting != "" || got[0].Actor != "u-sharer" {
		t.Fatalf("%+v", got)
	}
}

// TestAuditRecorderFlushWaits: RecordControl returns at once, even while
// the log is slow (the room calls it under its lock); Flush returns only
// once everything handed over is written.
func TestAuditRecorderFlushWaits(t *testing.T) {
	a := &fakeAuditor{gate: make(chan struct{})}
	rec := NewAuditRecorder(a, nil)
	for _, r := range records {
		rec.RecordControl(r) // would hang here if it waited for the log
	}
	flushed := make(chan int)
	go func() {
		rec.Flush()
		flushed <- len(a.got())
	}()
	close(a.gate)
	if n := <-flushed; n != len(records) {
		t.Fatalf("Flush returned with %d of %d written", n, len(records))
	}
	// After a drain, a new record starts a new one.
	rec.RecordControl(records[0])
	rec.Flush()
	if n := len(a.got()); n != len(records)+1 {
		t.Fatalf("%d written", n)
	}
	rec.Flush() // nothing pending: returns
}

// TestAuditRecorderFailedWrite: a failed append is logged and the next
// records still go in.
func TestAuditRecorderFailedWrite(t *testing.T) {
	a := &fakeAuditor{fail: map[audit.Action]bool{audit.RemoteControlRequest: true}}
	var logs bytes.Buffer
	rec := NewAuditRecorder(a, slog.New(slog.NewTextHandler(&logs, nil)))
	for _, r := range records {
		rec.RecordControl(r)
	}
	rec.Flush()
	if got := a.got(); len(got) != 3 {
		t.Fatalf("%d written, want the 3 that did not fail", len(got))
	}
	if !strings.Contains(logs.String(), "audit write failed") || !strings.Contains(logs.String(), "remote_control.request") {
		t.Fatalf("log: %s", logs.String())
	}
}
