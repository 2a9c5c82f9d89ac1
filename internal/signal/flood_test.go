package signal_test

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/notice"
	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/signal"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
	"github.com/conclave-meet/conclave/internal/testclock"
	"github.com/conclave-meet/conclave/internal/testserver"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// Floods from one outsider: whatever they send, the database grows by a
// bounded number of rows (docs/security.md, "Limits and expiry").

func (f *fakeAudit) count(action audit.Action) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, ev := range f.events {
		if ev.Action == action {
			n++
		}
	}
	return n
}

func (f *fakeAudit) len() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.events)
}

func errorCode(m msg) string {
	var e struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(m.Data, &e)
	return e.Code
}

// TestLockedMeetingFloodWritesBoundedRows: 100 joins with the right
// passcode to a locked meeting record no consent (nobody entered) and at
// most one refusal and one lock-out entry.
func TestLockedMeetingFloodWritesBoundedRows(t *testing.T) {
	log := &fakeAudit{}
	notices := &fakeNotices{version: 1, audit: log}
	clk := testclock.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	refusals := audit.NewCoalescer(log, audit.CoalesceOptions{Window: time.Minute, Now: clk.Now})
	srv := testserver.Start(t, testserver.Options{
		Meeting: &store.Meeting{Title: "Guarded", HostID: hostUser.ID, WaitingRoom: true, ScreenShare: store.ScreenSharePresenters},
		Users:   []store.User{hostUser}, Notices: notices, Audit: log, Refusals: refusals,
	})
	host := dialAs(t, srv.WS, hostUser.ID)
	if m := host.hello("Hana", testserver.Passcode, map[string]any{"notice_version": 1}); m.Type != "welcome" {
		t.Fatalf("host: %s %s", m.Type, m.Data)
	}
	if got := host.outcome("lock", map[string]bool{"locked": true}); got != "ok" {
		t.Fatalf("lock: %s", got)
	}
	before := log.len()
	locked := 0
	for i := range 100 {
		c := dialAs(t, srv.WS, "")
		m := c.hello("Eve", testserver.Passcode, map[string]any{"notice_version": 1})
		code := errorCode(m)
		if m.Type != "error" || code != protocol.CodeMeetingLocked && code != protocol.CodeTooManyAttempts {
			t.Fatalf("join %d to a locked meeting: %s %s", i, m.Type, m.Data)
		}
		if code == protocol.CodeMeetingLocked {
			locked++
		}
		c.ws.CloseNow()
	}
	if got := notices.entries(); len(got) != 1 {
		t.Fatalf("%d consent rows after 100 refused joins, want only the host's", len(got))
	}
	refused, lockouts := log.count(audit.MeetingJoinRefused), log.count(audit.MeetingJoinLockout)
	if refused > 1 || lockouts > 1 || log.len()-before != refused+lockouts {
		t.Fatalf("100 refused joins wrote %d entries (%d refusals, %d lock-outs), want at most one of each",
			log.len()-before, refused, lockouts)
	}
	// When the window closes, one summary counts the rest.
	clk.Advance(time.Minute)
	if err := refusals.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	summary := log.last()
	if log.count(audit.MeetingJoinRefused) != 2 || summary.Details[audit.CountDetail] != strconv.Itoa(locked-1) ||
		summary.Details["reason"] != protocol.CodeMeetingLocked {
		t.Fatalf("summary %+v, want meeting_locked with count %d", summary, locked-1)
	}
}

func (f *fakeAudit) last() audit.Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.events[len(f.events)-1]
}

// TestJoinsRateLimited: joins count against the address whatever the
// passcode; past the limit even a right one is refused, and the lock-out
// is recorded once.
func TestJoinsRateLimited(t *testing.T) {
	log := &fakeAudit{}
	p := throttle.Policy{MaxFailures: 5, Window: time.Minute, Lockout: time.Minute, MaxKeys: 10}
	srv := testserver.Start(t, testserver.Options{Audit: log, Joins: throttle.New(p, nil)})
	for i, pass := range []string{"wrong", testserver.Passcode, "wrong", testserver.Passcode, testserver.Passcode} {
		c := dialAs(t, srv.WS, "")
		if m := c.hello("Ada", pass, nil); m.Type == "error" && errorCode(m) == protocol.CodeTooManyAttempts {
			t.Fatalf("join %d within the limit: %s", i+1, m.Data)
		}
	}
	for range 3 {
		c := dialAs(t, srv.WS, "")
		if m := c.hello("Ada", testserver.Passcode, nil); m.Type != "error" || errorCode(m) != protocol.CodeTooManyAttempts || !m.has(`"retry_after":`) {
			t.Fatalf("join past the limit: %s %s", m.Type, m.Data)
		}
	}
	if n := log.count(audit.MeetingJoinLockout); n != 2 {
		t.Fatalf("%d lock-out entries, want one per key (address, meeting)", n)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, ev := range log.events {
		if ev.Action == audit.MeetingJoinLockout && ev.Details["limit"] != "joins" {
			t.Fatalf("lock-out entry %+v does not name the join limit", ev)
		}
	}
}

// passcodeGate holds every passcode check until n have arrived, so that
// they all pass the throttle's first check together; the right passcode
// is then held until the wrong ones have locked the address out.
type passcodeGate struct {
	inner   signal.MeetingAuthorizer
	n       int
	mu      sync.Mutex
	arrived int
	all     chan struct{}
	locked  <-chan struct{}
}

func (g *passcodeGate) Authorize(ctx context.Context, id, passcode string) (store.Meeting, error) {
	g.mu.Lock()
	if g.arrived++; g.arrived == g.n {
		close(g.all)
	}
	g.mu.Unlock()
	deadline := time.After(30 * time.Second) // a guard against a hang, not a wait
	select {
	case <-g.all:
	case <-deadline:
		return store.Meeting{}, errors.New("gate: not every check arrived")
	}
	if passcode == testserver.Passcode {
		select {
		case <-g.locked:
		case <-deadline:
			return store.Meeting{}, errors.New("gate: the address was never locked")
		}
	}
	return g.inner.Authorize(ctx, id, passcode)
}

// lockoutAudit signals the first lock-out of a client address.
type lockoutAudit struct {
	fakeAudit
	once   sync.Once
	locked chan struct{}
}

func (l *lockoutAudit) Append(ctx context.Context, ev audit.Event) (audit.Entry, error) {
	if ev.Action == audit.MeetingJoinLockout && ev.Details["scope"] == throttle.ScopeIP {
		defer l.once.Do(func() { close(l.locked) })
	}
	return l.fakeAudit.Append(ctx, ev)
}

// TestParallelPasscodesCannotOutrunLockout: 100 wrong passcodes and a
// right one sent in parallel from one address all pass the throttle's
// first check; once the lock-out has taken hold the right one is refused
// too, and no more wrong ones are answered join_refused than the limit.
func TestParallelPasscodesCannotOutrunLockout(t *testing.T) {
	const wrong = 100
	log := &lockoutAudit{locked: make(chan struct{})}
	gate := &passcodeGate{n: wrong + 1, all: make(chan struct{}), locked: log.locked}
	joins := throttle.Policy{MaxFailures: 1000, Window: time.Minute, Lockout: time.Minute, MaxKeys: 10}
	srv := testserver.Start(t, testserver.Options{
		Audit: log, Passcodes: throttle.NewPasscodes(nil), Joins: throttle.New(joins, nil),
		WrapMeetings: func(m signal.MeetingAuthorizer) signal.MeetingAuthorizer { gate.inner = m; return gate },
	})
	codes := make(chan string, wrong+1)
	var wg sync.WaitGroup
	for i := range wrong + 1 {
		c := dialAs(t, srv.WS, "")
		pass := "wrong"
		if i == wrong {
			pass = testserver.Passcode
		}
		wg.Go(func() {
			c.send("hello", map[string]any{"version": 1, "meeting_id": testserver.MeetingID, "passcode": pass, "name": "Eve"})
			m := c.next("welcome", "waiting", "error")
			code := m.Type
			if m.Type == "error" {
				code = errorCode(m)
			}
			if pass == testserver.Passcode {
				code = "right:" + code
			}
			codes <- code
		})
	}
	wg.Wait()
	close(codes)
	answers := map[string]int{}
	for c := range codes {
		answers[c]++
	}
	if answers["right:"+protocol.CodeTooManyAttempts] != 1 {
		t.Errorf("the right passcode after the lock-out was answered %v, want too_many_attempts", answers)
	}
	if n := answers[protocol.CodeJoinRefused]; n > throttle.PasscodePolicy().MaxFailures {
		t.Errorf("%d wrong passcodes answered join_refused, limit %d: %v", n, throttle.PasscodePolicy().MaxFailures, answers)
	}
}

// failingAudit is a store whose audit log cannot be written: a full disk.
type failingAudit struct {
	store.Store
}

var errDiskFull = errors.New("database or disk is full")

func (f failingAudit) AppendAudit(context.Context, store.AuditEntry, store.AuditSeal) (store.AuditEntry, error) {
	return store.AuditEntry{}, errDiskFull
}

// AddConsentAudited runs the real transaction, whose audit half fails.
func (f failingAudit) AddConsentAudited(ctx context.Context, c store.Consent, e store.AuditEntry, _ store.AuditSeal) (store.Consent, store.AuditEntry, error) {
	return f.Store.AddConsentAudited(ctx, c, e, func(store.AuditEntry) (store.AuditEntry, error) {
		return store.AuditEntry{}, errDiskFull
	})
}

// TestConsentNotLeftWithoutAuditEntry: when the consent's audit entry
// cannot be written, the consent row is not written either, and the
// participant is not let in.
func TestConsentNotLeftWithoutAuditEntry(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := audit.New(failingAudit{st}, audit.Options{Key: []byte("signal test audit key, 32 bytes.")})
	notices := &notice.Service{Store: st, Audit: log}
	n, err := notices.EnsureDefault(ctx)
	if err != nil {
		t.Fatal(err)
	}
	srv := testserver.Start(t, testserver.Options{Notices: notices, Audit: log,
		Users: []store.User{{ID: "u_ada", Name: "Ada", Role: store.RoleMember}}})
	c := dialAs(t, srv.WS, "u_ada")
	if m := c.hello("Ada", testserver.Passcode, map[string]any{"notice_version": n.Version}); m.Type != "error" || errorCode(m) != protocol.CodeInternal {
		t.Fatalf("join without an audit log: %s %s, want internal", m.Type, m.Data)
	}
	got, err := st.ConsentsBySubject(ctx, "u_ada")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("consent rows without their audit entry: %+v", got)
	}
	if meetings, people := srv.Rooms.Count(); people != 0 {
		t.Fatalf("%d people in %d meetings after a join that could not be recorded", people, meetings)
	}
}
