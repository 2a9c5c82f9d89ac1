package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// TestChatCiphertextSealedAtRest: an end-to-end encrypted message's
// ciphertext is sealed under the meeting's key like a text (its bytes are
// not in the files), marked e2ee in its row, and read back as ciphertext.
func TestChatCiphertextSealedAtRest(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "conclave.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	seedSecrets(t, s)
	const distinctive = "ciphertext-from-a-browser:Vv8Qz3mK"
	m := store.ChatMessage{ID: "c_e", MeetingID: chatMeetingID, SenderID: "p_a", SenderName: secretChatSender,
		Ciphertext: []byte(distinctive), CreatedAt: time.Now()}
	if err := s.AddChatMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	var e2ee int
	if err := s.db.QueryRowContext(ctx, "SELECT e2ee FROM chat_messages WHERE id = 'c_e'").Scan(&e2ee); err != nil || e2ee != 1 {
		t.Fatalf("e2ee column %d, %v", e2ee, err)
	}
	ms, err := s.ChatMessagesOfMeeting(ctx, chatMeetingID)
	if err != nil || len(ms) != 1 || string(ms[0].Ciphertext) != distinctive || ms[0].Text != "" {
		t.Fatalf("read back: %+v %v", ms, err)
	}
	assertAbsent(t, fileBytes(t, path), distinctive, secretChatSender)
}
