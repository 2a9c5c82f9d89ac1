package files

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
	"github.com/conclave-meet/conclave/internal/testclock"
)

const (
	testMeeting  = "abcd-efgh-jkmn-pqrs"
	otherMeeting = "wxyz-wxyz-wxyz-wxyz"
)

var (
	alice = Participant{ID: "p_alice", UserID: "u_alice"}
	bob   = Participant{ID: "p_bob", UserID: "u_bob"}
	carol = Participant{ID: "p_carol"} // a guest
)

// recorder is an audit log in memory.
type recorder struct {
	mu     sync.Mutex
	events []audit.Event
}

func (r *recorder) Append(_ context.Context, ev audit.Event) (audit.Entry, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return audit.Entry{}, nil
}

func (r *recorder) find(op string, outcome audit.Outcome) []audit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []audit.Event
	for _, ev := range r.events {
		if ev.Action == audit.FileAccess && ev.Details["op"] == op && ev.Outcome == outcome {
			out = append(out, ev)
		}
	}
	return out
}

// env is a service over a real SQLite store in a data directory of its
// own, with two meetings.
type env struct {
	svc   *Service
	st    *sqlite.Store
	data  string // the data directory
	rec   *recorder
	clock *testclock.Clock
}

func newEnv(t *testing.T, mod func(*Options)) *env {
	t.Helper()
	ctx := context.Background()
	data := t.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(data, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	if err := st.CreateUser(ctx, store.User{ID: "u_host", Email: "host@example.org", Name: "Host", Role: store.RoleMember,
		PasswordHash: "h", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{testMeeting, otherMeeting} {
		if err := st.CreateMeeting(ctx, store.Meeting{ID: id, Title: "Weekly", Passcode: "pc", HostID: "u_host", CreatedAt: now,
			ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone}); err != nil {
			t.Fatal(err)
		}
	}
	e := &env{st: st, data: data, rec: &recorder{}, clock: testclock.New(now)}
	opts := Options{Dir: filepath.Join(data, "files"), Store: st, Audit: e.rec, Now: e.clock.Now,
		FreeSpace: func(string) (uint64, error) { return 1 << 40, nil }}
	if mod != nil {
		mod(&opts)
	}
	if e.svc, err = New(opts); err != nil {
		t.Fatal(err)
	}
	return e
}

// upload stores content as from, to everyone unless to is given.
func (e *env) upload(t *testing.T, from Participant, name string, content []byte, to ...Participant) (store.SharedFile, error) {
	t.Helper()
	var rs []store.FileRecipient
	for _, p := range to {
		rs = append(rs, store.FileRecipient{ParticipantID: p.ID, UserID: p.UserID})
	}
	return e.svc.Upload(context.Background(), Upload{MeetingID: testMeeting, From: from, Name: name, To: rs,
		Body: bytes.NewReader(content), Length: int64(len(content))})
}

func (e *env) mustUpload(t *testing.T, from Participant, name string, content []byte, to ...Participant) store.SharedFile {
	t.Helper()
	f, err := e.upload(t, from, name, content, to...)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// stored returns the content files and the unfinished uploads in the
// content directory, and the rows.
func (e *env) stored(t *testing.T) (contents, temps, rows []string) {
	t.Helper()
	entries, err := os.ReadDir(e.svc.opts.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range entries {
		switch {
		case strings.HasPrefix(d.Name(), tempPrefix):
			temps = append(temps, d.Name())
		default:
			contents = append(contents, d.Name())
		}
	}
	rows, err = e.st.SharedFileIDsCreatedBefore(context.Background(), e.clock.Now().Add(1000*time.Hour), nil)
	if err != nil {
		t.Fatal(err)
	}
	return contents, temps, rows
}

// assertStored checks that exactly n files are kept, with no leftovers.
func (e *env) assertStored(t *testing.T, n int) {
	t.Helper()
	contents, temps, rows := e.stored(t)
	if len(contents) != n || len(temps) != 0 || len(rows) != n {
		t.Fatalf("want %d files kept; content %v, unfinished %v, rows %v", n, contents, temps, rows)
	}
}

// text returns n bytes of plain text.
func text(n int) []byte {
	line := []byte("The quick brown fox jumps over the lazy dog.\n")
	return bytes.Repeat(line, n/len(line)+1)[:n]
}
