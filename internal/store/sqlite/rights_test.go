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

// subjectRightsVersion is migration 00015, which adds the restriction and
// objection request kinds, users.restricted_at and guest_proofs.
const subjectRightsVersion = 15

// TestProfileChangeSealed: a corrected name and e-mail are sealed like the
// originals (neither reaches the files in plain text), the blind index
// follows the new address, and the old values are gone from the files.
func TestProfileChangeSealed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	seedSecrets(t, s)
	const newName, newEmail = "Philippa Gorsethwaite", "philippa.gorsethwaite@example.org"
	if err := s.SetProfile(ctx, "u_z", newName, newEmail); err != nil {
		t.Fatal(err)
	}
	u, err := s.UserByEmail(ctx, "Philippa.Gorsethwaite@example.org")
	if err != nil || u.ID != "u_z" || u.Name != newName || u.Email != newEmail {
		t.Fatalf("after the change: %+v %v", u, err)
	}
	if _, err := s.UserByEmail(ctx, secretEmail); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("old e-mail: %v", err)
	}
	if err := s.ScrubDeleted(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertAbsent(t, fileBytes(t, path), newName, newEmail)
}

// TestProfileChangeOfErasedAccount: an erased account cannot be corrected,
// and trying does not bring back a subject key for it.
func TestProfileChangeOfErasedAccount(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	defer s.Close()
	seedSecrets(t, s)
	if _, err := s.EraseUser(ctx, "u_z", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProfile(ctx, "u_z", "Back", "back@example.org"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("erased account: %v, want ErrNotFound", err)
	}
	if _, err := s.DataKey(ctx, subjectOwner("u_z")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the erased account has a subject key again: %v", err)
	}
	if err := s.SetRestricted(ctx, "u_z", true, time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("restricting an erased account: %v, want ErrNotFound", err)
	}
}

// TestSubjectRightsMigration: requests recorded before 00015 survive the
// rebuild of their table with their sealed text, the new kinds are
// accepted and unknown ones still refused; going down deletes only the
// requests of the new kinds (with their keys) and the way up works again.
func TestSubjectRightsMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	old := newRequest(t, s, secretRequester, secretNotes, time.Now())
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	db, p := openRaw(t, path, subjectRightsVersion)
	if _, err := p.DownTo(ctx, subjectRightsVersion-1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO subject_requests (kind, received_at, due_at) VALUES ('objection', 1, 2)`); err == nil {
		t.Fatal("the old table accepts an objection: the test does not start from it")
	}
	if _, err := p.UpTo(ctx, subjectRightsVersion); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.SubjectRequestsBySubject(ctx, secretRequester)
	if err != nil || len(got) != 1 || got[0].ID != old.ID || got[0].Notes != secretNotes {
		t.Fatalf("request after the rebuild: %+v %v", got, err)
	}
	objection, err := s.CreateSubjectRequest(ctx, store.SubjectRequest{Kind: store.RequestObjection, SubjectRef: "u_a",
		ReceivedAt: time.Now(), DueAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO subject_requests (kind, received_at, due_at) VALUES ('gossip', 1, 2)`); err == nil {
		t.Fatal("an unknown kind was accepted")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	db, p = openRaw(t, path, subjectRightsVersion)
	if _, err := p.DownTo(ctx, subjectRightsVersion-1); err != nil {
		t.Fatal(err)
	}
	var n, keys int
	if err := db.QueryRow("SELECT count(*) FROM subject_requests").Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d requests after down, %v; want the access request only", n, err)
	}
	if err := db.QueryRow("SELECT count(*) FROM data_keys WHERE owner = ?", requestOwner(objection.ID)).Scan(&keys); err != nil || keys != 0 {
		t.Fatalf("the dropped request's key is left: %d %v", keys, err)
	}
	if _, err := p.UpTo(ctx, subjectRightsVersion); err != nil {
		t.Fatalf("up again: %v", err)
	}
	if !bytes.Contains(fileBytes(t, path), []byte("guest_proofs")) {
		t.Fatal("guest_proofs missing after up")
	}
}
