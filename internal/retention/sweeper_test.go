package retention

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeKind holds records by creation time and meeting, and deletes them
// as Expire is asked to.
type fakeKind struct {
	name string
	cat  privacy.Category
	fail error

	mu      sync.Mutex
	records []record
	calls   []time.Time // cut-offs Expire was called with
}

type record struct {
	meeting string
	at      time.Time
}

func (f *fakeKind) Declare() privacy.Declaration {
	return privacy.Declaration{Name: f.name, Category: f.cat, Description: "d", Purpose: "p",
		LegalBasis: privacy.Contract, Storage: "table " + f.name, Fields: []string{"x"}}
}
func (*fakeKind) Export(context.Context, privacy.Subject) ([]privacy.Item, error) { return nil, nil }
func (*fakeKind) Erase(context.Context, privacy.Subject) (privacy.Erased, error) {
	return privacy.Erased{}, nil
}

func (f *fakeKind) Expire(ctx context.Context, before time.Time) (int, error) {
	return f.ExpireMeetings(ctx, before, nil)
}

func (f *fakeKind) ExpireMeetings(_ context.Context, before time.Time, cutoffs map[string]time.Time) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, before)
	if f.fail != nil {
		return 0, f.fail
	}
	kept := f.records[:0]
	n := 0
	for _, r := range f.records {
		cut, own := cutoffs[r.meeting]
		if !own {
			cut = before
		}
		if r.at.Before(cut) {
			n++
			continue
		}
		kept = append(kept, r)
	}
	f.records = kept
	return n, nil
}

// plainKind hides ExpireMeetings: a kind that cannot honour meeting periods.
type plainKind struct{ *fakeKind }

func (p plainKind) ExpireMeetings() {}

func (f *fakeKind) left() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.records)
}

type fakeOverrides map[string]map[string]time.Duration

func (o fakeOverrides) MeetingRetentions(_ context.Context, cat string) (map[string]time.Duration, error) {
	return o[cat], nil
}

func newAuditLog(t *testing.T) (*audit.Log, store.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return audit.New(st, audit.Options{Key: []byte("k"), Now: func() time.Time { return now }}), st
}

func ago(d time.Duration) time.Time { return now.Add(-d) }

func sweepEntries(t *testing.T, log *audit.Log) []audit.Entry {
	t.Helper()
	es, err := log.Entries(context.Background(), store.AuditFilter{Action: string(audit.RetentionSweep)})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestSweepDeletesWhatIsOlderThanItsCategory(t *testing.T) {
	reg := privacy.NewRegistry()
	rec := &fakeKind{name: "recordings", cat: privacy.CatRecording,
		records: []record{{"m1", ago(31 * 24 * time.Hour)}, {"m1", ago(29 * 24 * time.Hour)}}}
	acct := &fakeKind{name: "accounts", cat: privacy.CatAccount, records: []record{{"", ago(5000 * 24 * time.Hour)}}}
	logs := &fakeKind{name: "audit", cat: privacy.CatAudit, records: []record{{"", ago(800 * 24 * time.Hour)}, {"", ago(700 * 24 * time.Hour)}}}
	for _, k := range []privacy.Kind{rec, acct, logs} {
		if err := reg.Register(k); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.DefaultPrivacy()
	cfg.RetentionAccount = 0 // kept until deleted
	log, _ := newAuditLog(t)
	s := &Sweeper{Registry: reg, Policy: FromConfig(cfg), Audit: log, Now: func() time.Time { return now }}

	res, err := s.Sweep(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rec.left() != 1 || logs.left() != 1 || acct.left() != 1 {
		t.Fatalf("left: recordings %d, audit %d, accounts %d", rec.left(), logs.left(), acct.left())
	}
	if len(acct.calls) != 0 {
		t.Fatal("a category kept forever was expired")
	}
	if got := rec.calls[0]; !got.Equal(ago(30 * 24 * time.Hour)) {
		t.Fatalf("recording cut-off %v", got)
	}
	if res.Deleted[privacy.CatRecording] != 1 || res.Deleted[privacy.CatAudit] != 1 {
		t.Fatalf("result %+v", res)
	}
	es := sweepEntries(t, log)
	if len(es) != 1 || es[0].Outcome != string(audit.Success) || es[0].Details["recording"] != "1" ||
		es[0].Details["audit_log"] != "1" || es[0].Details["account"] != "" || es[0].Actor != "" {
		t.Fatalf("audit entries %+v", es)
	}
}

func TestSweepAppliesMeetingPeriods(t *testing.T) {
	reg := privacy.NewRegistry()
	scoped := &fakeKind{name: "chat", cat: privacy.CatChat, records: []record{
		{"short", ago(3 * time.Hour)}, {"long", ago(60 * 24 * time.Hour)}, {"other", ago(60 * 24 * time.Hour)},
	}}
	plain := plainKind{&fakeKind{name: "files", cat: privacy.CatFile, records: []record{
		{"short", ago(3 * time.Hour)}, {"long", ago(60 * 24 * time.Hour)},
	}}}
	for _, k := range []privacy.Kind{scoped, plain} {
		if err := reg.Register(k); err != nil {
			t.Fatal(err)
		}
	}
	ov := fakeOverrides{
		"chat": {"short": 2 * time.Hour, "long": 90 * 24 * time.Hour},
		"file": {"short": 2 * time.Hour, "long": 90 * 24 * time.Hour},
	}
	log, _ := newAuditLog(t)
	s := &Sweeper{Registry: reg, Policy: FromConfig(config.DefaultPrivacy()), Overrides: ov, Audit: log, Now: func() time.Time { return now }}
	if _, err := s.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if scoped.left() != 1 || scoped.records[0].meeting != "long" {
		t.Fatalf("chat left %+v: want only the meeting kept for 90 days", scoped.records)
	}
	// Without ExpireMeetings the organisation's 30 days apply to all.
	if plain.left() != 1 || plain.records[0].meeting != "short" {
		t.Fatalf("files left %+v", plain.records)
	}
}

func TestSweepGoesOnAfterAFailureAndRecordsIt(t *testing.T) {
	reg := privacy.NewRegistry()
	bad := &fakeKind{name: "broken", cat: privacy.CatConsent, fail: errors.New("disk on fire")}
	odd := &fakeKind{name: "odd", cat: "telemetry", records: []record{{"", ago(9000 * 24 * time.Hour)}}}
	good := &fakeKind{name: "meetings", cat: privacy.CatMeeting, records: []record{{"", ago(100 * 24 * time.Hour)}}}
	for _, k := range []privacy.Kind{bad, odd, good} {
		if err := reg.Register(k); err != nil {
			t.Fatal(err)
		}
	}
	log, _ := newAuditLog(t)
	s := &Sweeper{Registry: reg, Policy: FromConfig(config.DefaultPrivacy()), Audit: log, Now: func() time.Time { return now }}
	_, err := s.Sweep(context.Background())
	if err == nil || !strings.Contains(err.Error(), "disk on fire") || !strings.Contains(err.Error(), "telemetry") {
		t.Fatalf("err = %v", err)
	}
	if good.left() != 0 {
		t.Fatal("a failing kind stopped the others")
	}
	if odd.left() != 1 || len(odd.calls) != 0 {
		t.Fatal("a kind of an unknown category was expired")
	}
	es := sweepEntries(t, log)
	if len(es) != 1 || es[0].Outcome != string(audit.Failure) || es[0].Details["failed"] != "broken,odd" || es[0].Details["meeting"] != "1" {
		t.Fatalf("audit entries %+v", es)
	}
}

// TestRunSweepsOnEveryTick drives the loop with a channel of its own
// instead of a timer.
func TestRunSweepsOnEveryTick(t *testing.T) {
	reg := privacy.NewRegistry()
	k := &fakeKind{name: "chat", cat: privacy.CatChat}
	if err := reg.Register(k); err != nil {
		t.Fatal(err)
	}
	log, _ := newAuditLog(t)
	clock := now
	var mu sync.Mutex
	s := &Sweeper{Registry: reg, Policy: FromConfig(config.DefaultPrivacy()), Audit: log,
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }}
	ticks := make(chan chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx, time.Hour, func(d time.Duration) <-chan time.Time {
			if d != time.Hour {
				t.Errorf("interval %v", d)
			}
			c := make(chan time.Time, 1)
			ticks <- c
			return c
		})
	}()
	for range 3 {
		c := <-ticks // the loop waits for its next sweep
		mu.Lock()
		clock = clock.Add(time.Hour)
		mu.Unlock()
		c <- clock
	}
	<-ticks // the third sweep is done
	cancel()
	<-done
	k.mu.Lock()
	calls := append([]time.Time(nil), k.calls...)
	k.mu.Unlock()
	if len(calls) != 3 || !calls[1].Equal(calls[0].Add(time.Hour)) {
		t.Fatalf("cut-offs %v", calls)
	}
	if n := len(sweepEntries(t, log)); n != 3 {
		t.Fatalf("%d sweeps recorded, want 3", n)
	}
}

func TestCheckOverride(t *testing.T) {
	p := FromConfig(config.DefaultPrivacy())
	if err := p.CheckOverride(privacy.CatRecording, 7*24*time.Hour); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		cat privacy.Category
		d   time.Duration
	}{{privacy.CatRecording, time.Minute}, {privacy.CatRecording, 91 * 24 * time.Hour}, {privacy.CatAudit, 48 * time.Hour}} {
		if err := p.CheckOverride(tc.cat, tc.d); !errors.Is(err, ErrOverride) {
			t.Errorf("%s %v: err = %v", tc.cat, tc.d, err)
		}
	}
	if Text(30*24*time.Hour) != "30 days" || Text(0) != "kept until deleted" || Text(90*time.Minute) != "1h30m0s" {
		t.Fatal("Text")
	}
}
