package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

func TestActionsClosedSet(t *testing.T) {
	if len(knownActions) != len(Actions) {
		t.Fatal("duplicate action")
	}
	for _, a := range Actions {
		if !a.Valid() || strings.ToLower(string(a)) != string(a) {
			t.Errorf("%q", a)
		}
	}
	for _, bad := range []Action{"", "auth.login", "AUTH.LOGIN.SUCCESS", "meeting.create "} {
		if bad.Valid() {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, o := range []Outcome{Success, Failure, Denied} {
		if !o.Valid() {
			t.Errorf("%q", o)
		}
	}
	if Outcome("ok").Valid() {
		t.Error("unknown outcome accepted")
	}
}

func TestAppendFillsEntry(t *testing.T) {
	l, _ := newMemLog(t, 0)
	details := map[string]string{"role": "admin"}
	e, err := l.Append(context.Background(), Event{
		Action: UserCreate, Target: "u_new", ClientAddr: "::ffff:192.0.2.7", Outcome: Success, Details: details,
	})
	if err != nil {
		t.Fatal(err)
	}
	details["role"] = "changed later"
	switch {
	case e.Seq != 1 || !bytes.Equal(e.PrevHash, Genesis) || len(e.Hash) != 32:
		t.Fatalf("chain fields %+v", e)
	case e.Time.Location().String() != "UTC" || !e.Time.After(t0):
		t.Fatalf("time %v", e.Time)
	case e.ClientAddr != "192.0.2.7" || len(e.AddrSalt) != AddrSaltLen || !addrMatches(e):
		t.Fatalf("address %q salt %x", e.ClientAddr, e.AddrSalt)
	case e.Details["role"] != "admin":
		t.Fatal("details not copied")
	}
	e2, err := l.Append(context.Background(), Event{Action: AuthSetup, Outcome: Success})
	if err != nil || e2.Seq != 2 || !bytes.Equal(e2.PrevHash, e.Hash) || e2.AddrHash != nil {
		t.Fatalf("second entry %+v %v", e2, err)
	}
}

func TestAddressSaltsDiffer(t *testing.T) {
	_, m := newMemLog(t, 2)
	if bytes.Equal(m.entries[0].AddrSalt, m.entries[1].AddrSalt) || bytes.Equal(m.entries[0].AddrHash, m.entries[1].AddrHash) {
		t.Fatal("same address, same commitment: an erased address could be matched across entries")
	}
}

func TestAppendRefusesInvalidEvents(t *testing.T) {
	ok := Event{Action: MeetingCreate, Actor: "u_a", Outcome: Success}
	cases := map[string]func(*Event){
		"unknown action":    func(e *Event) { e.Action = "meeting.explode" },
		"unknown outcome":   func(e *Event) { e.Outcome = "maybe" },
		"e-mail as actor":   func(e *Event) { e.Actor = "ada@example.org" },
		"name as target":    func(e *Event) { e.Target = "Ada Lovelace" },
		"bare id":           func(e *Event) { e.Actor = "u_" },
		"meeting with path": func(e *Event) { e.Meeting = "../x" },
		"addr with port":    func(e *Event) { e.ClientAddr = "192.0.2.1:443" },
		"host name":         func(e *Event) { e.ClientAddr = "example.org" },
		"detail key":        func(e *Event) { e.Details = map[string]string{"Bad Key": "x"} },
		"e-mail in detail":  func(e *Event) { e.Details = map[string]string{"note": "ada@example.org"} },
		"control in detail": func(e *Event) { e.Details = map[string]string{"note": "a\nb"} },
		"long detail":       func(e *Event) { e.Details = map[string]string{"note": strings.Repeat("x", MaxDetailValueLen+1)} },
		"too many details": func(e *Event) {
			e.Details = map[string]string{}
			for i := range MaxDetails + 1 {
				e.Details[fmt.Sprintf("k%d", i)] = "v"
			}
		},
	}
	l, m := newMemLog(t, 0)
	for name, edit := range cases {
		ev := ok
		edit(&ev)
		_, err := l.Append(context.Background(), ev)
		if !errors.Is(err, ErrInvalidEvent) {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), "ada@example.org") {
			t.Errorf("%s: error repeats the personal value: %v", name, err)
		}
	}
	if len(m.entries) != 0 {
		t.Fatalf("invalid events stored: %d", len(m.entries))
	}
	if _, err := l.Append(context.Background(), ok); err != nil {
		t.Fatalf("valid event: %v", err)
	}
}

func TestAppendStoreErrorWrapped(t *testing.T) {
	boom := errors.New("disk full")
	l := New(failingStore{err: boom}, Options{Key: testKey})
	_, err := l.Append(context.Background(), Event{Action: AuthLogout, Actor: "u_a", Outcome: Success})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "auth.logout") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), string(testKey)) {
		t.Fatal("key in error")
	}
	if _, _, err := l.Head(context.Background()); !errors.Is(err, boom) {
		t.Fatalf("head: %v", err)
	}
	if _, err := l.Verify(context.Background(), nil); !errors.Is(err, boom) {
		t.Fatalf("verify: %v", err)
	}
}

type failingStore struct {
	store.Store
	err error
}

func (f failingStore) AppendAudit(context.Context, Entry, store.AuditSeal) (Entry, error) {
	return Entry{}, f.err
}
func (f failingStore) LastAudit(context.Context) (Entry, error) { return Entry{}, f.err }
func (f failingStore) AuditCheckpoint(context.Context) (Checkpoint, error) {
	return Checkpoint{}, f.err
}
func (f failingStore) AuditEntries(context.Context, store.AuditFilter) ([]Entry, error) {
	return nil, f.err
}

func TestHead(t *testing.T) {
	l, _ := newMemLog(t, 0)
	if _, ok, err := l.Head(context.Background()); ok || err != nil {
		t.Fatalf("empty: %v %v", ok, err)
	}
	appendN(t, l, 3)
	h, ok, err := l.Head(context.Background())
	if !ok || err != nil || h.Seq != 3 {
		t.Fatalf("head %+v %v %v", h, ok, err)
	}
}

// TestConcurrentAppends: many goroutines append through the real SQLite
// store; every append gets its own number and the chain verifies.
func TestConcurrentAppends(t *testing.T) {
	st := openSQLite(t)
	l := New(st, Options{Key: testKey})
	const workers, each = 16, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				_, err := l.Append(context.Background(), Event{
					Action: MeetingJoinAttempt, Actor: fmt.Sprintf("p_w%di%d", w, i), Meeting: "m1",
					ClientAddr: "2001:db8::1", Outcome: Success,
				})
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	r := verify(t, l, nil)
	if !r.OK() || r.Entries != workers*each || r.Head.Seq != workers*each {
		t.Fatalf("report: %d entries, head %d, problems %v", r.Entries, r.Head.Seq, r.Problems)
	}
}

// TestSQLiteRoundTripVerifies: entries survive the database unchanged
// (times, details, address tables), so hashes recompute.
func TestSQLiteRoundTripVerifies(t *testing.T) {
	st := openSQLite(t)
	l := New(st, Options{Key: testKey, Now: (&clock{t: t0}).Now})
	appendN(t, l, 5)
	if _, err := l.Append(context.Background(), Event{Action: AuthSetup, Outcome: Success}); err != nil {
		t.Fatal(err)
	}
	r := verify(t, l, nil)
	if !r.OK() || r.Entries != 6 {
		t.Fatalf("%+v", r)
	}
	es, err := l.Entries(context.Background(), store.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if p, err := l.CheckEntries(context.Background(), es[2:4]); err != nil || len(p) != 0 {
		t.Fatalf("check: %v %v", p, err)
	}
	other := New(st, Options{Key: []byte("another key, same database......")})
	if r := verify(t, other, nil); len(r.Problems) != 6 {
		t.Fatalf("wrong key: %v", r.Problems)
	}
}
