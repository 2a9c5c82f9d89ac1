package signal_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// fakeRecordings starts fake recorders and remembers them.
type fakeRecordings struct {
	mu      sync.Mutex
	started []*fakeRec
	refuse  error
}

func (f *fakeRecordings) Start(_ context.Context, req room.RecordingRequest, onFault func(string, string)) (room.Recorder, room.RecordingInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.refuse != nil {
		return nil, room.RecordingInfo{}, f.refuse
	}
	r := &fakeRec{req: req, allowed: map[string]string{}, fault: onFault}
	f.started = append(f.started, r)
	return r, room.RecordingInfo{ID: "r_test", Purpose: req.Purpose, Access: "the host and privacy officers",
		Retention: 30 * 24 * time.Hour, StartedAt: time.Now()}, nil
}

func (f *fakeRecordings) last() *fakeRec {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.started) == 0 {
		return nil
	}
	return f.started[len(f.started)-1]
}

type fakeRec struct {
	req     room.RecordingRequest
	fault   func(id, reason string)
	mu      sync.Mutex
	allowed map[string]string
	stopped string
}

func (r *fakeRec) Allow(p, s string) { r.mu.Lock(); r.allowed[p] = s; r.mu.Unlock() }
func (r *fakeRec) Deny(p string)     { r.mu.Lock(); delete(r.allowed, p); r.mu.Unlock() }
func (r *fakeRec) Tap(sfu.Track) sfu.Sink {
	return nil
}
func (r *fakeRec) Stop(reason string) { r.mu.Lock(); r.stopped = reason; r.mu.Unlock() }
func (r *fakeRec) state() (map[string]string, string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.allowed), r.stopped
}

// fakeLedger is the consent ledger with its audit entries.
type fakeLedger struct {
	mu       sync.Mutex
	consents []store.Consent
	events   []audit.Event
	fail     bool
}

func (l *fakeLedger) AppendConsent(_ context.Context, c store.Consent, ev audit.Event) (store.Consent, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail {
		return store.Consent{}, errors.New("disk full")
	}
	l.consents = append(l.consents, c)
	l.events = append(l.events, ev)
	return c, nil
}

func (l *fakeLedger) WithdrawConsent(_ context.Context, subject, kind, meetingID string, at time.Time, ev audit.Event) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for i, c := range l.consents {
		if c.SubjectID == subject && c.Kind == kind && c.MeetingID == meetingID && c.WithdrawnAt.IsZero() {
			l.consents[i].WithdrawnAt = at
			n++
		}
	}
	if n > 0 {
		l.events = append(l.events, ev)
	}
	return n, nil
}

func (l *fakeLedger) snapshot() ([]store.Consent, []audit.Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]store.Consent(nil), l.consents...), append([]audit.Event(nil), l.events...)
}

type recState struct {
	Active  bool   `json:"active"`
	ID      string `json:"id"`
	By      string `json:"by"`
	Purpose string `json:"purpose"`
	Consent string `json:"consent"`
	Ended   string `json:"ended"`
	Days    int    `json:"retention_days"`
}

func (r *raw) recording() recState {
	r.t.Helper()
	var s recState
	if err := json.Unmarshal(r.next("recording").Data, &s); err != nil {
		r.t.Fatal(err)
	}
	return s
}

func recordingServer(t *testing.T, org bool) (*testserver.Server, *fakeRecordings, *fakeLedger) {
	t.Helper()
	recs, ledger := &fakeRecordings{}, &fakeLedger{}
	srv := testserver.Start(t, testserver.Options{
		Meeting: &store.Meeting{Title: "Recorded", HostID: hostUser.ID, Cohosts: []string{cohostUser.ID}, JoinBeforeHost: true,
			ScreenShare: store.ScreenSharePresenters, Recording: true},
		Users:      []store.User{hostUser, cohostUser, attUser},
		OrgPolicy:  room.OrgPolicy{Recording: org},
		Recordings: recs, Consents: ledger,
	})
	return srv, recs, ledger
}

// TestRecordingConsentOverTheWire: a host starts a recording and everyone
// is asked; nobody is recorded before answering; a consent is on the
// ledger (with its audit entry) before the recorder takes the person; a
// decline is on the ledger as a consent withdrawn at once; a withdrawal
// takes effect; an attendee can neither start nor stop it; the host stops
// it and everyone hears so.
func TestRecordingConsentOverTheWire(t *testing.T) {
	srv, recs, ledger := recordingServer(t, true)
	host := dialAs(t, srv.WS, hostUser.ID)
	host.hello("Hana", testserver.Passcode, nil)
	att := dialAs(t, srv.WS, attUser.ID)
	att.hello("Ari", testserver.Passcode, nil)
	guest := dialAs(t, srv.WS, "")
	guest.hello("Gus", testserver.Passcode, nil)

	if v := att.outcome("recording_start", map[string]string{"purpose": "mine"}); v != "forbidden" {
		t.Fatalf("an attendee starts a recording: %s", v)
	}
	if v := host.outcome("recording_start", map[string]string{"purpose": "Board minutes"}); v != "ok" {
		t.Fatalf("host starts: %s", v)
	}
	// (The host's own copy went by with the answer to its request.)
	for name, r := range map[string]*raw{"attendee": att, "guest": guest} {
		if s := r.recording(); !s.Active || s.ID != "r_test" || s.Purpose != "Board minutes" || s.Consent != "pending" ||
			s.By != host.id || s.Days != 30 {
			t.Fatalf("%s told %+v", name, s)
		}
	}
	rec := recs.last()
	if rec.req.StartedBy != hostUser.ID || rec.req.Purpose != "Board minutes" {
		t.Fatalf("started with %+v", rec.req)
	}
	if allowed, _ := rec.state(); len(allowed) != 0 {
		t.Fatalf("recorded before anyone answered: %v", allowed)
	}
	if v := host.outcome("recording_start", map[string]string{"purpose": "again"}); v != "forbidden" {
		t.Fatalf("a second recording: %s", v)
	}

	att.send("recording_consent", map[string]any{"id": "r_test", "consent": true})
	if s := att.recording(); s.Consent != "given" {
		t.Fatalf("attendee's answer %+v", s)
	}
	if v := guest.outcome("recording_consent", map[string]any{"id": "r_test", "consent": false}); v != "ok" {
		t.Fatal(v)
	}
	if allowed, _ := rec.state(); !maps.Equal(allowed, map[string]string{att.id: attUser.ID}) {
		t.Fatalf("allowed %v, want the attendee's account only", allowed)
	}
	consents, events := ledger.snapshot()
	if len(consents) != 2 || consents[0].SubjectID != attUser.ID || consents[0].Kind != store.ConsentRecording ||
		!consents[0].WithdrawnAt.IsZero() || consents[1].SubjectID != guest.id || consents[1].WithdrawnAt != consents[1].GivenAt {
		t.Fatalf("ledger %+v", consents)
	}
	if len(events) != 2 || events[0].Action != audit.ConsentGiven || events[1].Action != audit.ConsentDeclined {
		t.Fatalf("audit %+v", events)
	}

	// Withdrawal: at once, and on the ledger.
	if v := att.outcome("recording_consent", map[string]any{"id": "r_test", "consent": false}); v != "ok" {
		t.Fatal(v)
	}
	if allowed, _ := rec.state(); len(allowed) != 0 {
		t.Fatalf("still recorded after withdrawing: %v", allowed)
	}
	consents, events = ledger.snapshot()
	if consents[0].WithdrawnAt.IsZero() || events[len(events)-1].Action != audit.ConsentWithdrawn {
		t.Fatalf("withdrawal not on the ledger: %+v %+v", consents, events)
	}
	// An answer to a recording that is not running.
	if v := guest.outcome("recording_consent", map[string]any{"id": "r_other", "consent": true}); v != "not_found" {
		t.Fatalf("answer to another recording: %s", v)
	}
	if v := att.outcome("recording_stop", map[string]string{"id": "r_test"}); v != "forbidden" {
		t.Fatalf("an attendee stops it: %s", v)
	}
	if v := host.outcome("recording_stop", map[string]string{"id": "r_test"}); v != "ok" {
		t.Fatal(v)
	}
	if s := guest.recording(); s.Active || s.Ended != "stopped" {
		t.Fatalf("guest told %+v", s)
	}
	eventually.True(t, "the recorder to stop", func() bool {
		_, stopped := rec.state()
		return stopped == room.RecordingStopped
	})
}

// TestRecordingConsentNotOnRecord: when the ledger cannot keep a consent,
// the participant is told so and is not recorded.
func TestRecordingConsentNotOnRecord(t *testing.T) {
	srv, recs, ledger := recordingServer(t, true)
	host := dialAs(t, srv.WS, hostUser.ID)
	host.hello("Hana", testserver.Passcode, nil)
	if v := host.outcome("recording_start", map[string]string{"purpose": "x"}); v != "ok" {
		t.Fatal(v)
	}
	ledger.mu.Lock()
	ledger.fail = true
	ledger.mu.Unlock()
	if v := host.outcome("recording_consent", map[string]any{"id": "r_test", "consent": true}); v != "internal" {
		t.Fatalf("consent without the ledger: %s", v)
	}
	if allowed, _ := recs.last().state(); len(allowed) != 0 {
		t.Fatalf("recorded without a consent on record: %v", allowed)
	}
}

// TestRecordingRefusedByPolicy: without the organisation's permission
// nobody records, whatever the meeting says; a refusal of the recordings
// service (too many, disk) reaches the host as its own words.
func TestRecordingRefusedByPolicy(t *testing.T) {
	srv, recs, _ := recordingServer(t, false)
	host := dialAs(t, srv.WS, hostUser.ID)
	w := host.hello("Hana", testserver.Passcode, nil)
	if w.has(`"recording":true`) {
		t.Fatalf("welcome says recording is allowed: %s", w.Data)
	}
	if v := host.outcome("recording_start", map[string]string{"purpose": "x"}); v != "forbidden" {
		t.Fatalf("recording where the organisation forbids it: %s", v)
	}
	if recs.last() != nil {
		t.Fatal("a recorder was started")
	}

	srv, recs, _ = recordingServer(t, true)
	recs.refuse = refusal("the server is recording as many meetings as it may (2)")
	host = dialAs(t, srv.WS, hostUser.ID)
	if w := host.hello("Hana", testserver.Passcode, nil); !w.has(`"recording":true`) {
		t.Fatalf("welcome does not say recording is allowed: %s", w.Data)
	}
	if v := host.outcome("recording_start", map[string]string{"purpose": "x"}); v != "forbidden" {
		t.Fatalf("refused by the service: %s", v)
	}
}

type refusal string

func (r refusal) Error() string   { return string(r) }
func (r refusal) Refusal() string { return string(r) }

// TestRecordingStopsItselfOnLowDisk: when the recorder stops by itself
// (low disk), everyone hears why and the recorder is stopped once.
func TestRecordingStopsItselfOnLowDisk(t *testing.T) {
	srv, recs, _ := recordingServer(t, true)
	host := dialAs(t, srv.WS, hostUser.ID)
	host.hello("Hana", testserver.Passcode, nil)
	guest := dialAs(t, srv.WS, "")
	guest.hello("Gus", testserver.Passcode, nil)
	if v := host.outcome("recording_start", map[string]string{"purpose": "x"}); v != "ok" {
		t.Fatal(v)
	}
	if s := guest.recording(); !s.Active {
		t.Fatalf("guest told %+v", s)
	}
	rec := recs.last()
	rec.fault("r_test", room.RecordingDiskLow)
	if s := guest.recording(); s.Active || s.Ended != "disk_low" {
		t.Fatalf("guest told %+v", s)
	}
	if _, stopped := rec.state(); stopped != room.RecordingDiskLow {
		t.Fatalf("recorder stopped with %q", stopped)
	}
	rec.fault("r_test", room.RecordingDiskLow) // a second report changes nothing
	if v := host.outcome("recording_stop", map[string]string{"id": "r_test"}); v != "not_found" {
		t.Fatalf("stopping a recording that stopped itself: %s", v)
	}
}
