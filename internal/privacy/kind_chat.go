package privacy

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// ChatStore is what the chat_message kind reads, erases and expires
// (sqlite.Store implements it).
type ChatStore interface {
	// ChatMessagesOfSubject lists the messages the subject sent, and the
	// private and group messages sent to them: an account's by account
	// ID, a guest's by participant ID.
	ChatMessagesOfSubject(ctx context.Context, subjectID string) ([]store.ChatMessage, error)
	// EraseChatSubject deletes what the subject sent and replaces them by
	// "erased" where they received or deleted a message.
	EraseChatSubject(ctx context.Context, subjectID string) (deleted, pseudonymised int, err error)
	// ExpireChat deletes messages created before the cut-off (their
	// meeting's own, for the meetings in cutoffs).
	ExpireChat(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error)
}

// ChatKind is the chat messages participants write in meetings
// (docs/privacy.md, "Chat").
type ChatKind struct{ Store ChatStore }

// Declare implements Kind.
func (ChatKind) Declare() Declaration {
	return Declaration{
		Name:     "chat_message",
		Category: CatChat,
		Description: "Chat messages written in a meeting, to everyone or to chosen participants: the text and the " +
			"sender's display name (encrypted under the meeting's key), who sent it to whom and when, and whether " +
			"a host deleted it. In an end-to-end encrypted meeting the text is kept only as the ciphertext the " +
			"participants' browsers made, which the server cannot read.",
		Purpose: "Let participants write to each other during a meeting; where the host chose so, show late " +
			"joiners the earlier messages and let participants with an account read the chat after the meeting.",
		LegalBasis: Contract,
		Storage:    "tables chat_messages and chat_recipients; sealed under the meeting's key (table data_keys)",
		Fields: []string{"message text, or its end-to-end ciphertext (sealed)", "sender display name (sealed)", "meeting ID (plain)",
			"sender participant and account IDs (plain)", "recipient participant and account IDs (plain)",
			"sent at, deleted at and by whom (plain)"},
	}
}

// chatRecord is one exported message. The other party is named by
// participant ID only: names and texts of other people's messages to
// everyone are theirs, not the subject's.
type chatRecord struct {
	ID      string    `json:"id"`
	Meeting string    `json:"meeting"`
	Sent    time.Time `json:"sent_at"`
	// Role is "sender" or "recipient".
	Role string `json:"role"`
	// From is the sender's participant ID; FromName only on the subject's
	// own messages (the name they gave).
	From     string `json:"from"`
	FromName string `json:"from_name,omitempty"`
	// To is "everyone" or the recipients' participant IDs.
	To      []string  `json:"to"`
	Text    string    `json:"text"`
	Deleted time.Time `json:"deleted_at,omitzero"`
	// E2EE marks a message of an end-to-end encrypted meeting: the server
	// holds only ciphertext it cannot read, so Text is empty and Note
	// says why (the ciphertext is of no use: its keys lived in the
	// browsers for the meeting only).
	E2EE bool   `json:"e2ee,omitempty"`
	Note string `json:"note,omitempty"`
}

// E2EENote is what exports and reviews say instead of an end-to-end
// encrypted message's text.
const E2EENote = "end-to-end encrypted: the server cannot read this message"

// Export implements Kind: the messages the subject sent, with the text,
// and the private and group messages sent to them.
func (k ChatKind) Export(ctx context.Context, s Subject) ([]Item, error) {
	ms, err := k.Store.ChatMessagesOfSubject(ctx, s.ID)
	if err != nil {
		return nil, fmt.Errorf("chat_message: %w", err)
	}
	items := make([]Item, 0, len(ms))
	for _, m := range ms {
		rec := chatRecord{ID: m.ID, Meeting: m.MeetingID, Sent: m.CreatedAt, Role: "recipient", From: m.SenderID,
			To: chatTo(m), Text: m.Text, Deleted: m.DeletedAt}
		if m.E2EE() {
			rec.E2EE, rec.Note = true, E2EENote
		}
		if m.SenderID == s.ID || m.SenderUser == s.ID {
			rec.Role, rec.FromName = "sender", m.SenderName
		}
		items = append(items, Item{Record: rec})
	}
	return items, nil
}

// chatTo names a message's recipients as exported and reviewed.
func chatTo(m store.ChatMessage) []string {
	if m.ToEveryone() {
		return []string{"everyone"}
	}
	out := make([]string, len(m.To))
	for i, r := range m.To {
		out[i] = r.ParticipantID
	}
	return out
}

// Erase implements Kind: the messages the subject sent are deleted (text,
// name and row; the WAL is scrubbed); where they received a private or
// group message, the message stays for its sender with the recipient
// shown as "erased", and where they deleted one as a host, the deletion
// stays without their ID.
func (k ChatKind) Erase(ctx context.Context, s Subject) (Erased, error) {
	if !strings.HasPrefix(s.ID, "u_") && !strings.HasPrefix(s.ID, "p_") {
		return Erased{}, fmt.Errorf("chat_message: %w", ErrBadSubject)
	}
	deleted, pseudo, err := k.Store.EraseChatSubject(ctx, s.ID)
	if err != nil {
		return Erased{}, fmt.Errorf("chat_message: %w", err)
	}
	out := Erased{Deleted: deleted, Pseudonymous: pseudo}
	if pseudo > 0 {
		out.Note = "messages sent to the person stay with their senders, the recipient shown as erased"
	}
	return out, nil
}

// Expire implements Kind with the organisation's cut-off for every meeting.
func (k ChatKind) Expire(ctx context.Context, before time.Time) (int, error) {
	return k.ExpireMeetings(ctx, before, nil)
}

// ExpireMeetings implements retention.MeetingScoped: a meeting's own chat
// period applies to its messages.
func (k ChatKind) ExpireMeetings(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error) {
	n, err := k.Store.ExpireChat(ctx, before, cutoffs)
	if err != nil {
		return n, fmt.Errorf("chat_message: %w", err)
	}
	return n, nil
}
