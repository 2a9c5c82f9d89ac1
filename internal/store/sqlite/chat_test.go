package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/crypt"
	"github.com/conclave-meet/conclave/internal/store"
)

// Distinctive chat text and sender name, for the byte scans below.
const (
	secretChat       = "Quixotic zebra-fjord rendezvous at dawn"
	secretChatSender = "Philomena Wrexhamshire"
)

const chatMeetingID = "zzzz-yyyy-xxxx-wwww"

func seedChat(t *testing.T, s *Store) {
	t.Helper()
	seedSecrets(t, s)
	ctx := context.Background()
	for _, m := range []store.ChatMessage{
		{ID: "c_a", MeetingID: chatMeetingID, SenderID: "p_a", SenderName: secretChatSender, Text: secretChat, CreatedAt: time.Now()},
		{ID: "c_b", MeetingID: chatMeetingID, SenderID: "p_b", SenderUser: "u_z", SenderName: secretName, Text: secretChat + " (private)",
			CreatedAt: time.Now(), To: []store.ChatRecipient{{ParticipantID: "p_a"}}},
	} {
		if err := s.AddChatMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
}

// TestChatSealed: chat text and sender names read back through the store
// but never reach the files in plain text; a sealed text moved to another
// message does not open (it is bound to its message ID); deleting a
// message for everyone drops its ciphertext.
func TestChatSealed(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seedChat(t, s)
	ms, err := s.ChatMessagesOfMeeting(ctx, chatMeetingID)
	if err != nil || len(ms) != 2 || ms[0].Text != secretChat || ms[0].SenderName != secretChatSender {
		t.Fatalf("read back: %+v %v", ms, err)
	}
	assertAbsent(t, fileBytes(t, path), secretChat, secretChatSender)

	var bodyA []byte
	if err := s.db.QueryRowContext(ctx, "SELECT body_sealed FROM chat_messages WHERE id = 'c_a'").Scan(&bodyA); err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, "UPDATE chat_messages SET body_sealed = ? WHERE id = 'c_b'", bodyA); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ChatMessagesOfMeeting(ctx, chatMeetingID); err == nil {
		t.Fatal("a text moved to another message opened")
	}
	if err := s.DeleteChatMessage(ctx, chatMeetingID, "c_b", "p_host", time.Now()); err != nil {
		t.Fatal(err)
	}
	var left int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM chat_messages WHERE body_sealed IS NOT NULL").Scan(&left); err != nil || left != 1 {
		t.Fatalf("%d sealed texts left after deleting one of two, %v", left, err)
	}
}

// TestChatShreddedWithMeeting: deleting the meeting deletes its chat and
// its key, so that nothing of the chat is left in the files (not even the
// wrapped key) and ciphertext copied out before no longer opens.
func TestChatShreddedWithMeeting(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	seedChat(t, s)
	key, err := s.DataKey(ctx, meetingOwner(chatMeetingID))
	if err != nil {
		t.Fatal(err)
	}
	var body []byte
	if err := s.db.QueryRowContext(ctx, "SELECT body_sealed FROM chat_messages WHERE id = 'c_a'").Scan(&body); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteMeetings(ctx, []string{chatMeetingID}); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := s.db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM chat_messages) + (SELECT count(*) FROM chat_recipients)").Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("%d chat rows left with the meeting gone, %v", rows, err)
	}
	if _, err := s.Keyring().Open(ctx, meetingOwner(chatMeetingID), body, []byte(aadChatBody+"c_a")); err == nil {
		t.Fatal("copied chat ciphertext opens after the meeting's key was shredded")
	} else if !errIsShredded(err) {
		t.Fatalf("copied ciphertext: %v, want %v", err, crypt.ErrShredded)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	assertAbsent(t, fileBytes(t, path), secretChat, secretChatSender, string(key.Wrapped), string(body))
}

// TestChatMigrationDown: going back drops the chat tables and the meeting
// options; the way up works again.
func TestChatMigrationDown(t *testing.T) {
	ctx := context.Background()
	db, p := openRaw(t, filepath.Join(t.TempDir(), "conclave.db"), 16)
	if _, err := db.Exec(`INSERT INTO users (id, role, password_hash, created_at) VALUES ('u_a', 'member', 'h', 1)`); err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(ctx, 15); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM sqlite_schema WHERE name LIKE 'chat%'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d chat tables and indexes after down, %v", n, err)
	}
	if _, err := p.UpTo(ctx, 16); err != nil {
		t.Fatalf("up again: %v", err)
	}
}
