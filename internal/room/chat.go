package room

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/conclave-meet/conclave/internal/authz"
)

// Chat (docs/protocol.md, "Chat"). Sending is three steps so that storing
// the message, which is I/O, happens outside the room's lock: PrepareChat
// checks the sender and recipients and numbers the message under the
// lock; the caller stores it; DeliverChat hands it to the recipients who
// are still present. Messages are delivered in the order they were
// numbered, whatever order their stores finish in (chatOrder).

// Chat limits and settings.
const (
	// MaxChatLen is the longest chat message, in characters.
	MaxChatLen = 2000
	// MaxChatRecipients bounds a group message.
	MaxChatRecipients = 50

	ChatWritersEveryone   = "everyone"
	ChatWritersPresenters = "presenters"
)

// ErrChatText is returned for an empty or too long message.
var ErrChatText = fmt.Errorf("room: chat text must be 1 to %d characters", MaxChatLen)

// ErrChatRecipients is returned for a recipient list that names the
// sender only, repeats someone or is too long.
var ErrChatRecipients = errors.New("room: bad chat recipients")

// ErrChatPlain is returned for a plain text message (or a shared file) in
// an end-to-end encrypted meeting: there the server must never hold chat
// it can read (docs/e2ee.md, "Chat").
var ErrChatPlain = errors.New("room: this meeting is end-to-end encrypted: chat must be encrypted by the client")

// ChatMessage is one chat message. To is empty for a message to everyone;
// it lists the recipients of a private (one) or group message, who with
// the sender are the only ones to see it.
type ChatMessage struct {
	ID       string
	Seq      uint64 // the room's order of sending
	From     string // participant ID
	FromName string
	FromUser string // account ID; empty for guests
	To       []Recipient
	Text     string
	Time     time.Time
	File     *FileRef // a shared file; Text is then its name
	// Ciphertext is the message as the sender's browser sealed it, in an
	// end-to-end encrypted meeting (Text is then empty): opaque here.
	Ciphertext []byte
}

// FileRef is a shared file a chat message announces.
type FileRef struct {
	ID   string
	Name string
	Size int64
	Type string
}

// Recipient is a participant a message is addressed to.
type Recipient struct {
	ID     string // participant ID
	UserID string // account ID; empty for guests
}

// ToIDs returns the recipients' participant IDs.
func (m ChatMessage) ToIDs() []string {
	ids := make([]string, len(m.To))
	for i, r := range m.To {
		ids[i] = r.ID
	}
	return ids
}

// PrepareChat checks that the member may send text to the participants
// in to (none: everyone), and numbers the message. It delivers nothing.
func (mb *Member) PrepareChat(to []string, text string) (ChatMessage, error) {
	text = strings.TrimRight(text, " \t\r\n")
	if n := utf8.RuneCountInString(text); n == 0 || n > MaxChatLen || !utf8.ValidString(text) {
		return ChatMessage{}, ErrChatText
	}
	return mb.prepareChat(to, ChatMessage{Text: text}, false)
}

// PrepareEncryptedChat is PrepareChat for an end-to-end encrypted
// meeting: ciphertext is the message sealed by the sender's browser, which
// the room cannot read or check beyond its size (the caller's). It is
// ErrE2EEOff in a meeting that is not encrypted, where a client must not
// send what the other clients expect to read in clear.
func (mb *Member) PrepareEncryptedChat(to []string, ciphertext []byte) (ChatMessage, error) {
	if len(ciphertext) == 0 {
		return ChatMessage{}, ErrChatText
	}
	return mb.prepareChat(to, ChatMessage{Ciphertext: ciphertext}, true)
}

// prepareChat checks and numbers m (its Text or Ciphertext set); e2ee says
// which of the two the meeting's setting must allow.
func (mb *Member) prepareChat(to []string, m ChatMessage, e2ee bool) (ChatMessage, error) {
	id, err := newChatID()
	if err != nil {
		return ChatMessage{}, err
	}
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case e2ee && !r.settings.E2EE:
		return ChatMessage{}, ErrE2EEOff
	case !e2ee && r.settings.E2EE:
		return ChatMessage{}, ErrChatPlain
	}
	action := authz.ChatSend
	if len(to) > 0 {
		action = authz.ChatPrivate
	}
	if err := r.authorizeLocked(mb, action); err != nil {
		return ChatMessage{}, err
	}
	recipients, err := r.recipientsLocked(mb, to)
	if err != nil {
		return ChatMessage{}, err
	}
	m.ID, m.Seq, m.From, m.FromName, m.FromUser = id, r.chat.next(), mb.info.ID, mb.info.Name, mb.userID
	m.To, m.Time = recipients, time.Now().UTC()
	return m, nil
}

// PrepareFileChat numbers a message announcing a stored file to
// recipients (already resolved by ChatRecipients; none: everyone). The
// uploader's right to share was checked before the upload; it is checked
// again here, under the lock, with the role they have now.
func (mb *Member) PrepareFileChat(to []Recipient, f FileRef) (ChatMessage, error) {
	id, err := newChatID()
	if err != nil {
		return ChatMessage{}, err
	}
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.settings.E2EE {
		// Files are stored as uploaded, readable by the server: an
		// encrypted meeting shares none (docs/e2ee.md, "Chat").
		return ChatMessage{}, ErrChatPlain
	}
	if err := r.authorizeLocked(mb, authz.FileShare); err != nil {
		return ChatMessage{}, err
	}
	if len(to) > 0 {
		if err := r.authorizeLocked(mb, authz.ChatPrivate); err != nil {
			return ChatMessage{}, err
		}
	}
	return ChatMessage{
		ID: id, Seq: r.chat.next(), From: mb.info.ID, FromName: mb.info.Name, FromUser: mb.userID,
		To: to, Text: f.Name, Time: time.Now().UTC(), File: &f,
	}, nil
}

// ChatRecipients resolves participant IDs as a chat message's recipients:
// admitted participants of this meeting other than the member, each once.
func (mb *Member) ChatRecipients(to []string) ([]Recipient, error) {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.recipientsLocked(mb, to)
}

// recipientsLocked resolves to: admitted participants only (someone
// waiting, unknown or in another meeting is ErrNotFound), no repeats, not
// the sender alone.
func (r *Room) recipientsLocked(from *Member, to []string) ([]Recipient, error) {
	if len(to) > MaxChatRecipients {
		return nil, ErrChatRecipients
	}
	out := make([]Recipient, 0, len(to))
	for i, id := range to {
		if slices.Contains(to[:i], id) {
			return nil, ErrChatRecipients
		}
		t := r.members[id]
		if t == nil {
			return nil, ErrNotFound
		}
		if t == from {
			continue
		}
		out = append(out, Recipient{ID: id, UserID: t.userID})
	}
	if len(to) > 0 && len(out) == 0 {
		return nil, ErrChatRecipients
	}
	return out, nil
}

// DeliverChat hands a prepared message to its recipients still present and
// to the sender, in the order messages were prepared; stored false means
// it could not be kept and is dropped, letting later ones through.
func (r *Room) DeliverChat(m ChatMessage, stored bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.chat.ready(m, stored) {
		r.deliverChatLocked(m)
	}
}

// DeliverChat is Room.DeliverChat for the member's room.
func (mb *Member) DeliverChat(m ChatMessage, stored bool) { mb.room.DeliverChat(m, stored) }

func (r *Room) deliverChatLocked(m ChatMessage) {
	if len(m.To) == 0 {
		for _, id := range r.order {
			r.members[id].events.Deliver(ChatReceived{m})
		}
		return
	}
	for _, id := range r.order {
		if id == m.From || slices.ContainsFunc(m.To, func(t Recipient) bool { return t.ID == id }) {
			r.members[id].events.Deliver(ChatReceived{m})
		}
	}
}

// ChatDeleted tells everyone admitted that a message was deleted by the
// member (a host, checked by the caller against chat.delete and recorded).
func (mb *Member) ChatDeleted(id string) error {
	r := mb.room
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.authorizeLocked(mb, authz.ChatDelete); err != nil {
		return err
	}
	for _, oid := range r.order {
		r.members[oid].events.Deliver(ChatRemoved{ID: id, By: mb.info.ID})
	}
	return nil
}

// UserID is the member's account, if signed in.
func (mb *Member) UserID() string { return mb.userID }

// subject is the data subject of what the member says and sends: the
// account of a signed-in participant, the participant of a guest.
func (mb *Member) subject() string {
	if mb.userID != "" {
		return mb.userID
	}
	return mb.info.ID
}

// chatOrder releases messages in the order of their numbers: a message
// whose store finished early waits for those numbered before it. The
// room's lock guards it.
type chatOrder struct {
	last    uint64 // last number handed out
	done    uint64 // every number up to done is delivered or dropped
	pending map[uint64]pendingChat
}

type pendingChat struct {
	msg    ChatMessage
	stored bool
}

func newChatOrder() *chatOrder { return &chatOrder{pending: map[uint64]pendingChat{}} }

func (o *chatOrder) next() uint64 {
	o.last++
	return o.last
}

// ready records m's outcome and returns the stored messages now in order.
func (o *chatOrder) ready(m ChatMessage, stored bool) []ChatMessage {
	if m.Seq <= o.done {
		return nil // a second report: ignore
	}
	o.pending[m.Seq] = pendingChat{m, stored}
	var out []ChatMessage
	for {
		p, ok := o.pending[o.done+1]
		if !ok {
			return out
		}
		delete(o.pending, o.done+1)
		o.done++
		if p.stored {
			out = append(out, p.msg)
		}
	}
}

// newChatID returns "c_" and 16 random base-32 characters.
func newChatID() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("room: chat id: %w", err)
	}
	var sb strings.Builder
	sb.WriteString("c_")
	for _, c := range b {
		sb.WriteByte(idAlphabet[c&31])
	}
	return sb.String(), nil
}
