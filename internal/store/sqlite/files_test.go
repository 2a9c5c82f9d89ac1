package sqlite

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Shared files (files.go), in the table-of-tests style of the conformance
// suite: each test gets a fresh store with one host and two meetings.

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

func TestSharedFiles(t *testing.T) {
	tests := map[string]func(*testing.T, *Store){
		"RoundTrip":          testSharedFileRoundTrip,
		"Refusals":           testSharedFileRefusals,
		"Sealed":             testSharedFileSealed,
		"OfSubject":          testSharedFilesOfSubject,
		"EraseRecipient":     testEraseFileRecipient,
		"CreatedBefore":      testSharedFilesCreatedBefore,
		"DeleteAndExisting":  testDeleteSharedFiles,
		"MeetingDeleteGoes":  testSharedFilesGoWithMeeting,
		"MeetingKeyShredded": testSharedFileKeyShredded,
		"ChatReference":      testChatFileReference,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) { fn(t, fileStore(t)) })
	}
}

func testSharedFileRoundTrip(t *testing.T, s *Store) {
	ctx := context.Background()
	to := []store.FileRecipient{{ParticipantID: "p_bob", UserID: "u_bob"}, {ParticipantID: "p_guest"}}
	want := sharedFile("f_one", fileMeeting, "p_alice", "u_alice", fileBase, to...)
	addFiles(t, s, want, sharedFile("f_all", fileMeeting, "p_guest", "", fileBase))
	got, err := s.SharedFile(ctx, fileMeeting, "f_one")
	if err != nil {
		t.Fatal(err)
	}
	want.CreatedAt = fileBase.UTC()
	if got.Name != want.Name || !bytes.Equal(got.Key, want.Key) || !slices.Equal(got.To, want.To) ||
		!got.CreatedAt.Equal(want.CreatedAt) || got.CreatedAt.Location() != time.UTC || got.Size != want.Size ||
		got.Type != want.Type || got.Scan != want.Scan || got.UploaderID != "p_alice" || got.UploaderUser != "u_alice" {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	all, err := s.SharedFile(ctx, fileMeeting, "f_all")
	if err != nil || !all.ToEveryone() || all.UploaderUser != "" {
		t.Fatalf("to everyone: %+v, %v", all, err)
	}
	if _, err := s.SharedFile(ctx, fileMeeting2, "f_one"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another meeting's file: %v", err)
	}
	if _, err := s.SharedFile(ctx, fileMeeting, "f_none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no such file: %v", err)
	}
}

func testSharedFileRefusals(t *testing.T, s *Store) {
	ctx := context.Background()
	if err := s.AddSharedFile(ctx, sharedFile("f_x", "zzzz-zzzz-zzzz-zzzz", "p_a", "", fileBase)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown meeting: %v", err)
	}
	if _, err := s.DataKey(ctx, meetingOwner("zzzz-zzzz-zzzz-zzzz")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a key was created for an unknown meeting: %v", err)
	}
	addFiles(t, s, sharedFile("f_x", fileMeeting, "p_a", "", fileBase))
	if err := s.AddSharedFile(ctx, sharedFile("f_x", fileMeeting, "p_a", "", fileBase)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("duplicate: %v", err)
	}
	dup := sharedFile("f_y", fileMeeting, "p_a", "", fileBase, store.FileRecipient{ParticipantID: "p_b"}, store.FileRecipient{ParticipantID: "p_b"})
	if err := s.AddSharedFile(ctx, dup); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("recipient twice: %v", err)
	}
	if _, err := s.SharedFile(ctx, fileMeeting, "f_y"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused file left a row: %v", err)
	}
	for _, bad := range []store.SharedFile{
		sharedFile("x_bad", fileMeeting, "p_a", "", fileBase),
		sharedFile("f_z", fileMeeting, "u_not_a_participant", "", fileBase),
	} {
		if err := s.AddSharedFile(ctx, bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

// testSharedFileSealed: the name and the content key never reach the
// database files in plain text.
func testSharedFileSealed(t *testing.T, s *Store) {
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

func fileIDs(fs []store.SharedFile) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func testSharedFilesOfSubject(t *testing.T, s *Store) {
	ctx := context.Background()
	addFiles(t, s,
		sharedFile("f_1", fileMeeting, "p_alice", "u_alice", fileBase),
		sharedFile("f_2", fileMeeting, "p_bob", "u_bob", fileBase.Add(time.Second), store.FileRecipient{ParticipantID: "p_alice", UserID: "u_alice"}),
		sharedFile("f_3", fileMeeting2, "p_alice2", "u_alice", fileBase.Add(2*time.Second)),
		sharedFile("f_4", fileMeeting, "p_guest", "", fileBase.Add(3*time.Second), store.FileRecipient{ParticipantID: "p_bob", UserID: "u_bob"}),
		sharedFile("f_5", fileMeeting, "p_bob", "u_bob", fileBase.Add(4*time.Second)), // to everyone: not alice's
	)
	for subject, want := range map[string][]string{
		"u_alice":  {"f_1", "f_2", "f_3"},
		"p_alice":  {"f_1", "f_2"},
		"p_guest":  {"f_4"},
		"u_bob":    {"f_2", "f_4", "f_5"},
		"u_nobody": nil,
	} {
		got, err := s.SharedFilesOfSubject(ctx, subject)
		if err != nil || !slices.Equal(fileIDs(got), want) {
			t.Errorf("%s: %v, %v; want %v", subject, fileIDs(got), err, want)
		}
	}
	for subject, want := range map[string][]string{"u_alice": {"f_1", "f_3"}, "p_bob": {"f_2", "f_5"}, "p_guest": {"f_4"}} {
		got, err := s.SharedFileIDsByUploader(ctx, subject)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("uploaded by %s: %v, %v; want %v", subject, got, err, want)
		}
	}
}

func testEraseFileRecipient(t *testing.T, s *Store) {
	ctx := context.Background()
	addFiles(t, s,
		sharedFile("f_1", fileMeeting, "p_bob", "u_bob", fileBase, store.FileRecipient{ParticipantID: "p_alice", UserID: "u_alice"},
			store.FileRecipient{ParticipantID: "p_carol"}),
		sharedFile("f_2", fileMeeting, "p_bob", "u_bob", fileBase, store.FileRecipient{ParticipantID: "p_alice2", UserID: "u_alice"},
			store.FileRecipient{ParticipantID: "p_dave"}),
	)
	if n, err := s.EraseFileRecipient(ctx, "u_alice"); err != nil || n != 2 {
		t.Fatalf("erase u_alice: %d, %v", n, err)
	}
	if n, err := s.EraseFileRecipient(ctx, "p_carol"); err != nil || n != 1 {
		t.Fatalf("erase p_carol: %d, %v", n, err)
	}
	f, err := s.SharedFile(ctx, fileMeeting, "f_1")
	want := []store.FileRecipient{{ParticipantID: store.ErasedRecipient}, {ParticipantID: store.ErasedRecipient}}
	if err != nil || !slices.Equal(f.To, want) {
		t.Fatalf("after erasure: %+v, %v", f.To, err)
	}
	if got, _ := s.SharedFilesOfSubject(ctx, "u_alice"); len(got) != 0 {
		t.Fatalf("erased recipient still finds %v", fileIDs(got))
	}
	if got, _ := s.SharedFilesOfSubject(ctx, "u_bob"); len(got) != 2 {
		t.Fatalf("the uploader lost files: %v", fileIDs(got))
	}
}

func testSharedFilesCreatedBefore(t *testing.T, s *Store) {
	ctx := context.Background()
	addFiles(t, s,
		sharedFile("f_old1", fileMeeting, "p_a", "", fileBase),
		sharedFile("f_new1", fileMeeting, "p_a", "", fileBase.Add(2*time.Hour)),
		sharedFile("f_old2", fileMeeting2, "p_a", "", fileBase),
		sharedFile("f_new2", fileMeeting2, "p_a", "", fileBase.Add(2*time.Hour)),
	)
	got, err := s.SharedFileIDsCreatedBefore(ctx, fileBase.Add(time.Hour), nil)
	if err != nil || !slices.Equal(got, []string{"f_old1", "f_old2"}) {
		t.Fatalf("organisation cut-off: %v, %v", got, err)
	}
	// Meeting 2 keeps its files longer, meeting 1 shorter than the rest.
	cutoffs := map[string]time.Time{fileMeeting2: fileBase.Add(-time.Hour), fileMeeting: fileBase.Add(3 * time.Hour)}
	got, err = s.SharedFileIDsCreatedBefore(ctx, fileBase.Add(time.Hour), cutoffs)
	if err != nil || !slices.Equal(got, []string{"f_new1", "f_old1"}) {
		t.Fatalf("meeting cut-offs: %v, %v", got, err)
	}
}

func testDeleteSharedFiles(t *testing.T, s *Store) {
	ctx := context.Background()
	addFiles(t, s, sharedFile("f_1", fileMeeting, "p_a", "", fileBase, store.FileRecipient{ParticipantID: "p_b"}),
		sharedFile("f_2", fileMeeting, "p_a", "", fileBase))
	exist, err := s.SharedFilesExisting(ctx, []string{"f_1", "f_2", "f_gone"})
	if err != nil || !maps.Equal(exist, map[string]bool{"f_1": true, "f_2": true}) {
		t.Fatalf("existing: %v, %v", exist, err)
	}
	if n, err := s.DeleteSharedFiles(ctx, []string{"f_1", "f_gone"}); err != nil || n != 1 {
		t.Fatalf("delete: %d, %v", n, err)
	}
	var left int
	if err := s.db.QueryRow("SELECT count(*) FROM shared_file_recipients").Scan(&left); err != nil || left != 0 {
		t.Fatalf("recipients left: %d, %v", left, err)
	}
	if exist, _ := s.SharedFilesExisting(ctx, []string{"f_1", "f_2"}); !maps.Equal(exist, map[string]bool{"f_2": true}) {
		t.Fatalf("after delete: %v", exist)
	}
}

// testSharedFilesGoWithMeeting: deleting a meeting deletes its files'
// rows (and their sealed keys) with its own key.
func testSharedFilesGoWithMeeting(t *testing.T, s *Store) {
	ctx := context.Background()
	addFiles(t, s, sharedFile("f_1", fileMeeting, "p_a", "", fileBase, store.FileRecipient{ParticipantID: "p_b"}),
		sharedFile("f_2", fileMeeting2, "p_a", "", fileBase))
	if _, err := s.DeleteMeetings(ctx, []string{fileMeeting}); err != nil {
		t.Fatal(err)
	}
	if exist, _ := s.SharedFilesExisting(ctx, []string{"f_1", "f_2"}); !maps.Equal(exist, map[string]bool{"f_2": true}) {
		t.Fatalf("after the meeting's deletion: %v", exist)
	}
}

// testSharedFileKeyShredded: with the meeting's key gone, the file reads as
// erased and lists leave it out.
func testSharedFileKeyShredded(t *testing.T, s *Store) {
	ctx := context.Background()
	addFiles(t, s, sharedFile("f_1", fileMeeting, "p_a", "u_a", fileBase), sharedFile("f_2", fileMeeting2, "p_a", "u_a", fileBase))
	if _, err := s.DeleteDataKey(ctx, meetingOwner(fileMeeting)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SharedFile(ctx, fileMeeting, "f_1"); !errors.Is(err, store.ErrErased) {
		t.Fatalf("shredded: %v", err)
	}
	if got, err := s.SharedFilesOfSubject(ctx, "u_a"); err != nil || !slices.Equal(fileIDs(got), []string{"f_2"}) {
		t.Fatalf("list with a shredded meeting: %v, %v", fileIDs(got), err)
	}
}

// testChatFileReference: a chat message that shares a file reads back with
// the file's ID, size and type; once the file is deleted the message stays
// as its name alone; a message naming a file that does not exist is
// refused.
func testChatFileReference(t *testing.T, s *Store) {
	ctx := context.Background()
	addFiles(t, s, sharedFile("f_ref", fileMeeting, "p_alice", "", fileBase))
	msg := store.ChatMessage{ID: "c_file", MeetingID: fileMeeting, SenderID: "p_alice", SenderName: "Alice",
		Text: fileSecret, CreatedAt: fileBase, File: &store.ChatFile{ID: "f_ref"}}
	if err := s.AddChatMessage(ctx, msg); err != nil {
		t.Fatal(err)
	}
	plain := store.ChatMessage{ID: "c_plain", MeetingID: fileMeeting, SenderID: "p_alice", SenderName: "Alice",
		Text: "hello", CreatedAt: fileBase.Add(time.Second)}
	if err := s.AddChatMessage(ctx, plain); err != nil {
		t.Fatal(err)
	}
	ms, err := s.ChatMessagesOfMeeting(ctx, fileMeeting)
	if err != nil || len(ms) != 2 {
		t.Fatalf("messages: %+v, %v", ms, err)
	}
	if f := ms[0].File; f == nil || *f != (store.ChatFile{ID: "f_ref", Size: 1234, Type: "application/pdf"}) {
		t.Fatalf("file reference read back as %+v", f)
	}
	if ms[1].File != nil {
		t.Fatalf("a plain message has a file: %+v", ms[1].File)
	}
	if _, err := s.DeleteSharedFiles(ctx, []string{"f_ref"}); err != nil {
		t.Fatal(err)
	}
	ms, err = s.ChatMessagesOfMeeting(ctx, fileMeeting)
	if err != nil || len(ms) != 2 || ms[0].File != nil || ms[0].Text != fileSecret {
		t.Fatalf("after the file's deletion: %+v, %v", ms, err)
	}
	ghost := msg
	ghost.ID, ghost.File = "c_ghost", &store.ChatFile{ID: "f_none"}
	if err := s.AddChatMessage(ctx, ghost); err == nil {
		t.Fatal("a message naming a file that does not exist was stored")
	}
}
