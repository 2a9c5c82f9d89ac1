package web

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
)

// Stored chat, read back (docs/privacy.md, "Chat"): officers review a
// meeting's or a person's messages to answer a subject's request, every
// look recorded; a participant with an account reads, after the meeting,
// the messages they were part of where the meeting allows it.

// ChatArchive is the stored chat as these APIs read it (sqlite.Store
// implements it).
type ChatArchive interface {
	ChatMessagesOfMeeting(ctx context.Context, meetingID string) ([]store.ChatMessage, error)
	ChatMessagesOfSubject(ctx context.Context, subjectID string) ([]store.ChatMessage, error)
}

// chatParty is a sender or recipient. User (the account ID) is shown to
// officers only; Name is the display name where known.
type chatParty struct {
	ID   string `json:"id"`
	User string `json:"user,omitempty"`
	Name string `json:"name,omitempty"`
}

// chatMessageJSON is one message as read back. To is empty for a message
// to everyone.
type chatMessageJSON struct {
	ID         string      `json:"id"`
	Meeting    string      `json:"meeting"`
	From       chatParty   `json:"from"`
	ToEveryone bool        `json:"to_everyone"`
	To         []chatParty `json:"to"`
	Text       string      `json:"text"`
	Time       time.Time   `json:"time"`
	Deleted    bool        `json:"deleted"`
	DeletedAt  *time.Time  `json:"deleted_at,omitempty"`
	DeletedBy  string      `json:"deleted_by,omitempty"`
	// File is set when the message shares a file that is still stored
	// (its name is the text); officers download it from
	// /api/privacy/files/{meeting}/{id}.
	File *chatFileJSON `json:"file,omitempty"`
	// E2EE: the message was end-to-end encrypted (docs/e2ee.md, "Chat");
	// the server holds only ciphertext it cannot read, so Text is empty
	// and Note says so. The ciphertext itself is not given: without the
	// browsers' keys, gone with the meeting, it is of no use to anyone.
	E2EE bool   `json:"e2ee,omitempty"`
	Note string `json:"note,omitempty"`
}

type chatFileJSON struct {
	ID   string `json:"id"`
	Size int64  `json:"size"`
	Type string `json:"type"`
}

type chatListResponse struct {
	Messages []chatMessageJSON `json:"messages"`
}

// chatReview serves GET /api/privacy/chat?meeting=ID or ?subject=u_…|p_…:
// the messages, opened, for a privacy officer or administrator. The look
// is recorded (chat.review, with what was asked for and how many messages
// came back) before anything is sent.
func (s *server) chatReview(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.ChatReview, audit.ChatReview)
	if !ok {
		return
	}
	q := r.URL.Query()
	meetingRaw, subject := q.Get("meeting"), q.Get("subject")
	if len(q) != 1 || (meetingRaw == "") == (subject == "") {
		writeError(w, http.StatusBadRequest, "bad_request", "give either meeting (a meeting ID) or subject (u_… or p_…)")
		return
	}
	ev := audit.Event{Action: audit.ChatReview, Actor: u.ID, Outcome: audit.Success, Details: map[string]string{}}
	var msgs []store.ChatMessage
	var err error
	if meetingRaw != "" {
		id, bad := meeting.NormalizeID(meetingRaw)
		if bad != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "meeting must be a meeting ID")
			return
		}
		ev.Meeting, ev.Details["meeting"] = id, id
		msgs, err = s.Chat.ChatMessagesOfMeeting(r.Context(), id)
	} else {
		if privacy.CheckSubject(subject) != nil || !audit.ValidSubject(subject) {
			writeError(w, http.StatusBadRequest, "bad_request", "subject must be an account (u_…) or participant (p_…) ID")
			return
		}
		ev.Target, ev.Details["subject"] = subject, subject
		msgs, err = s.Chat.ChatMessagesOfSubject(r.Context(), subject)
	}
	if err != nil {
		s.internalError(w, r, "chat review", err)
		return
	}
	out, err := s.chatJSON(r.Context(), msgs, true)
	if err != nil {
		s.internalError(w, r, "chat review names", err)
		return
	}
	ev.Details["count"] = strconv.Itoa(len(out))
	if s.auditOrFail(w, r, ev) {
		writeJSON(w, http.StatusOK, chatListResponse{Messages: out})
	}
}

// myChat serves GET /api/me/chat?meeting=ID: for an account, after the
// meeting, the messages it was part of, where the meeting's chat_after is
// on: its own, the private and group messages sent to it, and the
// messages to everyone sent while it was in the meeting (the audit log's
// record of its presence). Everything else is 403, refused alike whether
// the meeting exists or not, and recorded for a real meeting.
func (s *server) myChat(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.SelfService, audit.ChatReview)
	if !ok {
		return
	}
	q := r.URL.Query()
	id, err := meeting.NormalizeID(q.Get("meeting"))
	if len(q) != 1 || err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "meeting must be a meeting ID")
		return
	}
	refuse := func(reason string) {
		if reason != "" {
			s.auditRefusal(r, audit.Event{Action: audit.ChatReview, Actor: u.ID, Meeting: id, Outcome: audit.Denied,
				Details: map[string]string{"reason": reason}})
		}
		writeError(w, http.StatusForbidden, "forbidden", "the chat of this meeting is not available to you")
	}
	m, err := s.Store.MeetingByID(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		refuse("")
		return
	case err != nil:
		s.internalError(w, r, "meeting lookup", err)
		return
	case !m.ChatAfter:
		refuse("chat_after_off")
		return
	}
	msgs, err := s.Chat.ChatMessagesOfMeeting(r.Context(), m.ID)
	if err != nil {
		s.internalError(w, r, "chat of meeting", err)
		return
	}
	present, err := privacy.AccountPresence(r.Context(), s.Store, m.ID, u.ID)
	if err != nil {
		s.internalError(w, r, "chat presence", err)
		return
	}
	var mine []store.ChatMessage
	party := len(present) > 0
	for _, c := range msgs {
		sent := c.SenderUser == u.ID
		to := slices.ContainsFunc(c.To, func(rc store.ChatRecipient) bool { return rc.UserID == u.ID })
		party = party || sent || to
		if sent || to || c.ToEveryone() && slices.ContainsFunc(present, func(p privacy.Presence) bool { return p.Contains(c.CreatedAt) }) {
			mine = append(mine, c)
		}
	}
	if !party {
		refuse("not_participant")
		return
	}
	out, err := s.chatJSON(r.Context(), mine, false)
	if err != nil {
		s.internalError(w, r, "chat names", err)
		return
	}
	writeJSON(w, http.StatusOK, chatListResponse{Messages: out})
}

// chatJSON shapes messages for the answer. Recipients' names come from the
// names they sent under in the same list and, for officers, from their
// accounts; officers also see account IDs, participants do not (they saw
// none live).
func (s *server) chatJSON(ctx context.Context, msgs []store.ChatMessage, officer bool) ([]chatMessageJSON, error) {
	names := map[string]string{}
	for _, m := range msgs {
		names[m.SenderID] = m.SenderName
	}
	accounts := map[string]string{}
	account := func(id string) (string, error) {
		if !officer || id == "" {
			return "", nil
		}
		if n, ok := accounts[id]; ok {
			return n, nil
		}
		u, err := s.Store.UserByID(ctx, id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return "", err
		}
		accounts[id] = u.Name // empty for an erased or deleted account
		return u.Name, nil
	}
	out := make([]chatMessageJSON, 0, len(msgs))
	for _, m := range msgs {
		j := chatMessageJSON{ID: m.ID, Meeting: m.MeetingID, From: chatParty{ID: m.SenderID, Name: m.SenderName},
			ToEveryone: m.ToEveryone(), To: []chatParty{}, Text: m.Text, Time: m.CreatedAt.UTC(), Deleted: m.Deleted(),
			DeletedBy: m.DeletedBy}
		if f := m.File; f != nil {
			j.File = &chatFileJSON{ID: f.ID, Size: f.Size, Type: f.Type}
		}
		if m.E2EE() {
			j.E2EE, j.Note = true, privacy.E2EENote
		}
		if officer {
			j.From.User = m.SenderUser
		}
		if m.Deleted() {
			at := m.DeletedAt.UTC()
			j.DeletedAt = &at
		}
		for _, rc := range m.To {
			p := chatParty{ID: rc.ParticipantID, Name: names[rc.ParticipantID]}
			if officer {
				p.User = rc.UserID
			}
			if p.Name == "" {
				n, err := account(rc.UserID)
				if err != nil {
					return nil, err
				}
				p.Name = n
			}
			j.To = append(j.To, p)
		}
		out = append(out, j)
	}
	return out, nil
}

// chatRoutes mounts the chat APIs where the server keeps chat.
func (s *server) chatRoutes(mux *http.ServeMux) {
	if s.Chat == nil {
		return
	}
	route(mux, "/api/privacy/chat", methods{"GET": s.chatReview})
	route(mux, "/api/me/chat", methods{"GET": s.myChat})
}
