package store

import "time"

// ChatMessage is a stored chat message (docs/privacy.md, "Chat"). The
// text and the sender's display name are sealed under the meeting's key;
// IDs stay plain so that a subject's messages can be found.
type ChatMessage struct {
	ID         string // "c_…"
	MeetingID  string
	SenderID   string // participant ID
	SenderUser string // account ID; empty for guests
	SenderName string
	// To is empty for a message to everyone.
	To        []ChatRecipient
	Text      string
	CreatedAt time.Time
	// DeletedAt is set when a host deleted the message for everyone; the
	// text is then gone and only the fact remains.
	DeletedAt time.Time
	DeletedBy string
	// File is set when the message shares a file (Text is then its name).
	// Only its ID is stored with the message; reading fills in the rest
	// from the file's own row, and leaves File nil once the file is gone.
	File *ChatFile
	// Ciphertext is set, and Text empty, for a message of an end-to-end
	// encrypted meeting: what the sender's browser sealed, which the
	// server cannot open (docs/e2ee.md, "Chat"). It is stored sealed under
	// the meeting's key all the same.
	Ciphertext []byte
}

// E2EE reports whether the message was end-to-end encrypted: its text is
// not the server's to read.
func (m ChatMessage) E2EE() bool { return len(m.Ciphertext) > 0 }

// ChatFile is the file a chat message shares.
type ChatFile struct {
	ID   string
	Size int64
	Type string
}

// ChatRecipient is one addressee of a private or group message.
type ChatRecipient struct {
	ParticipantID string
	UserID        string // empty for guests
}

// ToEveryone reports whether the message went to the whole meeting.
func (m ChatMessage) ToEveryone() bool { return len(m.To) == 0 }

// Deleted reports whether a host deleted the message for everyone.
func (m ChatMessage) Deleted() bool { return !m.DeletedAt.IsZero() }

// ChatErased replaces the participant ID of an erased recipient, and the
// deleter of a message when that was the erased person: the sender still
// sees that a private message went to someone.
const ChatErased = "erased"
