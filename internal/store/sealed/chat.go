package sealed

import (
	"context"

	"github.com/conclave-meet/conclave/internal/store"
)

// Names bound into a chat message's sealed fields, with the message ID
// after them, so that a text moved to another message of the same meeting
// fails to open.
const (
	AADChatBody       = "chat_messages.body\x00"
	AADChatSenderName = "chat_messages.sender_name\x00"
)

// Chat is a chat message as a backend stores it: the sender's name and
// the body sealed under the meeting's key. The body is the text, or for an
// end-to-end encrypted message (E2EE) the browser's ciphertext, sealed the
// same; nil once a host deleted the message. The embedded message's
// SenderName, Text and Ciphertext are empty; its recipients and file are
// the backend's to store.
type Chat struct {
	store.ChatMessage
	SenderNameSealed, BodySealed []byte
	E2EE                         bool
}

// SealChat seals m's sender name and body. Callers check first that the
// meeting exists (sealing creates a missing meeting key).
func SealChat(ctx context.Context, k Keys, m store.ChatMessage) (Chat, error) {
	owner := MeetingOwner(m.MeetingID)
	name, err := k.Seal(ctx, owner, []byte(m.SenderName), []byte(AADChatSenderName+m.ID))
	if err != nil {
		return Chat{}, err
	}
	plain, e2ee := []byte(m.Text), m.E2EE()
	if e2ee {
		plain = m.Ciphertext
	}
	body, err := k.Seal(ctx, owner, plain, []byte(AADChatBody+m.ID))
	if err != nil {
		return Chat{}, err
	}
	row := m
	row.SenderName, row.Text, row.Ciphertext = "", "", nil
	return Chat{ChatMessage: row, SenderNameSealed: name, BodySealed: body, E2EE: e2ee}, nil
}

// Open opens the sender's name and, unless the message was deleted, the
// body; store.ErrErased when the meeting's key was shredded.
func (c Chat) Open(ctx context.Context, k Keys) (store.ChatMessage, error) {
	m := c.ChatMessage
	owner := MeetingOwner(m.MeetingID)
	name, err := k.Open(ctx, owner, c.SenderNameSealed, []byte(AADChatSenderName+m.ID))
	if IsShredded(err) {
		return store.ChatMessage{}, store.ErrErased
	}
	if err != nil {
		return store.ChatMessage{}, err
	}
	m.SenderName = string(name)
	if c.BodySealed != nil {
		body, err := k.Open(ctx, owner, c.BodySealed, []byte(AADChatBody+m.ID))
		if err != nil {
			return store.ChatMessage{}, err
		}
		if c.E2EE {
			m.Ciphertext = body
		} else {
			m.Text = string(body)
		}
	}
	return m, nil
}
