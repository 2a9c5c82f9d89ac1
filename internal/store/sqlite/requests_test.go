package sqlite

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Distinctive free text a request may hold.
const (
	secretRequester = "Ottoline Brackenwhistle"
	secretNotes     = "called from Quarrendon Lane"
	secretClosing   = "answered by post Vexillum"
)

// sealedRequestsVersion is migration 00011, which seals subject requests.
const sealedRequestsVersion = 11

func newRequest(t *testing.T, s *Store, ref, notes string, received time.Time) store.SubjectRequest {
	t.Helper()
	sr, err := s.CreateSubjectRequest(context.Background(), store.SubjectRequest{Kind: store.RequestAccess,
		SubjectRef: ref, ReceivedAt: received, DueAt: received.Add(30 * 24 * time.Hour), Notes: notes})
	if err != nil {
		t.Fatal(err)
	}
	return sr
}

// TestSubjectRequestTextSealed: the reference and the notes round-trip,
// but neither reaches the database files in plain text.
func TestSubjectRequestTextSealed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	sr := newRequest(t, s, secretRequester, secretNotes, time.Now())
	closed, err := s.CloseSubjectRequest(ctx, sr.ID, store.RequestDone, time.Now(), secretClosing)
	if err != nil || closed.SubjectRef != secretRequester || closed.Notes != secretClosing {
		t.Fatalf("close: %+v %v", closed, err)
	}
	all, err := s.SubjectRequests(ctx, false)
	if err != nil || len(all) != 1 || all[0].SubjectRef != secretRequester || all[0].Notes != secretClosing {
		t.Fatalf("list: %+v %v", all, err)
	}
	if _, err := s.CloseSubjectRequest(ctx, 999, store.RequestDone, time.Now(), ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("close unknown: %v, want ErrNotFound", err)
	}
	if _, err := s.DataKey(ctx, requestOwner(999)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("closing an unknown request made a key: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertAbsent(t, fileBytes(t, path), secretRequester, secretNotes, secretClosing)
}

// TestSubjectRequestsBySubject finds exactly the requests recorded under
// one ID, through the blind index.
func TestSubjectRequestsBySubject(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	now := time.Now()
	newRequest(t, s, "u_a", "first", now)
	newRequest(t, s, "u_b", "", now)
	newRequest(t, s, "u_a", "second", now.Add(time.Hour))
	got, err := s.SubjectRequestsBySubject(context.Background(), "u_a")
	if err != nil || len(got) != 2 || got[0].Notes != "first" || got[1].Notes != "second" {
		t.Fatalf("by subject u_a: %+v %v", got, err)
	}
	if got, err := s.SubjectRequestsBySubject(context.Background(), "u_"); err != nil || len(got) != 0 {
		t.Fatalf("by a prefix: %+v %v", got, err)
	}
}

// TestSubjectRequestsExpire: only requests closed before the cut-off are
// deleted, and their keys with them.
func TestSubjectRequestsExpire(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	defer s.Close()
	now := time.Now()
	old := newRequest(t, s, "u_old", "", now.Add(-48*time.Hour))
	recent := newRequest(t, s, "u_recent", "", now.Add(-48*time.Hour))
	open := newRequest(t, s, "u_open", "", now.Add(-48*time.Hour))
	mustClose := func(id int64, at time.Time) {
		if _, err := s.CloseSubjectRequest(ctx, id, store.RequestRejected, at, ""); err != nil {
			t.Fatal(err)
		}
	}
	mustClose(old.ID, now.Add(-36*time.Hour))
	mustClose(recent.ID, now.Add(-time.Hour))

	ids, err := s.SubjectRequestIDsClosedBefore(ctx, now.Add(-24*time.Hour))
	if err != nil || len(ids) != 1 || ids[0] != old.ID {
		t.Fatalf("closed before: %v %v, want [%d]", ids, err, old.ID)
	}
	if n, err := s.DeleteSubjectRequests(ctx, ids); err != nil || n != 1 {
		t.Fatalf("delete: %d %v", n, err)
	}
	if _, err := s.DataKey(ctx, requestOwner(old.ID)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired request's key: %v, want shredded", err)
	}
	left, err := s.SubjectRequests(ctx, false)
	if err != nil || len(left) != 2 || left[0].ID != recent.ID || left[1].ID != open.ID {
		t.Fatalf("left: %+v %v", left, err)
	}
}

// TestPlainRequestsConvertedOnOpen upgrades a version-10 database holding
// a request in plain text: it reads back the same, is found by subject,
// and the plain text is gone from the files.
func TestPlainRequestsConvertedOnOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	old, _ := openRaw(t, path, sealedRequestsVersion-1)
	if _, err := old.Exec(`INSERT INTO subject_requests (kind, subject_ref, received_at, due_at, notes) ` +
		`VALUES ('erasure', '` + secretRequester + `', 1, 2, '` + secretNotes + `')`); err != nil {
		t.Fatal(err)
	}
	old.Close()
	if !bytes.Contains(fileBytes(t, path), []byte(secretRequester)) {
		t.Fatal("the old database does not hold the plain text: the scan below proves nothing")
	}
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.SubjectRequestsBySubject(ctx, secretRequester)
	if err != nil || len(got) != 1 || got[0].Notes != secretNotes || got[0].Kind != store.RequestErasure {
		t.Fatalf("converted request: %+v %v", got, err)
	}
	var left int
	s.db.QueryRowContext(ctx, "SELECT count(*) FROM subject_requests_plaintext").Scan(&left)
	if left != 0 {
		t.Fatalf("%d plain-text rows left", left)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertAbsent(t, fileBytes(t, path), secretRequester, secretNotes)
}

// TestSealedRequestsMigrationDown: going back restores plain text not yet
// converted; the row survives either way.
func TestSealedRequestsMigrationDown(t *testing.T) {
	ctx := context.Background()
	db, p := openRaw(t, filepath.Join(t.TempDir(), "conclave.db"), sealedRequestsVersion-1)
	if _, err := db.Exec(`INSERT INTO subject_requests (kind, subject_ref, received_at, due_at, notes) ` +
		`VALUES ('access', 'u_a', 1, 2, 'n')`); err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, sealedRequestsVersion); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, sealedRequestsVersion-1); err != nil {
		t.Fatal(err)
	}
	var ref, notes string
	if err := db.QueryRow("SELECT subject_ref, notes FROM subject_requests").Scan(&ref, &notes); err != nil || ref != "u_a" || notes != "n" {
		t.Fatalf("after down: %q %q %v", ref, notes, err)
	}
}
