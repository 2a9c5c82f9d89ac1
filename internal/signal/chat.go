package signal

import (
	"context"
	"encoding/base64"
	"errors"
	"time"

	"golang.org/x/time/rate"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/chat"
	"github.com/conclave-meet/conclave/internal/protocol"
	"github.com/conclave-meet/conclave/internal/room"
)

// Chat (docs/protocol.md, "Chat"): a message is checked and numbered by
// the room, kept (internal/chat), and only then delivered, so that what a
// participant saw is what was kept; the store's I/O happens between the
// room's two short critical sections.

// Chat limits per participant: a burst for a quick exchange, then about
// one message a second.
const (
	chatRate  = 1
	chatBurst = 10
	// minChatCiphertext is the shortest sealed message: a version and a
	// kind byte, a 12-byte nonce and a 16-byte tag at least.
	minChatCiphertext = 30
)

func newChatLimiter() *rate.Limiter { return rate.NewLimiter(chatRate, chatBurst) }

func onChat(ctx context.Context, c *conn, d *protocol.Chat) error {
	if !c.chatLimit.AllowN(c.h.opts.Clock(), 1) {
		return protoErr(protocol.CodeRateLimited, "too many chat messages: wait a moment")
	}
	var m room.ChatMessage
	var err error
	if d.Ciphertext != "" {
		if d.Text != "" {
			return protoErr(protocol.CodeBadRequest, "send either text or ciphertext, not both")
		}
		// Opaque: only its size is checked (docs/e2ee.md, "Chat").
		ct, bad := base64.RawURLEncoding.Strict().DecodeString(d.Ciphertext)
		if bad != nil || len(ct) < minChatCiphertext || len(ct) > protocol.MaxChatCiphertext {
			return protoErr(protocol.CodeBadRequest, "ciphertext must be unpadded base64url of %d to %d bytes",
				minChatCiphertext, protocol.MaxChatCiphertext)
		}
		m, err = c.member.PrepareEncryptedChat(d.To, ct)
	} else {
		m, err = c.member.PrepareChat(d.To, d.Text)
	}
	switch {
	case errors.Is(err, room.ErrChatText):
		return protoErr(protocol.CodeBadRequest, "text must be 1 to %d characters", room.MaxChatLen)
	case errors.Is(err, room.ErrChatRecipients):
		return protoErr(protocol.CodeBadRequest, "to must name other participants, each once, at most %d", room.MaxChatRecipients)
	case errors.Is(err, room.ErrChatPlain):
		return protoErr(protocol.CodeForbidden, "this meeting is end-to-end encrypted: the server accepts only chat encrypted by your browser (ciphertext), never plain text")
	case errors.Is(err, room.ErrE2EEOff):
		return protoErr(protocol.CodeForbidden, "this meeting is not end-to-end encrypted: send text, not ciphertext")
	case err != nil:
		return roomError(err)
	}
	stored := c.storeChat(ctx, m)
	// Always reported, stored or not: later messages wait for this one.
	c.member.DeliverChat(m, stored == nil)
	return stored
}

// storeChat keeps m; without a store (tests) nothing is kept.
func (c *conn) storeChat(ctx context.Context, m room.ChatMessage) error {
	if c.h.chat == nil {
		return nil
	}
	if err := c.h.chat.Keep(ctx, c.meetingID, m); err != nil {
		c.log.Error("store chat message", "err", err)
		return &ProtocolError{Code: protocol.CodeInternal, Message: "the message could not be kept and was not sent"}
	}
	return nil
}

func onChatDelete(ctx context.Context, c *conn, d *protocol.ChatDelete) error {
	if c.h.chat != nil {
		err := c.h.chat.Delete(ctx, c.meetingID, d.ID, c.member.ID(), c.h.opts.Clock().UTC())
		if errors.Is(err, chat.ErrNotFound) {
			return protoErr(protocol.CodeNotFound, "no such message in this meeting")
		}
		if err != nil {
			c.log.Error("delete chat message", "err", err)
			return &ProtocolError{Code: protocol.CodeInternal, Message: "the message could not be deleted"}
		}
	}
	if err := c.member.ChatDeleted(d.ID); err != nil {
		return roomError(err)
	}
	c.auditAct(audit.ChatDelete, "", map[string]string{"message": d.ID})
	return nil
}

// sendChatHistory gives a participant who was just admitted the earlier
// messages to everyone of this live meeting (since), where its policy
// keeps them for late joiners. It runs on its own goroutine: the messages
// may arrive after the first live ones, and clients order them by time.
func (c *conn) sendChatHistory(since time.Time) {
	msgs, err := c.h.chat.History(context.Background(), c.meetingID, since)
	if err != nil {
		c.log.Error("load chat history", "err", err)
		return
	}
	out := make([]protocol.ChatMessage, 0, len(msgs))
	for _, m := range msgs {
		wm := protocol.ChatMessage{ID: m.ID, From: m.SenderID, FromName: m.SenderName, Text: m.Text, Time: m.CreatedAt,
			Ciphertext: encodeCiphertext(m.Ciphertext)}
		if f := m.File; f != nil {
			wm.File = &protocol.FileRef{ID: f.ID, Name: m.Text, Size: f.Size, Type: f.Type}
		}
		out = append(out, wm)
	}
	c.event("chat_history", protocol.ChatHistory{Messages: out})
}

func wireChat(m room.ChatMessage) protocol.ChatMessage {
	var to []string
	if len(m.To) > 0 {
		to = m.ToIDs()
	}
	out := protocol.ChatMessage{ID: m.ID, From: m.From, FromName: m.FromName, To: to, Text: m.Text, Time: m.Time,
		Ciphertext: encodeCiphertext(m.Ciphertext)}
	if f := m.File; f != nil {
		out.File = &protocol.FileRef{ID: f.ID, Name: f.Name, Size: f.Size, Type: f.Type}
	}
	return out
}

// encodeCiphertext is an encrypted message as the wire carries it; "" for
// a plain one.
func encodeCiphertext(ct []byte) string {
	if len(ct) == 0 {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString(ct)
}
