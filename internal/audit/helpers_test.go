package audit

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

var testKey = []byte("0123456789abcdef0123456789abcdef")

// memStore keeps the log in a slice that tests can tamper with. Only the
// audit methods are implemented; the embedded nil Store panics on others.
type memStore struct {
	store.Store
	mu      sync.Mutex
	entries []Entry
	cp      *Checkpoint
}

func (m *memStore) AppendAudit(_ context.Context, e Entry, seal store.AuditSeal) (Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e.Seq, e.PrevHash = 1, nil
	if n := len(m.entries); n > 0 {
		e.Seq, e.PrevHash = m.entries[n-1].Seq+1, bytes.Clone(m.entries[n-1].Hash)
	}
	e, err := seal(e)
	if err != nil {
		return Entry{}, err
	}
	m.entries = append(m.entries, e)
	return e, nil
}

func (m *memStore) AuditEntries(_ context.Context, f store.AuditFilter) ([]Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Entry
	for _, e := range m.entries {
		if e.Seq > f.AfterSeq && (len(f.Seqs) == 0 || slices.Contains(f.Seqs, e.Seq)) &&
			(f.Action == "" || e.Action == f.Action) {
			out = append(out, e)
		}
	}
	if f.Newest {
		slices.Reverse(out)
	}
	if f.Limit > 0 && len(out) > f.Limit {
		out = out[:f.Limit]
	}
	return out, nil
}

func (m *memStore) LastAudit(ctx context.Context) (Entry, error) {
	es, _ := m.AuditEntries(ctx, store.AuditFilter{Newest: true, Limit: 1})
	if len(es) == 0 {
		return Entry{}, store.ErrNotFound
	}
	return es[0], nil
}

// TruncateAudit removes entries before `before`, keeping the newest, as
// the SQLite store does.
func (m *memStore) TruncateAudit(_ context.Context, before time.Time, seal store.AuditCheckpointSeal) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for n < len(m.entries)-1 && m.entries[n].Time.Before(before) {
		n++
	}
	if n == 0 {
		return 0, nil
	}
	last := m.entries[n-1]
	cp, err := seal(Checkpoint{Seq: last.Seq, Hash: bytes.Clone(last.Hash)})
	if err != nil {
		return 0, err
	}
	m.cp, m.entries = &cp, m.entries[n:]
	return n, nil
}

func (m *memStore) AuditCheckpoint(context.Context) (Checkpoint, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cp == nil {
		return Checkpoint{}, store.ErrNotFound
	}
	return *m.cp, nil
}

// tamper edits the stored entry at index i.
func (m *memStore) tamper(i int, f func(*Entry)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f(&m.entries[i])
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now advances by a millisecond per call, so entries have distinct times.
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond)
	return c.t
}

func newMemLog(t *testing.T, n int) (*Log, *memStore) {
	t.Helper()
	m := &memStore{}
	l := New(m, Options{Key: testKey, Now: (&clock{t: t0}).Now})
	appendN(t, l, n)
	return l, m
}

func appendN(t *testing.T, l *Log, n int) {
	t.Helper()
	actions := []Action{AuthLoginSuccess, MeetingCreate, MeetingJoinAllowed, AuthLogout}
	for i := range n {
		ev := Event{Action: actions[i%len(actions)], Actor: "u_alice", Meeting: "k3m9-x2qa-7hvt-p4dz",
			ClientAddr: "192.0.2.10", Outcome: Success, Details: map[string]string{"n": string(rune('a' + i%26))}}
		if _, err := l.Append(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
}

func openSQLite(t *testing.T) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func verify(t *testing.T, l *Log, anchor *Anchor) Report {
	t.Helper()
	r, err := l.Verify(context.Background(), anchor)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func expectProblems(t *testing.T, r Report, want ...Problem) {
	t.Helper()
	if !slices.Equal(r.Problems, want) {
		t.Fatalf("problems %v, want %v", r.Problems, want)
	}
}
