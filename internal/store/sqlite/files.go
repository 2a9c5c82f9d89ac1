package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// Shared files (migration 00017, docs/privacy.md "Files"). These methods
// are not part of store.Store: package files and the shared_file privacy
// kind declare the narrow interfaces they need.

const sharedFileColumns = "id, meeting_id, uploader_id, uploader_user, name_sealed, size, content_type, key_sealed, scan, created_at"

// AddSharedFile stores f and its recipients in one transaction, its name
// and content key sealed under the meeting's key. ErrNotFound when the
// meeting does not exist, ErrConflict on a duplicate ID.
func (s *Store) AddSharedFile(ctx context.Context, f store.SharedFile) error {
	// Checked before sealing: sealing creates the meeting's key when it is
	// missing, which for an unknown meeting would leave a key owning nothing.
	if err := s.requireMeeting(ctx, f.MeetingID); err != nil {
		return mapErr("add shared file", err)
	}
	sf, err := sealed.SealFile(ctx, s.keys, f)
	if err != nil {
		return fmt.Errorf("add shared file: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO shared_files ("+sharedFileColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			f.ID, f.MeetingID, f.UploaderID, f.UploaderUser, sf.NameSealed, f.Size, f.Type, sf.KeySealed, f.Scan, toDB(f.CreatedAt)); err != nil {
			return err
		}
		for _, r := range f.To {
			if _, err := tx.ExecContext(ctx,
				"INSERT INTO shared_file_recipients (file_id, participant_id, user_id) VALUES (?, ?, ?)",
				f.ID, r.ParticipantID, r.UserID); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr("add shared file", err)
}

// sealedFile is a shared_files row as stored (package sealed).
type sealedFile = sealed.File

func scanSharedFile(row rowScanner) (sealedFile, error) {
	var (
		sf      sealedFile
		f       = &sf.SharedFile
		created int64
	)
	if err := row.Scan(&f.ID, &f.MeetingID, &f.UploaderID, &f.UploaderUser, &sf.NameSealed, &f.Size, &f.Type,
		&sf.KeySealed, &f.Scan, &created); err != nil {
		return sealedFile{}, err
	}
	f.CreatedAt = fromDB(created)
	return sf, nil
}

// openSharedFile decrypts the name and key; ErrErased when the meeting's
// key was shredded.
func (s *Store) openSharedFile(ctx context.Context, sf sealedFile) (store.SharedFile, error) {
	return sf.Open(ctx, s.keys)
}

// SharedFile returns the meeting's file id with its recipients;
// ErrNotFound when the meeting has no such file.
func (s *Store) SharedFile(ctx context.Context, meetingID, id string) (store.SharedFile, error) {
	sf, err := scanSharedFile(s.db.QueryRowContext(ctx,
		"SELECT "+sharedFileColumns+" FROM shared_files WHERE id = ? AND meeting_id = ?", id, meetingID))
	if err != nil {
		return store.SharedFile{}, mapErr("shared file", err)
	}
	files, err := s.withRecipients(ctx, []sealedFile{sf}, false)
	if err != nil {
		return store.SharedFile{}, mapErr("shared file", err)
	}
	return files[0], nil
}

// SharedFilesOfSubject lists the files a subject uploaded or was sent by
// name, oldest first: by account for "u_…", by participant for "p_…".
// Files to everyone are not the recipients' data and are not listed for
// them. Files whose meeting key is gone are left out.
func (s *Store) SharedFilesOfSubject(ctx context.Context, subjectID string) ([]store.SharedFile, error) {
	up, to := subjectColumns(subjectID)
	rows, err := s.db.QueryContext(ctx, "SELECT "+sharedFileColumns+" FROM shared_files WHERE "+up+" = ? "+
		"OR id IN (SELECT file_id FROM shared_file_recipients WHERE "+to+" = ?) ORDER BY created_at, id",
		subjectID, subjectID)
	if err != nil {
		return nil, mapErr("shared files of subject", err)
	}
	sealed, err := collectSharedFiles(rows)
	if err != nil {
		return nil, mapErr("shared files of subject", err)
	}
	out, err := s.withRecipients(ctx, sealed, true)
	return out, mapErr("shared files of subject", err)
}

// subjectColumns names the uploader and recipient columns that hold a
// subject's ID: account IDs for "u_…", participant IDs otherwise.
func subjectColumns(subjectID string) (uploader, recipient string) {
	if strings.HasPrefix(subjectID, "u_") {
		return "uploader_user", "user_id"
	}
	return "uploader_id", "participant_id"
}

func collectSharedFiles(rows *sql.Rows) ([]sealedFile, error) {
	defer rows.Close()
	var out []sealedFile
	for rows.Next() {
		sf, err := scanSharedFile(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, sf)
	}
	return out, rows.Err()
}

// withRecipients opens the files and reads their recipients. Files whose
// meeting key was shredded are skipped when skipErased is set (nothing of
// them is readable), and ErrErased otherwise.
func (s *Store) withRecipients(ctx context.Context, rows []sealedFile, skipErased bool) ([]store.SharedFile, error) {
	out := make([]store.SharedFile, 0, len(rows))
	for _, sf := range rows {
		f, err := s.openSharedFile(ctx, sf)
		if errIsShredded(err) && skipErased {
			continue
		}
		if err != nil {
			return nil, err
		}
		if f.To, err = s.fileRecipients(ctx, f.ID); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

func (s *Store) fileRecipients(ctx context.Context, id string) ([]store.FileRecipient, error) {
	rows, err := s.db.QueryContext(ctx,
		"SELECT participant_id, user_id FROM shared_file_recipients WHERE file_id = ? ORDER BY rowid", id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.FileRecipient
	for rows.Next() {
		var r store.FileRecipient
		if err := rows.Scan(&r.ParticipantID, &r.UserID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SharedFileIDsByUploader lists the IDs of the files a subject uploaded
// (by account for "u_…", by participant for "p_…").
func (s *Store) SharedFileIDsByUploader(ctx context.Context, subjectID string) ([]string, error) {
	up, _ := subjectColumns(subjectID)
	ids, err := s.ids(ctx, "SELECT id FROM shared_files WHERE "+up+" = ? ORDER BY id", subjectID)
	return ids, mapErr("shared files by uploader", err)
}

// EraseFileRecipient replaces a subject, where it was sent a file, by
// store.ErasedRecipient, and returns how many recipient rows changed.
func (s *Store) EraseFileRecipient(ctx context.Context, subjectID string) (int, error) {
	_, to := subjectColumns(subjectID)
	n, err := s.execCount(ctx, "erase file recipient",
		"UPDATE shared_file_recipients SET participant_id = ?, user_id = '' WHERE "+to+" = ?",
		store.ErasedRecipient, subjectID)
	if err != nil {
		return 0, err
	}
	s.scrubBestEffort(ctx)
	return n, nil
}

// SharedFileIDsCreatedBefore lists the files created before before, except
// those of the meetings in cutoffs, which are listed when created before
// their meeting's own cut-off instead.
func (s *Store) SharedFileIDsCreatedBefore(ctx context.Context, before time.Time, cutoffs map[string]time.Time) ([]string, error) {
	query := "SELECT id FROM shared_files WHERE created_at < ?"
	args := []any{toDB(before)}
	meetings := slices.Sorted(maps.Keys(cutoffs))
	if len(meetings) > 0 && len(meetings) <= auditAddrBatch {
		query += " AND meeting_id NOT IN (?" + strings.Repeat(", ?", len(meetings)-1) + ")"
		for _, m := range meetings {
			args = append(args, m)
		}
	}
	ids, err := s.ids(ctx, query, args...)
	if err != nil {
		return nil, mapErr("shared files created before", err)
	}
	if len(meetings) > auditAddrBatch { // rare: filter here rather than bind thousands of parameters
		ids, err = s.dropMeetings(ctx, ids, cutoffs)
		if err != nil {
			return nil, mapErr("shared files created before", err)
		}
	}
	for _, m := range meetings {
		more, err := s.ids(ctx, "SELECT id FROM shared_files WHERE meeting_id = ? AND created_at < ?", m, toDB(cutoffs[m]))
		if err != nil {
			return nil, mapErr("shared files created before", err)
		}
		ids = append(ids, more...)
	}
	slices.Sort(ids)
	return ids, nil
}

// dropMeetings removes from ids the files of the meetings in cutoffs.
func (s *Store) dropMeetings(ctx context.Context, ids []string, cutoffs map[string]time.Time) ([]string, error) {
	out := ids[:0]
	for _, id := range ids {
		var meeting string
		if err := s.db.QueryRowContext(ctx, "SELECT meeting_id FROM shared_files WHERE id = ?", id).Scan(&meeting); err != nil {
			return nil, err
		}
		if _, own := cutoffs[meeting]; !own {
			out = append(out, id)
		}
	}
	return out, nil
}

// DeleteSharedFiles deletes the files' rows (recipients cascade), and with
// them the sealed content keys, and returns how many it deleted. The
// caller removes the content files.
func (s *Store) DeleteSharedFiles(ctx context.Context, ids []string) (int, error) {
	total := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for len(ids) > 0 {
			batch := ids[:min(len(ids), auditAddrBatch)]
			ids = ids[len(batch):]
			args := make([]any, len(batch))
			for i, id := range batch {
				args[i] = id
			}
			n, err := execTx(ctx, tx, "DELETE FROM shared_files WHERE id IN (?"+strings.Repeat(", ?", len(batch)-1)+")", args...)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, mapErr("delete shared files", err)
	}
	s.scrubBestEffort(ctx)
	return total, nil
}

// SharedFilesExisting returns those of ids that have a row, for the sweep
// that removes content files whose row is gone (a deleted meeting's).
func (s *Store) SharedFilesExisting(ctx context.Context, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), auditAddrBatch)]
		ids = ids[len(batch):]
		args := make([]any, len(batch))
		for i, id := range batch {
			args[i] = id
		}
		found, err := s.ids(ctx, "SELECT id FROM shared_files WHERE id IN (?"+strings.Repeat(", ?", len(batch)-1)+")", args...)
		if err != nil {
			return nil, mapErr("shared files existing", err)
		}
		for _, id := range found {
			out[id] = true
		}
	}
	return out, nil
}

// SharedFilesOfMeeting lists a meeting's shared files, oldest first, for
// an officer's review. Files whose meeting key is gone are left out.
func (s *Store) SharedFilesOfMeeting(ctx context.Context, meetingID string) ([]store.SharedFile, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+sharedFileColumns+" FROM shared_files WHERE meeting_id = ? ORDER BY created_at, id", meetingID)
	if err != nil {
		return nil, mapErr("shared files of meeting", err)
	}
	sealed, err := collectSharedFiles(rows)
	if err != nil {
		return nil, mapErr("shared files of meeting", err)
	}
	out, err := s.withRecipients(ctx, sealed, true)
	return out, mapErr("shared files of meeting", err)
}
