package sealed

import (
	"context"
	"errors"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

const chatMeeting = "k3m9-x2qa-7hvt-p4dc"

func TestChatRoundTrip(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	m := store.ChatMessage{ID: "c_1", MeetingID: chatMeeting, SenderID: "p_1", SenderName: "Ada Lovelace",
		Text: "the launch code is swordfish", CreatedAt: when}
	c, err := SealChat(ctx, k, m)
	if err != nil {
		t.Fatal(err)
	}
	noPlain(t, "the sender's name", c.SenderNameSealed, m.SenderName)
	noPlain(t, "the text", c.BodySealed, m.Text)
	if c.E2EE || c.Text != "" || c.SenderName != "" {
		t.Fatalf("the row: %+v", c)
	}
	got, err := c.Open(ctx, k)
	if err != nil || got.Text != m.Text || got.SenderName != m.SenderName || got.Ciphertext != nil {
		t.Fatalf("got %+v, %v", got, err)
	}
	deleted := c
	deleted.BodySealed = nil
	if got, err := deleted.Open(ctx, k); err != nil || got.Text != "" || got.SenderName != m.SenderName {
		t.Fatalf("a deleted message: %+v, %v", got, err)
	}
	moved := c
	moved.ID = "c_2"
	if _, err := moved.Open(ctx, k); err == nil {
		t.Error("a message's fields opened as another message's")
	}
	if err := k.Shred(ctx, MeetingOwner(chatMeeting)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Open(ctx, k); !errors.Is(err, store.ErrErased) {
		t.Errorf("a shredded meeting's message: %v, want ErrErased", err)
	}
}

// TestChatEndToEnd: an end-to-end encrypted message's ciphertext is
// sealed like a text and comes back as ciphertext, never as text.
func TestChatEndToEnd(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	m := store.ChatMessage{ID: "c_1", MeetingID: chatMeeting, SenderID: "p_1", SenderName: "Ada",
		Ciphertext: []byte("browser-sealed bytes"), CreatedAt: when}
	c, err := SealChat(ctx, k, m)
	if err != nil {
		t.Fatal(err)
	}
	noPlain(t, "the ciphertext", c.BodySealed, string(m.Ciphertext))
	if !c.E2EE || c.Ciphertext != nil {
		t.Fatalf("the row: %+v", c)
	}
	got, err := c.Open(ctx, k)
	if err != nil || string(got.Ciphertext) != string(m.Ciphertext) || got.Text != "" || !got.E2EE() {
		t.Fatalf("got %+v, %v", got, err)
	}
}
