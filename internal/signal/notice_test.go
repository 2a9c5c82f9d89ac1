package signal_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// fakeNotices is an in-memory notice at a fixed version and its ledger;
// audit, when set, receives each acceptance's entry, as the one
// transaction of the real service would write it.
type fakeNotices struct {
	version int
	audit   *fakeAudit
	mu      sync.Mutex
	ledger  []store.Consent
}

func (f *fakeNotices) CurrentNoticeVersion(context.Context) (int, error) { return f.version, nil }

func (f *fakeNotices) RecordAcceptance(ctx context.Context, subject string, version int, meetingID string, ev audit.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ledger = append(f.ledger, store.Consent{SubjectID: subject, Kind: store.ConsentNotice, Version: version, MeetingID: meetingID})
	if f.audit != nil {
		_, _ = f.audit.Append(ctx, ev)
	}
	return nil
}

func (f *fakeNotices) entries() []store.Consent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]store.Consent(nil), f.ledger...)
}

// fakeAudit collects audit events.
type fakeAudit struct {
	mu     sync.Mutex
	events []audit.Event
}

func (f *fakeAudit) Append(_ context.Context, ev audit.Event) (audit.Entry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, ev)
	return audit.Entry{}, nil
}

func (f *fakeAudit) consents() []audit.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []audit.Event
	for _, ev := range f.events {
		if ev.Action == audit.ConsentGiven {
			out = append(out, ev)
		}
	}
	return out
}

func dialNotice(t *testing.T, srv *testserver.Server, version int, header http.Header) (*client.Client, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, srv.WS, client.Hello{MeetingID: testserver.MeetingID, Passcode: testserver.Passcode,
		Name: "Ada", NoticeVersion: version}, client.Options{Header: header})
	if err == nil {
		t.Cleanup(c.Close)
	}
	return c, err
}

func TestHelloNeedsCurrentNotice(t *testing.T) {
	notices := &fakeNotices{version: 2}
	srv := testserver.Start(t, testserver.Options{Notices: notices, Audit: &fakeAudit{}})
	for _, v := range []int{0, 1, 3} {
		_, err := dialNotice(t, srv, v, nil)
		var e *client.Error
		if !errors.As(err, &e) || e.Code != protocol.CodeNoticeRequired || e.NoticeVersion != 2 {
			t.Fatalf("hello with notice_version %d: %v (%+v), want notice_required carrying version 2", v, err, e)
		}
	}
	if got := notices.entries(); len(got) != 0 {
		t.Fatalf("refused hellos were recorded as acceptances: %+v", got)
	}
	if meetings, people := srv.Rooms.Count(); meetings != 0 || people != 0 {
		t.Fatalf("%d live meetings with %d people after refused hellos", meetings, people)
	}
}

func TestNoticeAcceptanceRecorded(t *testing.T) {
	log := &fakeAudit{}
	notices := &fakeNotices{version: 2, audit: log}
	srv := testserver.Start(t, testserver.Options{Notices: notices, Audit: log,
		Users: []store.User{{ID: "u_ada", Name: "Ada", Role: store.RoleMember}}})
	guest, err := dialNotice(t, srv, 2, nil)
	if err != nil {
		t.Fatalf("guest with the current version: %v", err)
	}
	if _, err := dialNotice(t, srv, 2, http.Header{"X-Test-User": {"u_ada"}}); err != nil {
		t.Fatalf("account with the current version: %v", err)
	}
	got := notices.entries()
	if len(got) != 2 {
		t.Fatalf("ledger %+v, want two acceptances", got)
	}
	// A guest is recorded by participant ID, an account by account ID.
	want := []string{guest.ID(), "u_ada"}
	for i, c := range got {
		if c.SubjectID != want[i] || c.Version != 2 || c.MeetingID != testserver.MeetingID || c.Kind != store.ConsentNotice {
			t.Errorf("acceptance %d: %+v, want subject %s version 2 in %s", i, c, want[i], testserver.MeetingID)
		}
	}
	evs := log.consents()
	if len(evs) != 2 || evs[0].Details["kind"] != "notice" || evs[0].Details["version"] != "2" || evs[1].Actor != "u_ada" {
		t.Fatalf("consent.given audit events %+v", evs)
	}
}

// TestNoNoticeCheckerNeedsNone: servers without a notice (tests, embedded
// uses) accept a hello without notice_version.
func TestNoNoticeCheckerNeedsNone(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	if _, err := dialNotice(t, srv, 0, nil); err != nil {
		t.Fatal(err)
	}
}
