package storetest

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// FileStore is what a backend that keeps shared files implements (the
// rows behind files.Store: the content itself lives in the data
// directory). It is not part of store.Store; the file tests are skipped
// for a backend without it.
type FileStore interface {
	AddSharedFile(ctx context.Context, f store.SharedFile) error
	SharedFile(ctx context.Context, meetingID, id string) (store.SharedFile, error)
	SharedFilesOfSubject(ctx context.Context, subjectID string) ([]store.SharedFile, error)
	SharedFilesOfMeeting(ctx context.Context, meetingID string) ([]store.SharedFile, error)
	SharedFileIDsByUploader(ctx context.Context, subjectID string) ([]string, error)
	EraseFileRecipient(ctx context.Context, subjectID string) (int, error)
	SharedFileIDsCreatedBefore(ctx context.Context, before time.Time, cutoffs map[string]time.Time) ([]string, error)
	DeleteSharedFiles(ctx context.Context, ids []string) (int, error)
	SharedFilesExisting(ctx context.Context, ids []string) (map[string]bool, error)
}

// fileTests are the conformance tests of shared files, run by Run. What
// only one backend can show (its database files or dump holding no name
// or key in plain text) stays with that backend's own tests.
var fileTests = map[string]func(*testing.T, store.Store){
	"FileRoundTrip":         testFileRoundTrip,
	"FileRefusals":          testFileRefusals,
	"FilesOfSubject":        testFilesOfSubject,
	"FilesOfMeeting":        testFilesOfMeeting,
	"FileEraseRecipient":    testFileEraseRecipient,
	"FilesCreatedBefore":    testFilesCreatedBefore,
	"FileDeleteAndExisting": testFileDeleteAndExisting,
	"FilesGoWithMeeting":    testFilesGoWithMeeting,
	"FileKeyShredded":       testFileKeyShredded,
	"FileChatReference":     testFileChatReference,
}

const (
	fileMeeting = "k3m9-x2qa-7hvt-p4df"
	fileOther   = "aaaa-bbbb-cccc-dddf"
	fileName    = "Quarterly Zanzibar forecast.pdf"
)

// fileWorld is two meetings hosted by u_host.
func fileWorld(t *testing.T, s store.Store) FileStore {
	t.Helper()
	fs, ok := s.(FileStore)
	if !ok {
		t.Skip("this store keeps no shared files")
	}
	mustCreateUser(t, s, user("u_host", "host@example.org", store.RoleMember, base))
	mustCreateMeeting(t, s, meeting(fileMeeting, "u_host", base))
	mustCreateMeeting(t, s, meeting(fileOther, "u_host", base))
	return fs
}

func sharedFile(id, meetingID, uploader, uploaderUser string, at time.Time, to ...store.FileRecipient) store.SharedFile {
	return store.SharedFile{ID: id, MeetingID: meetingID, UploaderID: uploader, UploaderUser: uploaderUser, Name: fileName,
		Size: 1234, Type: "application/pdf", Key: bytes.Repeat([]byte{7}, 32), To: to, Scan: store.ScanClean, CreatedAt: at}
}

func mustAddFiles(t *testing.T, fs FileStore, files ...store.SharedFile) {
	t.Helper()
	for _, f := range files {
		if err := fs.AddSharedFile(context.Background(), f); err != nil {
			t.Fatalf("AddSharedFile(%s): %v", f.ID, err)
		}
	}
}

func fileIDs(files []store.SharedFile) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = f.ID
	}
	return out
}

func testFileRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := fileWorld(t, s)
	to := []store.FileRecipient{{ParticipantID: "p_bob", UserID: "u_bob"}, {ParticipantID: "p_guest"}}
	want := sharedFile("f_one", fileMeeting, "p_alice", "u_alice", base, to...)
	mustAddFiles(t, fs, want, sharedFile("f_all", fileMeeting, "p_guest", "", base))
	got, err := fs.SharedFile(ctx, fileMeeting, "f_one")
	if err != nil {
		t.Fatal(err)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, base)
	if got.ID != want.ID || got.MeetingID != fileMeeting || got.Name != want.Name || !bytes.Equal(got.Key, want.Key) ||
		!slices.Equal(got.To, want.To) || got.Size != want.Size || got.Type != want.Type || got.Scan != want.Scan ||
		got.UploaderID != "p_alice" || got.UploaderUser != "u_alice" {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	all, err := fs.SharedFile(ctx, fileMeeting, "f_all")
	if err != nil || !all.ToEveryone() || all.UploaderUser != "" {
		t.Fatalf("to everyone: %+v, %v", all, err)
	}
	if _, err := fs.SharedFile(ctx, fileOther, "f_one"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a file through another meeting: %v, want ErrNotFound", err)
	}
	if _, err := fs.SharedFile(ctx, fileMeeting, "f_none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("no such file: %v, want ErrNotFound", err)
	}
}

func testFileRefusals(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := fileWorld(t, s)
	const nowhere = "zzzz-zzzz-zzzz-zzzz"
	if err := fs.AddSharedFile(ctx, sharedFile("f_x", nowhere, "p_a", "", base)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a file of no meeting: %v, want ErrNotFound", err)
	}
	// Refusing it must not have made a key for a meeting that does not
	// exist (nothing would ever shred it).
	if ks, ok := s.(store.KeyStore); ok {
		if _, err := ks.DataKey(ctx, sealed.MeetingOwner(nowhere)); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a key was created for an unknown meeting: %v", err)
		}
	}
	mustAddFiles(t, fs, sharedFile("f_x", fileMeeting, "p_a", "", base))
	if err := fs.AddSharedFile(ctx, sharedFile("f_x", fileMeeting, "p_a", "", base)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a duplicate file: %v, want ErrConflict", err)
	}
	twice := sharedFile("f_y", fileMeeting, "p_a", "", base, store.FileRecipient{ParticipantID: "p_b"}, store.FileRecipient{ParticipantID: "p_b"})
	if err := fs.AddSharedFile(ctx, twice); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a recipient twice: %v, want ErrConflict", err)
	}
	if _, err := fs.SharedFile(ctx, fileMeeting, "f_y"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused file left a row: %v", err)
	}
	for _, bad := range []store.SharedFile{
		sharedFile("x_bad", fileMeeting, "p_a", "", base),
		sharedFile("f_z", fileMeeting, "u_not_a_participant", "", base),
	} {
		if err := fs.AddSharedFile(ctx, bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func testFilesOfSubject(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := fileWorld(t, s)
	mustAddFiles(t, fs,
		sharedFile("f_1", fileMeeting, "p_alice", "u_alice", base),
		sharedFile("f_2", fileMeeting, "p_bob", "u_bob", base.Add(time.Second), store.FileRecipient{ParticipantID: "p_alice", UserID: "u_alice"}),
		sharedFile("f_3", fileOther, "p_alice2", "u_alice", base.Add(2*time.Second)),
		sharedFile("f_4", fileMeeting, "p_guest", "", base.Add(3*time.Second), store.FileRecipient{ParticipantID: "p_bob", UserID: "u_bob"}),
		sharedFile("f_5", fileMeeting, "p_bob", "u_bob", base.Add(4*time.Second)), // to everyone: not alice's
	)
	for subject, want := range map[string][]string{
		"u_alice":  {"f_1", "f_2", "f_3"},
		"p_alice":  {"f_1", "f_2"},
		"p_guest":  {"f_4"},
		"u_bob":    {"f_2", "f_4", "f_5"},
		"u_nobody": nil,
	} {
		got, err := fs.SharedFilesOfSubject(ctx, subject)
		if err != nil || !slices.Equal(fileIDs(got), want) {
			t.Errorf("files of %s: %v, %v; want %v", subject, fileIDs(got), err, want)
		}
	}
	for subject, want := range map[string][]string{"u_alice": {"f_1", "f_3"}, "p_bob": {"f_2", "f_5"}, "p_guest": {"f_4"}} {
		got, err := fs.SharedFileIDsByUploader(ctx, subject)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("uploaded by %s: %v, %v; want %v", subject, got, err, want)
		}
	}
}

// testFilesOfMeeting: a privacy officer's review lists a meeting's files,
// oldest first, with their recipients, and none of another meeting's.
func testFilesOfMeeting(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := fileWorld(t, s)
	to := store.FileRecipient{ParticipantID: "p_bob", UserID: "u_bob"}
	mustAddFiles(t, fs,
		sharedFile("f_2", fileMeeting, "p_a", "", base.Add(time.Second)),
		sharedFile("f_1", fileMeeting, "p_a", "", base, to),
		sharedFile("f_3", fileOther, "p_a", "", base),
	)
	got, err := fs.SharedFilesOfMeeting(ctx, fileMeeting)
	if err != nil || !slices.Equal(fileIDs(got), []string{"f_1", "f_2"}) {
		t.Fatalf("files of the meeting: %v, %v", fileIDs(got), err)
	}
	if got[0].Name != fileName || !slices.Equal(got[0].To, []store.FileRecipient{to}) || !got[1].ToEveryone() {
		t.Fatalf("files of the meeting read back as %+v", got)
	}
}

func testFileEraseRecipient(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := fileWorld(t, s)
	mustAddFiles(t, fs,
		sharedFile("f_1", fileMeeting, "p_bob", "u_bob", base, store.FileRecipient{ParticipantID: "p_alice", UserID: "u_alice"},
			store.FileRecipient{ParticipantID: "p_carol"}),
		sharedFile("f_2", fileMeeting, "p_bob", "u_bob", base, store.FileRecipient{ParticipantID: "p_alice2", UserID: "u_alice"},
			store.FileRecipient{ParticipantID: "p_dave"}),
	)
	if n, err := fs.EraseFileRecipient(ctx, "u_alice"); err != nil || n != 2 {
		t.Fatalf("erase u_alice: %d, %v", n, err)
	}
	if n, err := fs.EraseFileRecipient(ctx, "p_carol"); err != nil || n != 1 {
		t.Fatalf("erase p_carol: %d, %v", n, err)
	}
	f, err := fs.SharedFile(ctx, fileMeeting, "f_1")
	want := []store.FileRecipient{{ParticipantID: store.ErasedRecipient}, {ParticipantID: store.ErasedRecipient}}
	if err != nil || !slices.Equal(f.To, want) {
		t.Fatalf("after erasure: %+v, %v", f.To, err)
	}
	if got, _ := fs.SharedFilesOfSubject(ctx, "u_alice"); len(got) != 0 {
		t.Fatalf("an erased recipient still finds %v", fileIDs(got))
	}
	if got, _ := fs.SharedFilesOfSubject(ctx, "u_bob"); len(got) != 2 {
		t.Fatalf("the uploader lost files: %v", fileIDs(got))
	}
}

func testFilesCreatedBefore(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := fileWorld(t, s)
	mustAddFiles(t, fs,
		sharedFile("f_old1", fileMeeting, "p_a", "", base),
		sharedFile("f_new1", fileMeeting, "p_a", "", base.Add(2*time.Hour)),
		sharedFile("f_old2", fileOther, "p_a", "", base),
		sharedFile("f_new2", fileOther, "p_a", "", base.Add(2*time.Hour)),
	)
	got, err := fs.SharedFileIDsCreatedBefore(ctx, base.Add(time.Hour), nil)
	if err != nil || !slices.Equal(got, []string{"f_old1", "f_old2"}) {
		t.Fatalf("organisation cut-off: %v, %v", got, err)
	}
	// The other meeting keeps its files longer, the first shorter than
	// the organisation.
	cutoffs := map[string]time.Time{fileOther: base.Add(-time.Hour), fileMeeting: base.Add(3 * time.Hour)}
	got, err = fs.SharedFileIDsCreatedBefore(ctx, base.Add(time.Hour), cutoffs)
	if err != nil || !slices.Equal(got, []string{"f_new1", "f_old1"}) {
		t.Fatalf("meeting cut-offs: %v, %v", got, err)
	}
}

func testFileDeleteAndExisting(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := fileWorld(t, s)
	mustAddFiles(t, fs, sharedFile("f_1", fileMeeting, "p_a", "", base, store.FileRecipient{ParticipantID: "p_b"}),
		sharedFile("f_2", fileMeeting, "p_a", "", base))
	exist, err := fs.SharedFilesExisting(ctx, []string{"f_1", "f_2", "f_gone"})
	if err != nil || !maps.Equal(exist, map[string]bool{"f_1": true, "f_2": true}) {
		t.Fatalf("existing: %v, %v", exist, err)
	}
	if n, err := fs.DeleteSharedFiles(ctx, []string{"f_1", "f_gone"}); err != nil || n != 1 {
		t.Fatalf("delete: %d, %v", n, err)
	}
	if exist, err := fs.SharedFilesExisting(ctx, []string{"f_1", "f_2"}); err != nil || !maps.Equal(exist, map[string]bool{"f_2": true}) {
		t.Fatalf("after delete: %v, %v", exist, err)
	}
	// Its recipient rows went with it.
	if got, err := fs.SharedFilesOfSubject(ctx, "p_b"); err != nil || len(got) != 0 {
		t.Fatalf("the recipient still finds %v, %v", fileIDs(got), err)
	}
}

// testFilesGoWithMeeting: deleting a meeting deletes its files' rows (and
// their sealed keys) with its own key.
func testFilesGoWithMeeting(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := fileWorld(t, s)
	deleter, ok := s.(interface {
		DeleteMeetings(ctx context.Context, ids []string) (int, error)
	})
	if !ok {
		t.Skip("this store cannot delete meetings")
	}
	mustAddFiles(t, fs, sharedFile("f_1", fileMeeting, "p_a", "", base, store.FileRecipient{ParticipantID: "p_b"}),
		sharedFile("f_2", fileOther, "p_a", "", base))
	if _, err := deleter.DeleteMeetings(ctx, []string{fileMeeting}); err != nil {
		t.Fatal(err)
	}
	if exist, err := fs.SharedFilesExisting(ctx, []string{"f_1", "f_2"}); err != nil || !maps.Equal(exist, map[string]bool{"f_2": true}) {
		t.Fatalf("after the meeting's deletion: %v, %v", exist, err)
	}
}

// testFileKeyShredded: with the meeting's key gone, the file reads as
// erased and lists leave it out.
func testFileKeyShredded(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := fileWorld(t, s)
	ks := keyWorld(t, s)
	mustAddFiles(t, fs, sharedFile("f_1", fileMeeting, "p_a", "u_a", base), sharedFile("f_2", fileOther, "p_a", "u_a", base))
	if _, err := ks.DeleteDataKey(ctx, sealed.MeetingOwner(fileMeeting)); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.SharedFile(ctx, fileMeeting, "f_1"); !errors.Is(err, store.ErrErased) {
		t.Fatalf("a shredded meeting's file: %v, want ErrErased", err)
	}
	if got, err := fs.SharedFilesOfSubject(ctx, "u_a"); err != nil || !slices.Equal(fileIDs(got), []string{"f_2"}) {
		t.Fatalf("files of a subject with a shredded meeting: %v, %v", fileIDs(got), err)
	}
	if got, err := fs.SharedFilesOfMeeting(ctx, fileMeeting); err != nil || len(got) != 0 {
		t.Fatalf("files of a shredded meeting: %v, %v", fileIDs(got), err)
	}
}

// testFileChatReference: a chat message that shares a file reads back with
// the file's ID, size and type; once the file is deleted the message stays
// as its name alone; a message naming a file that does not exist is
// refused.
func testFileChatReference(t *testing.T, s store.Store) {
	ctx := context.Background()
	fs := fileWorld(t, s)
	cs, ok := s.(ChatStore)
	if !ok {
		t.Skip("this store keeps no chat")
	}
	mustAddFiles(t, fs, sharedFile("f_ref", fileMeeting, "p_alice", "", base))
	msg := store.ChatMessage{ID: "c_file", MeetingID: fileMeeting, SenderID: "p_alice", SenderName: "Alice",
		Text: fileName, CreatedAt: base, File: &store.ChatFile{ID: "f_ref"}}
	plain := store.ChatMessage{ID: "c_plain", MeetingID: fileMeeting, SenderID: "p_alice", SenderName: "Alice",
		Text: "hello", CreatedAt: base.Add(time.Second)}
	mustAddChat(t, cs, msg, plain)
	ms, err := cs.ChatMessagesOfMeeting(ctx, fileMeeting)
	if err != nil || len(ms) != 2 {
		t.Fatalf("messages: %+v, %v", ms, err)
	}
	if f := ms[0].File; f == nil || *f != (store.ChatFile{ID: "f_ref", Size: 1234, Type: "application/pdf"}) {
		t.Fatalf("the file reference read back as %+v", f)
	}
	if ms[1].File != nil {
		t.Fatalf("a plain message has a file: %+v", ms[1].File)
	}
	if _, err := fs.DeleteSharedFiles(ctx, []string{"f_ref"}); err != nil {
		t.Fatal(err)
	}
	ms, err = cs.ChatMessagesOfMeeting(ctx, fileMeeting)
	if err != nil || len(ms) != 2 || ms[0].File != nil || ms[0].Text != fileName {
		t.Fatalf("after the file's deletion: %+v, %v", ms, err)
	}
	ghost := msg
	ghost.ID, ghost.File = "c_ghost", &store.ChatFile{ID: "f_none"}
	if err := cs.AddChatMessage(ctx, ghost); err == nil {
		t.Fatal("a message naming a file that does not exist was stored")
	}
}
