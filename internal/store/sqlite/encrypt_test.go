package sqlite

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/crypt"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// Distinctive plain text, so that a byte scan cannot match by accident.
const (
	secretName     = "Zebulon Quixwhistle"
	secretEmail    = "zebulon.quixwhistle@example.org"
	secretTitle    = "Merger talks Xylophagous"
	secretPasscode = "pq7vkw3mzt9r"
)

func seedSecrets(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	u := store.User{ID: "u_z", Email: secretEmail, Name: secretName, Role: store.RoleMember, PasswordHash: "h", CreatedAt: now}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	m := store.Meeting{ID: "zzzz-yyyy-xxxx-wwww", Title: secretTitle, Passcode: secretPasscode, HostID: "u_z",
		CreatedAt: now, ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone, EndsAt: now.Add(time.Hour)}
	if err := s.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
}

// fileBytes is the database file and its WAL, as a backup would copy them.
func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	return all
}

func assertAbsent(t *testing.T, data []byte, what ...string) {
	t.Helper()
	for _, w := range what {
		if bytes.Contains(data, []byte(w)) {
			t.Errorf("%q found in the database files", w)
		}
	}
}

// TestPersonalFieldsSealed: names, e-mails, titles and passcodes round-trip
// through the store but never reach the files in plain text; e-mail lookup
// works through the blind index.
func TestPersonalFieldsSealed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seedSecrets(t, s)
	u, err := s.UserByEmail(ctx, "Zebulon.Quixwhistle@EXAMPLE.org")
	if err != nil || u.ID != "u_z" || u.Name != secretName || u.Email != secretEmail {
		t.Fatalf("user by e-mail: %+v %v", u, err)
	}
	m, err := s.MeetingByID(ctx, "zzzz-yyyy-xxxx-wwww")
	if err != nil || m.Title != secretTitle || m.Passcode != secretPasscode {
		t.Fatalf("meeting: %+v %v", m, err)
	}
	dup := store.User{ID: "u_y", Email: secretEmail, Name: "n", Role: store.RoleMember, PasswordHash: "h"}
	if err := s.CreateUser(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate e-mail: %v, want ErrConflict", err)
	}
	assertAbsent(t, fileBytes(t, path), secretName, secretEmail, secretTitle, secretPasscode)
}

// TestErasureLeavesNothingReadable writes a user and a meeting, erases
// them (shredding their keys), and scans the raw files: no plain text, and
// not even the wrapped data keys, are left; ciphertext copied out before
// (as in a backup) no longer opens.
func TestErasureLeavesNothingReadable(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	seedSecrets(t, s)
	userKey, _ := s.DataKey(ctx, "subject:u_z")
	meetingKey, _ := s.DataKey(ctx, "meeting:zzzz-yyyy-xxxx-wwww")
	var sealedName []byte
	if err := s.db.QueryRowContext(ctx, "SELECT name_sealed FROM users WHERE id = 'u_z'").Scan(&sealedName); err != nil {
		t.Fatal(err)
	}

	if n, err := s.DeleteMeetings(ctx, []string{"zzzz-yyyy-xxxx-wwww"}); err != nil || n != 1 {
		t.Fatalf("delete meetings: %d %v", n, err)
	}
	er, err := s.EraseUser(ctx, "u_z", time.Now())
	if err != nil || !er.Shredded {
		t.Fatalf("erase user: %+v %v", er, err)
	}
	if _, err := s.UserByID(ctx, "u_z"); !errors.Is(err, store.ErrErased) || !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("erased user reads as %v, want ErrErased (ErrNotFound)", err)
	}
	if _, err := s.UserByEmail(ctx, secretEmail); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("erased user found by e-mail: %v", err)
	}
	if _, err := s.Keyring().Open(ctx, "subject:u_z", sealedName, []byte(sealed.AADUserName)); !errors.Is(err, crypt.ErrShredded) {
		t.Fatalf("copied ciphertext after shredding: %v, want ErrShredded", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	data := fileBytes(t, path)
	assertAbsent(t, data, secretName, secretEmail, secretTitle, secretPasscode,
		string(userKey.Wrapped), string(meetingKey.Wrapped), string(sealedName))
	if len(userKey.Wrapped) == 0 || len(meetingKey.Wrapped) == 0 {
		t.Fatal("no keys were captured: the scan proves nothing")
	}
}

// TestErasedAccountIsATombstone: the ID stays taken and the e-mail is free
// again; erasing twice is fine, erasing nobody is ErrNotFound.
func TestErasedAccountIsATombstone(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	seedSecrets(t, s)
	if err := s.CreateSession(ctx, store.Session{TokenHash: []byte{1}, UserID: "u_z", ExpiresAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	er, err := s.EraseUser(ctx, "u_z", time.Now())
	if err != nil || er.Sessions != 1 {
		t.Fatalf("erase: %+v %v", er, err)
	}
	if n, err := s.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("count after erasure: %d %v", n, err)
	}
	if erased, err := s.UserErased(ctx, "u_z"); err != nil || !erased {
		t.Fatalf("tombstone: %v %v", erased, err)
	}
	again := store.User{ID: "u_z", Email: "new@example.org", Name: "n", Role: store.RoleMember, PasswordHash: "h"}
	if err := s.CreateUser(ctx, again); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("erased ID reused: %v", err)
	}
	fresh := store.User{ID: "u_n", Email: secretEmail, Name: "n", Role: store.RoleMember, PasswordHash: "h"}
	if err := s.CreateUser(ctx, fresh); err != nil {
		t.Fatalf("erased e-mail not free again: %v", err)
	}
	if _, err := s.EraseUser(ctx, "u_z", time.Now()); err != nil {
		t.Fatalf("erase twice: %v", err)
	}
	if _, err := s.EraseUser(ctx, "u_nobody", time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("erase unknown: %v, want ErrNotFound", err)
	}
}

// TestPlaintextConvertedOnOpen upgrades a version-4 database holding plain
// names, e-mails, titles and passcodes: everything reads back the same,
// and none of it is left in the files.
func TestPlaintextConvertedOnOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	old, _ := openRaw(t, path, privacyOfficerVersion)
	for _, q := range []string{
		`INSERT INTO users VALUES ('u_z', '` + secretEmail + `', '` + secretName + `', 'admin', 'h', 1)`,
		`INSERT INTO meetings (id, title, passcode, host_id, created_at) VALUES ('zzzz-yyyy-xxxx-wwww', '` +
			secretTitle + `', '` + secretPasscode + `', 'u_z', 2)`,
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()
	if !bytes.Contains(fileBytes(t, path), []byte(secretName)) {
		t.Fatal("the old database does not hold the plain text: the scan below proves nothing")
	}

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.UserByEmail(ctx, secretEmail)
	if err != nil || u.Name != secretName || u.Role != store.RoleAdmin {
		t.Fatalf("converted user: %+v %v", u, err)
	}
	m, err := s.MeetingByID(ctx, "zzzz-yyyy-xxxx-wwww")
	if err != nil || m.Title != secretTitle || m.Passcode != secretPasscode || m.HostID != "u_z" {
		t.Fatalf("converted meeting: %+v %v", m, err)
	}
	var left int
	s.db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM users_plaintext) + (SELECT count(*) FROM meetings_plaintext)").Scan(&left)
	if left != 0 {
		t.Fatalf("%d plain-text rows left", left)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertAbsent(t, fileBytes(t, path), secretName, secretEmail, secretTitle, secretPasscode)

	// Opening again converts nothing and still reads the same.
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if u, err := s.UserByID(ctx, "u_z"); err != nil || u.Email != secretEmail {
		t.Fatalf("after reopening: %+v %v", u, err)
	}
}

// TestOpenRefusesWrongMasterKey: a database whose keys were wrapped under
// another master key does not start (rather than failing every read).
func TestOpenRefusesWrongMasterKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "conclave.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	seedSecrets(t, s)
	s.Close()
	other, _ := crypt.NewMaster()
	env := func(k string) string {
		if k == crypt.EnvKey {
			return other.Text()
		}
		return ""
	}
	if _, err := Open(ctx, path, WithKeySource(crypt.Source{Dir: dir, Getenv: env})); !errors.Is(err, crypt.ErrUnknownMaster) {
		t.Fatalf("open with another master key: %v, want ErrUnknownMaster", err)
	}
}
