package chat

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/store"
)

// fakeStore records what the Keeper asks of the store.
type fakeStore struct {
	added []store.ChatMessage
	// ctxErr and deadline: the context AddChatMessage was called with.
	ctxErr   error
	deadline bool
	addErr   error
	history  []store.ChatMessage
	since    time.Time
	deleted  []string
	deleteFn func() error
}

func (f *fakeStore) AddChatMessage(ctx context.Context, m store.ChatMessage) error {
	f.ctxErr = ctx.Err()
	_, f.deadline = ctx.Deadline()
	if f.addErr != nil {
		return f.addErr
	}
	f.added = append(f.added, m)
	return nil
}

func (f *fakeStore) ChatToEveryoneSince(_ context.Context, _ string, since time.Time) ([]store.ChatMessage, error) {
	f.since = since
	return f.history, nil
}

func (f *fakeStore) DeleteChatMessage(_ context.Context, meetingID, id, by string, at time.Time) error {
	f.deleted = append(f.deleted, fmt.Sprintf("%s/%s by %s at %s", meetingID, id, by, at.Format(time.RFC3339)))
	if f.deleteFn != nil {
		return f.deleteFn()
	}
	return nil
}

var at = time.Date(2031, 1, 2, 3, 4, 5, 0, time.UTC)

// TestKeepRecordsWhoAndWhom: what is kept names the sender's participant,
// account and name, each recipient with their account (so export and
// erasure find them), the text or the ciphertext, and the shared file.
func TestKeepRecordsWhoAndWhom(t *testing.T) {
	f := &fakeStore{}
	k := NewKeeper(f)
	m := room.ChatMessage{ID: "c_1", From: "p_ana", FromUser: "u_ana", FromName: "Ana", Text: "hello", Time: at,
		To: []room.Recipient{{ID: "p_bob", UserID: "u_bob"}, {ID: "p_gus"}}}
	if err := k.Keep(context.Background(), "m1", m); err != nil {
		t.Fatal(err)
	}
	want := store.ChatMessage{ID: "c_1", MeetingID: "m1", SenderID: "p_ana", SenderUser: "u_ana", SenderName: "Ana",
		Text: "hello", CreatedAt: at,
		To: []store.ChatRecipient{{ParticipantID: "p_bob", UserID: "u_bob"}, {ParticipantID: "p_gus"}}}
	if !reflect.DeepEqual(f.added, []store.ChatMessage{want}) {
		t.Fatalf("kept %+v, want %+v", f.added, want)
	}

	sealed := room.ChatMessage{ID: "c_2", From: "p_ana", Ciphertext: []byte{1, 2, 3}, Time: at,
		File: &room.FileRef{ID: "f_9", Name: "notes.pdf"}}
	if err := k.Keep(context.Background(), "m1", sealed); err != nil {
		t.Fatal(err)
	}
	got := f.added[1]
	if got.Text != "" || !reflect.DeepEqual(got.Ciphertext, []byte{1, 2, 3}) || got.File == nil || got.File.ID != "f_9" || got.To != nil {
		t.Fatalf("an encrypted message to everyone with a file kept as %+v", got)
	}
}

// TestKeepOutlivesTheSender: a sender who leaves (their context ends)
// does not cut the storing short, and it is still bounded.
func TestKeepOutlivesTheSender(t *testing.T) {
	f := &fakeStore{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := NewKeeper(f).Keep(ctx, "m1", room.ChatMessage{ID: "c_1", Text: "bye", Time: at}); err != nil {
		t.Fatal(err)
	}
	if f.ctxErr != nil || !f.deadline {
		t.Fatalf("stored under a context with error %v, deadline %v: want live and bounded", f.ctxErr, f.deadline)
	}
	if len(f.added) != 1 {
		t.Fatal("the message of a sender who left was not kept")
	}
}

func TestKeepFailureIsAnError(t *testing.T) {
	f := &fakeStore{addErr: errors.New("disk full")}
	err := NewKeeper(f).Keep(context.Background(), "m1", room.ChatMessage{ID: "c_1", Text: "x"})
	if err == nil || !errors.Is(err, f.addErr) {
		t.Fatalf("Keep = %v, want the store's error wrapped", err)
	}
}

func TestDelete(t *testing.T) {
	f := &fakeStore{}
	k := NewKeeper(f)
	if err := k.Delete(context.Background(), "m1", "c_1", "p_host", at); err != nil {
		t.Fatal(err)
	}
	if want := []string{"m1/c_1 by p_host at 2031-01-02T03:04:05Z"}; !reflect.DeepEqual(f.deleted, want) {
		t.Fatalf("deleted %v, want %v", f.deleted, want)
	}
	f.deleteFn = func() error { return fmt.Errorf("lookup: %w", store.ErrNotFound) }
	if err := k.Delete(context.Background(), "m1", "c_other", "p_host", at); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another meeting's message: %v, want ErrNotFound", err)
	}
	broken := errors.New("connection reset")
	f.deleteFn = func() error { return broken }
	if err := k.Delete(context.Background(), "m1", "c_1", "p_host", at); !errors.Is(err, broken) || errors.Is(err, ErrNotFound) {
		t.Fatalf("a store failure: %v", err)
	}
}

// TestHistoryKeepsTheLatest: a late joiner gets at most HistoryMax
// messages, the latest, oldest first.
func TestHistoryKeepsTheLatest(t *testing.T) {
	f := &fakeStore{}
	for i := range HistoryMax + 20 {
		f.history = append(f.history, store.ChatMessage{ID: fmt.Sprintf("c_%d", i)})
	}
	got, err := NewKeeper(f).History(context.Background(), "m1", at)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != HistoryMax || got[0].ID != "c_20" || got[len(got)-1].ID != fmt.Sprintf("c_%d", HistoryMax+19) {
		t.Fatalf("history of %d from %s to %s", len(got), got[0].ID, got[len(got)-1].ID)
	}
	if !f.since.Equal(at) {
		t.Fatalf("asked since %s, want %s", f.since, at)
	}
}
