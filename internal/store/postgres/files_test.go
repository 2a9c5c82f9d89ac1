package postgres

import (
	"context"
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

// TestSharedFilesSealed: a file's name and content key are in no dump in
// plain text. What every backend does with files is in the conformance
// suite (storetest, group "files"); a dump is PostgreSQL's own to show.
func TestSharedFilesSealed(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t)
	s := openOn(t, dsn, clusterKey(t))
	fileWorld(t, s)
	to := []store.FileRecipient{{ParticipantID: "p_2", UserID: "u_two"}, {ParticipantID: "p_1"}}
	for _, f := range []store.SharedFile{
		sharedFile("f_1", fileMeeting, "p_up", t0, to...),
		sharedFile("f_2", otherMeeting, "p_other", t0),
	} {
		if err := s.AddSharedFile(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.SharedFile(ctx, fileMeeting, "f_1")
	if err != nil || got.Name != secretFile || string(got.Key) != "32-byte content key of the file." {
		t.Fatalf("SharedFile = %+v, %v", got, err)
	}
	assertAbsent(t, "the dump", pgtest.Dump(t, dsn), secretFile, "32-byte content key of the file.")
}
