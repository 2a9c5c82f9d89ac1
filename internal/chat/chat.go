// Package chat keeps a live meeting's chat messages (docs/privacy.md,
// "Chat"). The room checks, numbers and delivers messages under its lock;
// signalling hands each one to a Keeper between the room's two short
// critical sections, so the store's I/O never runs under the room lock and
// a message reaches nobody unless it was kept. The store seals text and
// sender names under the meeting's key (internal/store/sealed); the
// privacy kind chat_message (internal/privacy) exports, erases and
// expires what is kept; internal/web serves the officer's review and the
// chat after the meeting.
package chat

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/store"
)

// Store keeps chat messages (both store backends implement it).
type Store interface {
	// AddChatMessage returns once the message is stored.
	AddChatMessage(ctx context.Context, m store.ChatMessage) error
	// ChatToEveryoneSince lists the meeting's messages to everyone sent at
	// or after since and not deleted, oldest first.
	ChatToEveryoneSince(ctx context.Context, meetingID string, since time.Time) ([]store.ChatMessage, error)
	// DeleteChatMessage deletes a message of the meeting for everyone:
	// its text is erased and the deletion noted (store.ErrNotFound for a
	// message of another meeting or none).
	DeleteChatMessage(ctx context.Context, meetingID, id, by string, at time.Time) error
}

// Limits of one Keeper call.
const (
	// Timeout bounds one store operation. A participant who sent a message
	// and left must not cancel its storing halfway, so the caller's
	// cancellation is not passed on; its values are.
	Timeout = 10 * time.Second
	// HistoryMax bounds the messages a late joiner gets.
	HistoryMax = 500
)

// ErrNotFound is returned by Delete for a message that is not the
// meeting's.
var ErrNotFound = errors.New("chat: no such message in this meeting")

// Keeper stores the messages of live meetings.
type Keeper struct{ store Store }

// NewKeeper keeps messages in s.
func NewKeeper(s Store) *Keeper { return &Keeper{store: s} }

// Keep stores m, a message of meetingID as the room prepared it.
func (k *Keeper) Keep(ctx context.Context, meetingID string, m room.ChatMessage) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), Timeout)
	defer cancel()
	if err := k.store.AddChatMessage(ctx, Record(meetingID, m)); err != nil {
		return fmt.Errorf("chat: keep message: %w", err)
	}
	return nil
}

// Record is m as the store keeps it: the sender's participant ID, account
// and name, the recipients with their accounts (so that erasure and
// export find them), the text or the ciphertext, the shared file.
func Record(meetingID string, m room.ChatMessage) store.ChatMessage {
	sm := store.ChatMessage{ID: m.ID, MeetingID: meetingID, SenderID: m.From, SenderUser: m.FromUser,
		SenderName: m.FromName, Text: m.Text, Ciphertext: m.Ciphertext, CreatedAt: m.Time}
	if m.File != nil {
		sm.File = &store.ChatFile{ID: m.File.ID}
	}
	for _, r := range m.To {
		sm.To = append(sm.To, store.ChatRecipient{ParticipantID: r.ID, UserID: r.UserID})
	}
	return sm
}

// Delete erases message id of meetingID for everyone, noting who (by) and
// when; ErrNotFound when the meeting has no such message.
func (k *Keeper) Delete(ctx context.Context, meetingID, id, by string, at time.Time) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), Timeout)
	defer cancel()
	err := k.store.DeleteChatMessage(ctx, meetingID, id, by, at)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return ErrNotFound
	case err != nil:
		return fmt.Errorf("chat: delete message: %w", err)
	}
	return nil
}

// History is what a late joiner of meetingID gets: the last HistoryMax
// messages to everyone since the meeting went live, oldest first.
func (k *Keeper) History(ctx context.Context, meetingID string, since time.Time) ([]store.ChatMessage, error) {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	msgs, err := k.store.ChatToEveryoneSince(ctx, meetingID, since)
	if err != nil {
		return nil, fmt.Errorf("chat: history: %w", err)
	}
	if len(msgs) > HistoryMax {
		msgs = msgs[len(msgs)-HistoryMax:]
	}
	return msgs, nil
}
