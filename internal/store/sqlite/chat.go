package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// Chat messages (migration 00016, docs/privacy.md "Chat"). These methods
// are not part of store.Store: signal.ChatStore, the chat_message privacy
// kind and the review API declare the narrow interfaces they need.

// aadChatBody is bound into a message's sealed body (package sealed).
const aadChatBody = sealed.AADChatBody

// The shared file's size and type come from its own row (NULL once it is
// gone, when file_id is NULL too).
const chatColumns = "id, meeting_id, sender_id, sender_user, sender_name_sealed, body_sealed, created_at, deleted_at, " +
	"deleted_by, file_id, (SELECT size FROM shared_files WHERE id = file_id), " +
	"(SELECT content_type FROM shared_files WHERE id = file_id), e2ee"

// AddChatMessage implements signal.ChatStore: m and its recipients are
// stored in one transaction, the text and sender name sealed under the
// meeting's key. An end-to-end encrypted message's ciphertext takes the
// text's place (migration 00026), sealed the same. ErrNotFound when the
// meeting does not exist, ErrConflict on a duplicate ID.
func (s *Store) AddChatMessage(ctx context.Context, m store.ChatMessage) error {
	if m.E2EE() && (m.Text != "" || m.File != nil) {
		return fmt.Errorf("add chat message: an end-to-end encrypted message has neither text nor file")
	}
	// Checked before sealing: sealing creates the meeting's key when it is
	// missing, which for a deleted meeting would leave a key owning nothing.
	if err := s.requireMeeting(ctx, m.MeetingID); err != nil {
		return mapErr("add chat message", err)
	}
	c, err := sealed.SealChat(ctx, s.keys, m)
	if err != nil {
		return fmt.Errorf("add chat message: %w", err)
	}
	name, body, e2ee := c.SenderNameSealed, c.BodySealed, boolToDB(c.E2EE)
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO chat_messages (id, meeting_id, sender_id, sender_user, "+
			"sender_name_sealed, body_sealed, created_at, file_id, e2ee) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
			m.ID, m.MeetingID, m.SenderID, m.SenderUser, name, body, toDB(m.CreatedAt), chatFileID(m), e2ee); err != nil {
			return err
		}
		for _, r := range m.To {
			if _, err := tx.ExecContext(ctx,
				"INSERT INTO chat_recipients (message_id, participant_id, user_id) VALUES (?, ?, ?)",
				m.ID, r.ParticipantID, r.UserID); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr("add chat message", err)
}

// ChatToEveryoneSince implements signal.ChatStore.
func (s *Store) ChatToEveryoneSince(ctx context.Context, meetingID string, since time.Time) ([]store.ChatMessage, error) {
	out, err := s.chatWhere(ctx, "meeting_id = ? AND created_at >= ? AND deleted_at = 0 AND "+
		"NOT EXISTS (SELECT 1 FROM chat_recipients WHERE message_id = chat_messages.id)", meetingID, toDB(since))
	return out, mapErr("chat to everyone since", err)
}

// DeleteChatMessage implements signal.ChatStore: the sealed text is
// dropped (the row keeps who sent it, when, and who deleted it). Deleting
// a deleted message again keeps the first deletion.
func (s *Store) DeleteChatMessage(ctx context.Context, meetingID, id, by string, at time.Time) error {
	n, err := s.execCount(ctx, "delete chat message", "UPDATE chat_messages SET body_sealed = NULL, deleted_at = ?, "+
		"deleted_by = ? WHERE id = ? AND meeting_id = ? AND deleted_at = 0", toDB(at), by, id, meetingID)
	if err != nil {
		return err
	}
	if n == 0 {
		var one int
		err := s.db.QueryRowContext(ctx, "SELECT 1 FROM chat_messages WHERE id = ? AND meeting_id = ?", id, meetingID).Scan(&one)
		return mapErr("delete chat message", err)
	}
	s.scrubBestEffort(ctx)
	return nil
}

// ChatMessagesOfMeeting lists every stored message of the meeting, deleted
// ones included (without text), oldest first, with their recipients.
func (s *Store) ChatMessagesOfMeeting(ctx context.Context, meetingID string) ([]store.ChatMessage, error) {
	out, err := s.chatWhere(ctx, "meeting_id = ?", meetingID)
	return out, mapErr("chat messages of meeting", err)
}

// ChatMessagesOfSubject lists the messages a subject sent or was sent by
// name (private and group messages), oldest first: by account for "u_…",
// by participant for "p_…". Messages to everyone are listed for their
// sender only: nothing records who was in the room to receive them.
func (s *Store) ChatMessagesOfSubject(ctx context.Context, subjectID string) ([]store.ChatMessage, error) {
	sender, recipient, err := chatSubjectColumns(subjectID)
	if err != nil {
		return nil, fmt.Errorf("chat messages of subject: %w", err)
	}
	out, err := s.chatWhere(ctx, sender+" = ? OR id IN (SELECT message_id FROM chat_recipients WHERE "+recipient+" = ?)",
		subjectID, subjectID)
	return out, mapErr("chat messages of subject", err)
}

// chatSubjectColumns names the sender and recipient columns that hold a
// subject's ID: account IDs for "u_…", participant IDs for "p_…". Any
// other form is refused: an empty ID would match every guest's messages.
func chatSubjectColumns(subjectID string) (sender, recipient string, err error) {
	switch {
	case len(subjectID) > 2 && strings.HasPrefix(subjectID, "u_"):
		return "sender_user", "user_id", nil
	case len(subjectID) > 2 && strings.HasPrefix(subjectID, "p_"):
		return "sender_id", "participant_id", nil
	}
	return "", "", fmt.Errorf("subject %q is neither an account nor a participant ID", subjectID)
}

// EraseChatSubject erases a subject from the chat in one transaction: the
// messages they sent are deleted (with their recipients), and where they
// received a private or group message, or deleted a message as a host,
// they are replaced by store.ChatErased, so that the message stays with
// its sender. It returns the messages deleted and the rows pseudonymised.
func (s *Store) EraseChatSubject(ctx context.Context, subjectID string) (deleted, pseudonymised int, err error) {
	sender, recipient, err := chatSubjectColumns(subjectID)
	if err != nil {
		return 0, 0, fmt.Errorf("erase chat subject: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		// The participant IDs an account used, found before its rows go:
		// deleted_by names a participant, not an account.
		pids, err := txStrings(ctx, tx, "SELECT sender_id FROM chat_messages WHERE "+sender+" = ? "+
			"UNION SELECT participant_id FROM chat_recipients WHERE "+recipient+" = ?", subjectID, subjectID)
		if err != nil {
			return err
		}
		if !slices.Contains(pids, subjectID) && strings.HasPrefix(subjectID, "p_") {
			pids = append(pids, subjectID)
		}
		if deleted, err = execTx(ctx, tx, "DELETE FROM chat_messages WHERE "+sender+" = ?", subjectID); err != nil {
			return err
		}
		n, err := execTx(ctx, tx, "UPDATE chat_recipients SET participant_id = ?, user_id = '' WHERE "+recipient+" = ?",
			store.ChatErased, subjectID)
		if err != nil {
			return err
		}
		pseudonymised = n
		for _, pid := range pids {
			if pid == store.ChatErased {
				continue
			}
			n, err := execTx(ctx, tx, "UPDATE chat_messages SET deleted_by = ? WHERE deleted_by = ?", store.ChatErased, pid)
			if err != nil {
				return err
			}
			pseudonymised += n
		}
		return nil
	})
	if err != nil {
		return 0, 0, mapErr("erase chat subject", err)
	}
	s.scrubBestEffort(ctx)
	return deleted, pseudonymised, nil
}

// ExpireChat deletes the messages created before before, except those of
// the meetings in cutoffs, which are deleted when created before their
// meeting's own cut-off instead. It returns how many it deleted.
func (s *Store) ExpireChat(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error) {
	var ids []string
	err := s.queryEach(ctx, "SELECT id, meeting_id FROM chat_messages WHERE created_at < ?", []any{toDB(before)},
		func(r *sql.Rows) error {
			var id, meeting string
			if err := r.Scan(&id, &meeting); err != nil {
				return err
			}
			if _, own := cutoffs[meeting]; !own {
				ids = append(ids, id)
			}
			return nil
		})
	if err != nil {
		return 0, mapErr("expire chat", err)
	}
	for _, m := range slices.Sorted(maps.Keys(cutoffs)) {
		more, err := s.ids(ctx, "SELECT id FROM chat_messages WHERE meeting_id = ? AND created_at < ?", m, toDB(cutoffs[m]))
		if err != nil {
			return 0, mapErr("expire chat", err)
		}
		ids = append(ids, more...)
	}
	return s.deleteChatMessages(ctx, ids)
}

// deleteChatMessages deletes the messages (their recipients cascade) in
// one transaction, and scrubs the WAL when it deleted any.
func (s *Store) deleteChatMessages(ctx context.Context, ids []string) (int, error) {
	total := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for len(ids) > 0 {
			batch := ids[:min(len(ids), auditAddrBatch)]
			ids = ids[len(batch):]
			n, err := execTx(ctx, tx, "DELETE FROM chat_messages WHERE id IN "+chatIn(len(batch)), chatArgs(batch)...)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, mapErr("delete chat messages", err)
	}
	if total > 0 {
		s.scrubBestEffort(ctx)
	}
	return total, nil
}

// sealedChat is a chat_messages row as stored.
type sealedChat struct {
	store.ChatMessage
	name, body []byte
	e2ee       bool // body is a client's ciphertext, not text
}

func scanChat(row rowScanner) (sealedChat, error) {
	var (
		c                sealedChat
		m                = &c.ChatMessage
		created, deleted int64
	)
	var (
		fileID   sql.NullString
		fileSize sql.NullInt64
		fileType sql.NullString
	)
	if err := row.Scan(&m.ID, &m.MeetingID, &m.SenderID, &m.SenderUser, &c.name, &c.body, &created, &deleted,
		&m.DeletedBy, &fileID, &fileSize, &fileType, &c.e2ee); err != nil {
		return sealedChat{}, err
	}
	m.CreatedAt, m.DeletedAt = fromDB(created), optionalFromDB(deleted)
	if fileID.Valid && fileSize.Valid {
		m.File = &store.ChatFile{ID: fileID.String, Size: fileSize.Int64, Type: fileType.String}
	}
	return c, nil
}

// chatFileID is the file_id column of m: NULL unless it shares a file.
func chatFileID(m store.ChatMessage) any {
	if m.File == nil {
		return nil
	}
	return m.File.ID
}

// chatWhere reads the matching messages oldest first (in the order they
// were stored for equal times), closes the rows, and then opens them and
// adds their recipients. Messages whose meeting key is gone are left out:
// nothing of them is readable, and their rows go with their meeting.
func (s *Store) chatWhere(ctx context.Context, where string, args ...any) ([]store.ChatMessage, error) {
	var sealed []sealedChat
	err := s.queryEach(ctx, "SELECT "+chatColumns+" FROM chat_messages WHERE "+where+" ORDER BY created_at, rowid", args,
		func(r *sql.Rows) error {
			c, err := scanChat(r)
			sealed = append(sealed, c)
			return err
		})
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(sealed))
	for i, c := range sealed {
		ids[i] = c.ID
	}
	to, err := s.chatRecipients(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]store.ChatMessage, 0, len(sealed))
	for _, c := range sealed {
		m, err := s.openChat(ctx, c)
		if errors.Is(err, store.ErrErased) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("message %s: %w", c.ID, err)
		}
		m.To = to[m.ID]
		out = append(out, m)
	}
	return out, nil
}

// openChat decrypts the sender name and, unless the message was deleted,
// the text (package sealed); ErrErased when the meeting's key was
// shredded.
func (s *Store) openChat(ctx context.Context, c sealedChat) (store.ChatMessage, error) {
	return sealed.Chat{ChatMessage: c.ChatMessage, SenderNameSealed: c.name, BodySealed: c.body, E2EE: c.e2ee}.Open(ctx, s.keys)
}

// chatRecipients maps message IDs to their recipients, in the order they
// were stored.
func (s *Store) chatRecipients(ctx context.Context, ids []string) (map[string][]store.ChatRecipient, error) {
	out := map[string][]store.ChatRecipient{}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), auditAddrBatch)]
		ids = ids[len(batch):]
		err := s.queryEach(ctx, "SELECT message_id, participant_id, user_id FROM chat_recipients WHERE message_id IN "+
			chatIn(len(batch))+" ORDER BY rowid", chatArgs(batch), func(r *sql.Rows) error {
			var id string
			var rc store.ChatRecipient
			if err := r.Scan(&id, &rc.ParticipantID, &rc.UserID); err != nil {
				return err
			}
			out[id] = append(out[id], rc)
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// txStrings returns the single text column of query's rows, inside tx.
func txStrings(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// chatIn is "(?, ?, …)" for n parameters (n > 0).
func chatIn(n int) string { return "(?" + strings.Repeat(", ?", n-1) + ")" }

func chatArgs(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// requireMeeting is sql.ErrNoRows (ErrNotFound through mapErr) unless the
// meeting exists. Chat and files check it before sealing: sealing creates
// the meeting's key when missing, which for a deleted meeting would leave
// a key owning nothing.
func (s *Store) requireMeeting(ctx context.Context, id string) error {
	var one int
	return s.db.QueryRowContext(ctx, "SELECT 1 FROM meetings WHERE id = ?", id).Scan(&one)
}
