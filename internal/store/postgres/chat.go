package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// Chat messages (docs/privacy.md "Chat"): the text (or an end-to-end
// encrypted message's ciphertext) and the sender's name sealed under the
// meeting's key (package sealed). The shared file's size and type come
// from its own row (NULL once it is gone, when file_id is NULL too).
const chatColumns = "id, meeting_id, sender_id, sender_user, sender_name_sealed, body_sealed, created_at, deleted_at, " +
	"deleted_by, file_id, (SELECT size FROM shared_files WHERE id = file_id), " +
	"(SELECT content_type FROM shared_files WHERE id = file_id), e2ee"

// AddChatMessage stores m and its recipients in one transaction.
// ErrNotFound when the meeting does not exist, ErrConflict on a duplicate
// ID.
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
	var fileID *string
	if m.File != nil {
		fileID = &m.File.ID
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO chat_messages (id, meeting_id, sender_id, sender_user, "+
			"sender_name_sealed, body_sealed, created_at, file_id, e2ee) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
			m.ID, m.MeetingID, m.SenderID, m.SenderUser, c.SenderNameSealed, c.BodySealed, toDB(m.CreatedAt), fileID, c.E2EE); err != nil {
			return err
		}
		for _, r := range m.To {
			if _, err := tx.Exec(ctx, "INSERT INTO chat_recipients (message_id, participant_id, user_id) VALUES ($1, $2, $3)",
				m.ID, r.ParticipantID, r.UserID); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr("add chat message", err)
}

// ChatToEveryoneSince lists the meeting's messages to everyone since
// since, not deleted, oldest first.
func (s *Store) ChatToEveryoneSince(ctx context.Context, meetingID string, since time.Time) ([]store.ChatMessage, error) {
	out, err := s.chatWhere(ctx, "meeting_id = $1 AND created_at >= $2 AND deleted_at = 0 AND "+
		"NOT EXISTS (SELECT 1 FROM chat_recipients WHERE message_id = chat_messages.id)", meetingID, toDB(since))
	return out, mapErr("chat to everyone since", err)
}

// DeleteChatMessage drops the sealed text (the row keeps who sent it,
// when, and who deleted it). Deleting a deleted message again keeps the
// first deletion.
func (s *Store) DeleteChatMessage(ctx context.Context, meetingID, id, by string, at time.Time) error {
	n, err := s.execCount(ctx, "delete chat message", "UPDATE chat_messages SET body_sealed = NULL, deleted_at = $1, "+
		"deleted_by = $2 WHERE id = $3 AND meeting_id = $4 AND deleted_at = 0", toDB(at), by, id, meetingID)
	if err != nil || n > 0 {
		return err
	}
	var one int
	err = s.pool.QueryRow(ctx, "SELECT 1 FROM chat_messages WHERE id = $1 AND meeting_id = $2", id, meetingID).Scan(&one)
	return mapErr("delete chat message", err)
}

// ChatMessagesOfMeeting lists every stored message of the meeting, deleted
// ones included (without text), oldest first, with their recipients.
func (s *Store) ChatMessagesOfMeeting(ctx context.Context, meetingID string) ([]store.ChatMessage, error) {
	out, err := s.chatWhere(ctx, "meeting_id = $1", meetingID)
	return out, mapErr("chat messages of meeting", err)
}

// ChatMessagesOfSubject lists the messages a subject sent or was sent by
// name, oldest first: by account for "u_…", by participant for "p_…".
func (s *Store) ChatMessagesOfSubject(ctx context.Context, subjectID string) ([]store.ChatMessage, error) {
	sender, recipient, err := chatSubjectColumns(subjectID)
	if err != nil {
		return nil, fmt.Errorf("chat messages of subject: %w", err)
	}
	out, err := s.chatWhere(ctx, sender+" = $1 OR id IN (SELECT message_id FROM chat_recipients WHERE "+recipient+" = $1)",
		subjectID)
	return out, mapErr("chat messages of subject", err)
}

// chatSubjectColumns names the sender and recipient columns that hold a
// subject's ID. Any other form than "u_…" or "p_…" is refused: an empty
// ID would match every guest's messages.
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
// they are replaced by store.ChatErased. It returns the messages deleted
// and the rows pseudonymised.
func (s *Store) EraseChatSubject(ctx context.Context, subjectID string) (deleted, pseudonymised int, err error) {
	sender, recipient, err := chatSubjectColumns(subjectID)
	if err != nil {
		return 0, 0, fmt.Errorf("erase chat subject: %w", err)
	}
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		// The participant IDs an account used, found before its rows go:
		// deleted_by names a participant, not an account.
		rows, err := tx.Query(ctx, "SELECT sender_id FROM chat_messages WHERE "+sender+" = $1 "+
			"UNION SELECT participant_id FROM chat_recipients WHERE "+recipient+" = $1", subjectID)
		if err != nil {
			return err
		}
		pids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if !slices.Contains(pids, subjectID) && strings.HasPrefix(subjectID, "p_") {
			pids = append(pids, subjectID)
		}
		tag, err := tx.Exec(ctx, "DELETE FROM chat_messages WHERE "+sender+" = $1", subjectID)
		if err != nil {
			return err
		}
		deleted = int(tag.RowsAffected())
		if tag, err = tx.Exec(ctx, "UPDATE chat_recipients SET participant_id = $1, user_id = '' WHERE "+recipient+" = $2",
			store.ChatErased, subjectID); err != nil {
			return err
		}
		pseudonymised = int(tag.RowsAffected())
		pids = slices.DeleteFunc(pids, func(p string) bool { return p == store.ChatErased })
		tag, err = tx.Exec(ctx, "UPDATE chat_messages SET deleted_by = $1 WHERE deleted_by = ANY($2)", store.ChatErased, pids)
		pseudonymised += int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, 0, mapErr("erase chat subject", err)
	}
	return deleted, pseudonymised, nil
}

// ExpireChat deletes the messages created before their meeting's cut-off
// in cutoffs, or before before for meetings without one, and returns how
// many it deleted.
func (s *Store) ExpireChat(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error) {
	meetings, limits := cutoffArrays(cutoffs)
	return s.execCount(ctx, "expire chat", "DELETE FROM chat_messages m WHERE m.created_at < coalesce("+
		"(SELECT c.cutoff FROM unnest($2::text[], $3::bigint[]) AS c (meeting_id, cutoff) WHERE c.meeting_id = m.meeting_id), $1)",
		toDB(before), meetings, limits)
}

func scanChat(row pgx.Row) (sealed.Chat, error) {
	var (
		c                sealed.Chat
		m                = &c.ChatMessage
		created, deleted int64
		fileID, fileType *string
		fileSize         *int64
	)
	if err := row.Scan(&m.ID, &m.MeetingID, &m.SenderID, &m.SenderUser, &c.SenderNameSealed, &c.BodySealed, &created, &deleted,
		&m.DeletedBy, &fileID, &fileSize, &fileType, &c.E2EE); err != nil {
		return sealed.Chat{}, err
	}
	m.CreatedAt, m.DeletedAt = fromDB(created), optionalFromDB(deleted)
	if fileID != nil && fileSize != nil {
		m.File = &store.ChatFile{ID: *fileID, Size: *fileSize}
		if fileType != nil {
			m.File.Type = *fileType
		}
	}
	return c, nil
}

// chatWhere reads the matching messages oldest first (in the order they
// were stored for equal times), then opens them and adds their
// recipients. Messages whose meeting key is gone are left out: nothing of
// them is readable, and their rows go with their meeting.
func (s *Store) chatWhere(ctx context.Context, where string, args ...any) ([]store.ChatMessage, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+chatColumns+" FROM chat_messages WHERE "+where+" ORDER BY created_at, position", args...)
	if err != nil {
		return nil, err
	}
	sealedRows, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealed.Chat, error) { return scanChat(r) })
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(sealedRows))
	for i, c := range sealedRows {
		ids[i] = c.ID
	}
	to, err := s.chatRecipients(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]store.ChatMessage, 0, len(sealedRows))
	for _, c := range sealedRows {
		m, err := c.Open(ctx, s.keys)
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

// chatRecipients maps message IDs to their recipients, in the order they
// were stored.
func (s *Store) chatRecipients(ctx context.Context, ids []string) (map[string][]store.ChatRecipient, error) {
	rows, err := s.pool.Query(ctx, "SELECT message_id, participant_id, user_id FROM chat_recipients "+
		"WHERE message_id = ANY($1) ORDER BY position", ids)
	if err != nil {
		return nil, err
	}
	out := map[string][]store.ChatRecipient{}
	var (
		id string
		rc store.ChatRecipient
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &rc.ParticipantID, &rc.UserID}, func() error {
		out[id] = append(out[id], rc)
		return nil
	})
	return out, err
}
