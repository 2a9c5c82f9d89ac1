package signal

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"

	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/files"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/store"
)

// File sharing (docs/api.md, "Files"): every admitted participant gets a
// capability for the meeting's file routes in welcome (file_token). The
// file routes ask the Handler, which implements files.Access, who holds
// it; the answers come from the live room, so a capability is worth
// nothing once its participant has left, was removed or the meeting
// ended. Like the resume token it is 256 random bits, kept as a hash.

// capIndex finds sessions by file capability and by participant.
type capIndex struct {
	mu     sync.Mutex
	byHash map[tokenHash]*conn
	byID   map[string]*conn
}

func newCapIndex() *capIndex {
	return &capIndex{byHash: map[tokenHash]*conn{}, byID: map[string]*conn{}}
}

// issue makes c a capability and returns it.
func (x *capIndex) issue(c *conn, participantID string) string {
	tok, h := newToken()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.byHash[h] = c
	x.byID[participantID] = c
	c.fileCap = h
	return tok
}

// revoke ends c's capability.
func (x *capIndex) revoke(c *conn, participantID string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.byHash[c.fileCap] == c {
		delete(x.byHash, c.fileCap)
	}
	if x.byID[participantID] == c {
		delete(x.byID, participantID)
	}
}

// session returns the live, admitted member a capability or participant
// ID stands for in meetingID.
func (x *capIndex) session(meetingID string, find func() *conn) (*conn, bool) {
	x.mu.Lock()
	c := find()
	x.mu.Unlock()
	if c == nil || c.meetingID != meetingID || c.member == nil {
		return nil, false
	}
	c.mu.Lock()
	final := c.final
	c.mu.Unlock()
	if final || c.member.Waiting() {
		return nil, false
	}
	return c, true
}

func (x *capIndex) byToken(meetingID, token string) (*conn, bool) {
	h := hashToken(token)
	return x.session(meetingID, func() *conn {
		c := x.byHash[h]
		if c == nil || subtle.ConstantTimeCompare(c.fileCap[:], h[:]) != 1 {
			return nil
		}
		return c
	})
}

func (x *capIndex) byParticipant(meetingID, id string) (*conn, bool) {
	return x.session(meetingID, func() *conn { return x.byID[id] })
}

var _ files.Access = (*Handler)(nil)

// Participant implements files.Access.
func (h *Handler) Participant(_ context.Context, meetingID, token string) (files.Participant, bool) {
	c, ok := h.caps.byToken(meetingID, token)
	if !ok {
		return files.Participant{}, false
	}
	return files.Participant{ID: c.member.ID(), UserID: c.member.UserID()}, true
}

// MayShare implements files.Access: the permission table decides, for the
// participant's role now and the meeting's chat settings.
func (h *Handler) MayShare(_ context.Context, meetingID string, p files.Participant, private bool) bool {
	c, ok := h.caps.byParticipant(meetingID, p.ID)
	if !ok || c.member.Authorize(authz.FileShare) != nil {
		return false
	}
	return !private || c.member.Authorize(authz.ChatPrivate) == nil
}

// Recipients implements files.Access with chat's rules.
func (h *Handler) Recipients(_ context.Context, meetingID string, from files.Participant, to []string) ([]store.FileRecipient, error) {
	c, ok := h.caps.byParticipant(meetingID, from.ID)
	if !ok {
		return nil, fmt.Errorf("signal: %s left", from.ID)
	}
	rs, err := c.member.ChatRecipients(to)
	switch {
	case errors.Is(err, room.ErrNotFound), errors.Is(err, room.ErrChatRecipients):
		return nil, fmt.Errorf("%w: %w", files.ErrRecipients, err)
	case err != nil:
		return nil, err
	}
	out := make([]store.FileRecipient, len(rs))
	for i, r := range rs {
		out[i] = store.FileRecipient{ParticipantID: r.ID, UserID: r.UserID}
	}
	return out, nil
}

// Announce implements files.Access: the file becomes a chat message,
// stored and delivered like any other.
func (h *Handler) Announce(ctx context.Context, meetingID string, f files.Shared) error {
	c, ok := h.caps.byParticipant(meetingID, f.From.ID)
	if !ok {
		return fmt.Errorf("signal: %s left before the file was announced", f.From.ID)
	}
	to := make([]room.Recipient, len(f.To))
	for i, r := range f.To {
		to[i] = room.Recipient{ID: r.ParticipantID, UserID: r.UserID}
	}
	m, err := c.member.PrepareFileChat(to, room.FileRef{ID: f.ID, Name: f.Name, Size: f.Size, Type: f.Type})
	if err != nil {
		return fmt.Errorf("signal: announce file: %w", err)
	}
	stored := c.storeChat(ctx, m)
	c.member.DeliverChat(m, stored == nil)
	return stored
}
