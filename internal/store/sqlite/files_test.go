package sqlite

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Shared files (files.go): what every backend does is in the conformance
// suite (storetest, group "files"); here is what only SQLite can show, in
// its own database file and tables.

const (
	fileMeeting  = "aaaa-bbbb-cccc-dddd"
	fileMeeting2 = "eeee-ffff-gggg-hhhh"
	fileSecret   = "Quarterly Zanzibar forecast.pdf"
)

var fileBase = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("X", 3600))

func fileStore(t *testing.T) *Store {
	t.Helper()
	s := openTemp(t)
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	if err := s.CreateUser(ctx, store.User{ID: "u_host", Email: "h@example.org", Name: "H", Role: store.RoleMember,
		PasswordHash: "h", CreatedAt: fileBase}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{fileMeeting, fileMeeting2} {
		if err := s.CreateMeeting(ctx, store.Meeting{ID: id, Title: "T", Passcode: "p", HostID: "u_host", CreatedAt: fileBase,
			ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone}); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func sharedFile(id, meeting, uploader, user string, created time.Time, to ...store.FileRecipient) store.SharedFile {
	return store.SharedFile{ID: id, MeetingID: meeting, UploaderID: uploader, UploaderUser: user, Name: fileSecret,
		Size: 1234, Type: "application/pdf", Key: bytes.Repeat([]byte{7}, 32), To: to, Scan: store.ScanClean, CreatedAt: created}
}

func addFiles(t *testing.T, s *Store, fs ...store.SharedFile) {
	t.Helper()
	for _, f := range fs {
		if err := s.AddSharedFile(context.Background(), f); err != nil {
			t.Fatalf("add %s: %v", f.ID, err)
		}
	}
}

// TestSharedFileSealed: the name and the content key never reach the
// database files in plain text, and a sealed name opens only for its own
// file.
func TestSharedFileSealed(t *testing.T) {
	s := fileStore(t)
	f := sharedFile("f_sealed", fileMeeting, "p_a", "", fileBase)
	f.Key = []byte("0123456789abcdef-CONTENT-KEY-XYZ")
	addFiles(t, s, f)
	if err := s.ScrubDeleted(context.Background()); err != nil {
		t.Fatal(err)
	}
	var path string
	if err := s.db.QueryRow("SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(&path); err != nil {
		t.Fatal(err)
	}
	assertAbsent(t, fileBytes(t, path), fileSecret, string(f.Key))
	var name []byte
	if err := s.db.QueryRow("SELECT name_sealed FROM shared_files WHERE id = 'f_sealed'").Scan(&name); err != nil {
		t.Fatal(err)
	}
	// A sealed name moved to another file does not open.
	addFiles(t, s, sharedFile("f_other", fileMeeting, "p_a", "", fileBase))
	if _, err := s.db.Exec("UPDATE shared_files SET name_sealed = ? WHERE id = 'f_other'", name); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SharedFile(context.Background(), fileMeeting, "f_other"); err == nil {
		t.Fatal("a name sealed for another file opened")
	}
}

// TestSharedFileRecipientsGoWithFile: deleting a file leaves none of its
// recipient rows behind (the conformance suite can only see that the
// recipient no longer finds it).
func TestSharedFileRecipientsGoWithFile(t *testing.T) {
	s := fileStore(t)
	ctx := context.Background()
	addFiles(t, s, sharedFile("f_1", fileMeeting, "p_a", "", fileBase, store.FileRecipient{ParticipantID: "p_b"}),
		sharedFile("f_2", fileMeeting2, "p_a", "", fileBase, store.FileRecipient{ParticipantID: "p_c"}))
	if n, err := s.DeleteSharedFiles(ctx, []string{"f_1"}); err != nil || n != 1 {
		t.Fatalf("delete: %d, %v", n, err)
	}
	if _, err := s.DeleteMeetings(ctx, []string{fileMeeting2}); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.db.QueryRow("SELECT count(*) FROM shared_file_recipients").Scan(&left); err != nil || left != 0 {
		t.Fatalf("recipient rows left: %d, %v", left, err)
	}
}
