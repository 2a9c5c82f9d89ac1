package postgres

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/pgtest"
	"github.com/conclave-meet/conclave/internal/store"
)

const (
	fileMeeting  = "ffff-mmmm-ffff-0001"
	otherMeeting = "ffff-mmmm-ffff-0002"
	secretFile   = "Quillbrook salaries.xlsx"
)

func fileWorld(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	if err := s.CreateUser(ctx, store.User{ID: "u_h", Email: "h@example.org", Role: store.RoleMember, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{fileMeeting, otherMeeting} {
		m := store.Meeting{ID: id, Title: "t", HostID: "u_h", CreatedAt: t0,
			ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone}
		if err := s.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
}

func sharedFile(id, meeting, uploader string, at time.Time, to ...store.FileRecipient) store.SharedFile {
	return store.SharedFile{ID: id, MeetingID: meeting, UploaderID: uploader, UploaderUser: "u_h", Name: secretFile,
		Size: 42, Type: "application/pdf", Key: []byte("32-byte content key of the file."), Scan: store.ScanClean,
		CreatedAt: at, To: to}
}

// TestSharedFiles: files round-trip with their recipients, are found by
// subject, expire by their meeting's cut-off, and their names and keys
// are in no dump in plain text.
func TestSharedFiles(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	s := openOn(t, dsn, clusterKey(t))
	fileWorld(t, s)
	to := []store.FileRecipient{{ParticipantID: "p_2", UserID: "u_two"}, {ParticipantID: "p_1"}}
	for _, f := range []store.SharedFile{
		sharedFile("f_1", fileMeeting, "p_up", t0, to...),
		sharedFile("f_2", fileMeeting, "p_up", t0.Add(time.Hour)),
		sharedFile("f_3", otherMeeting, "p_other", t0),
	} {
		if err := s.AddSharedFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddSharedFile(ctx, sharedFile("f_1", fileMeeting, "p_up", t0)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a duplicate file: %v, want ErrConflict", err)
	}
	if err := s.AddSharedFile(ctx, sharedFile("f_9", "nope-nope-nope-nope", "p_up", t0)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a file of no meeting: %v, want ErrNotFound", err)
	}
	got, err := s.SharedFile(ctx, fileMeeting, "f_1")
	if err != nil || got.Name != secretFile || string(got.Key) != "32-byte content key of the file." || fmt.Sprint(got.To) != fmt.Sprint(to) {
		t.Fatalf("SharedFile = %+v, %v", got, err)
	}
	if _, err := s.SharedFile(ctx, otherMeeting, "f_1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a file through another meeting: %v", err)
	}
	if fs, err := s.SharedFilesOfSubject(ctx, "u_two"); err != nil || len(fs) != 1 || fs[0].ID != "f_1" {
		t.Fatalf("files of a recipient: %+v, %v", fs, err)
	}
	if ids, err := s.SharedFileIDsByUploader(ctx, "p_up"); err != nil || fmt.Sprint(ids) != "[f_1 f_2]" {
		t.Fatalf("by uploader: %v, %v", ids, err)
	}
	if fs, err := s.SharedFilesOfMeeting(ctx, fileMeeting); err != nil || len(fs) != 2 || fs[0].ID != "f_1" {
		t.Fatalf("files of the meeting: %+v, %v", fs, err)
	}
	assertAbsent(t, "the dump", pgtest.Dump(t, dsn), secretFile, "32-byte content key of the file.")

	if n, err := s.EraseFileRecipient(ctx, "p_2"); err != nil || n != 1 {
		t.Fatalf("EraseFileRecipient = %d, %v", n, err)
	}
	if got, _ := s.SharedFile(ctx, fileMeeting, "f_1"); got.To[0] != (store.FileRecipient{ParticipantID: store.ErasedRecipient}) {
		t.Fatalf("the erased recipient: %+v", got.To)
	}
	// The other meeting keeps its files a day longer than the organisation.
	ids, err := s.SharedFileIDsCreatedBefore(ctx, t0.Add(2*time.Hour), map[string]time.Time{otherMeeting: t0})
	if err != nil || fmt.Sprint(ids) != "[f_1 f_2]" {
		t.Fatalf("created before: %v, %v", ids, err)
	}
	if n, err := s.DeleteSharedFiles(ctx, ids); err != nil || n != 2 {
		t.Fatalf("DeleteSharedFiles = %d, %v", n, err)
	}
	if found, err := s.SharedFilesExisting(ctx, []string{"f_1", "f_3", "f_x"}); err != nil || fmt.Sprint(found) != "map[f_3:true]" {
		t.Fatalf("existing: %v, %v", found, err)
	}
}

// TestSharedFileGoesWithMeetingKey: once the meeting's key is shredded,
// its files are unreadable: left out of lists, ErrErased alone.
func TestSharedFileGoesWithMeetingKey(t *testing.T) {
	ctx := context.Background()
	s := nodes(t, 1)[0]
	fileWorld(t, s)
	if err := s.AddSharedFile(ctx, sharedFile("f_1", fileMeeting, "p_up", t0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Keyring().Shred(ctx, "meeting:"+fileMeeting); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SharedFile(ctx, fileMeeting, "f_1"); !errors.Is(err, store.ErrErased) {
		t.Fatalf("a shredded meeting's file: %v, want ErrErased", err)
	}
	if fs, err := s.SharedFilesOfMeeting(ctx, fileMeeting); err != nil || len(fs) != 0 {
		t.Fatalf("listed: %+v, %v", fs, err)
	}
}
