package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// Shared files (docs/privacy.md "Files"): the name and content key sealed
// under the meeting's key (package sealed).

const sharedFileColumns = "id, meeting_id, uploader_id, uploader_user, name_sealed, size, content_type, key_sealed, scan, created_at"

// AddSharedFile stores f and its recipients in one transaction.
// ErrNotFound when the meeting does not exist, ErrConflict on a duplicate
// ID.
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
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "INSERT INTO shared_files ("+sharedFileColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
			f.ID, f.MeetingID, f.UploaderID, f.UploaderUser, sf.NameSealed, f.Size, f.Type, sf.KeySealed, f.Scan, toDB(f.CreatedAt)); err != nil {
			return err
		}
		for _, r := range f.To {
			if _, err := tx.Exec(ctx, "INSERT INTO shared_file_recipients (file_id, participant_id, user_id) VALUES ($1, $2, $3)",
				f.ID, r.ParticipantID, r.UserID); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr("add shared file", err)
}

func scanSharedFile(row pgx.Row) (sealed.File, error) {
	var (
		sf      sealed.File
		f       = &sf.SharedFile
		created int64
	)
	if err := row.Scan(&f.ID, &f.MeetingID, &f.UploaderID, &f.UploaderUser, &sf.NameSealed, &f.Size, &f.Type,
		&sf.KeySealed, &f.Scan, &created); err != nil {
		return sealed.File{}, err
	}
	f.CreatedAt = fromDB(created)
	return sf, nil
}

// SharedFile returns the meeting's file id with its recipients;
// ErrNotFound when the meeting has no such file.
func (s *Store) SharedFile(ctx context.Context, meetingID, id string) (store.SharedFile, error) {
	files, err := s.sharedFiles(ctx, false, "WHERE id = $1 AND meeting_id = $2", id, meetingID)
	if err == nil && len(files) == 0 {
		err = pgx.ErrNoRows
	}
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
	out, err := s.sharedFiles(ctx, true, "WHERE "+up+" = $1 "+
		"OR id IN (SELECT file_id FROM shared_file_recipients WHERE "+to+" = $1) ORDER BY created_at, id COLLATE \"C\"", subjectID)
	return out, mapErr("shared files of subject", err)
}

// SharedFilesOfMeeting lists a meeting's shared files, oldest first.
// Files whose meeting key is gone are left out.
func (s *Store) SharedFilesOfMeeting(ctx context.Context, meetingID string) ([]store.SharedFile, error) {
	out, err := s.sharedFiles(ctx, true, "WHERE meeting_id = $1 ORDER BY created_at, id COLLATE \"C\"", meetingID)
	return out, mapErr("shared files of meeting", err)
}

// subjectColumns names the uploader and recipient columns that hold a
// subject's ID: account IDs for "u_…", participant IDs otherwise.
func subjectColumns(subjectID string) (uploader, recipient string) {
	if strings.HasPrefix(subjectID, "u_") {
		return "uploader_user", "user_id"
	}
	return "uploader_id", "participant_id"
}

// sharedFiles opens the files matched by where, with their recipients.
// Files whose meeting key was shredded are skipped when skipErased is set
// (nothing of them is readable), and ErrErased otherwise.
func (s *Store) sharedFiles(ctx context.Context, skipErased bool, where string, args ...any) ([]store.SharedFile, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+sharedFileColumns+" FROM shared_files "+where, args...)
	if err != nil {
		return nil, err
	}
	sealedRows, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealed.File, error) { return scanSharedFile(r) })
	if err != nil {
		return nil, err
	}
	out := make([]store.SharedFile, 0, len(sealedRows))
	for _, sf := range sealedRows {
		f, err := sf.Open(ctx, s.keys)
		if sealed.IsShredded(err) && skipErased {
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
	rows, err := s.pool.Query(ctx, "SELECT participant_id, user_id FROM shared_file_recipients WHERE file_id = $1 ORDER BY position", id)
	if err != nil {
		return nil, err
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.FileRecipient, error) {
		var fr store.FileRecipient
		err := r.Scan(&fr.ParticipantID, &fr.UserID)
		return fr, err
	})
	return nilIfNone(out), err
}

// SharedFileIDsByUploader lists the IDs of the files a subject uploaded
// (by account for "u_…", by participant for "p_…").
func (s *Store) SharedFileIDsByUploader(ctx context.Context, subjectID string) ([]string, error) {
	up, _ := subjectColumns(subjectID)
	ids, err := s.ids(ctx, "SELECT id FROM shared_files WHERE "+up+" = $1 ORDER BY id COLLATE \"C\"", subjectID)
	return ids, mapErr("shared files by uploader", err)
}

// EraseFileRecipient replaces a subject, where it was sent a file, by
// store.ErasedRecipient, and returns how many recipient rows changed.
func (s *Store) EraseFileRecipient(ctx context.Context, subjectID string) (int, error) {
	_, to := subjectColumns(subjectID)
	return s.execCount(ctx, "erase file recipient",
		"UPDATE shared_file_recipients SET participant_id = $1, user_id = '' WHERE "+to+" = $2", store.ErasedRecipient, subjectID)
}

// SharedFileIDsCreatedBefore lists the files created before their
// meeting's cut-off in cutoffs, or before before for meetings without one.
func (s *Store) SharedFileIDsCreatedBefore(ctx context.Context, before time.Time, cutoffs map[string]time.Time) ([]string, error) {
	meetings, limits := cutoffArrays(cutoffs)
	ids, err := s.ids(ctx, "SELECT f.id FROM shared_files f "+
		"LEFT JOIN unnest($2::text[], $3::bigint[]) AS c (meeting_id, cutoff) ON c.meeting_id = f.meeting_id "+
		"WHERE f.created_at < coalesce(c.cutoff, $1) ORDER BY f.id COLLATE \"C\"", toDB(before), meetings, limits)
	return ids, mapErr("shared files created before", err)
}

// cutoffArrays splits per-meeting cut-offs into two arrays for unnest.
func cutoffArrays(cutoffs map[string]time.Time) ([]string, []int64) {
	meetings := make([]string, 0, len(cutoffs))
	limits := make([]int64, 0, len(cutoffs))
	for m, t := range cutoffs {
		meetings, limits = append(meetings, m), append(limits, toDB(t))
	}
	return meetings, limits
}

// DeleteSharedFiles deletes the files' rows (recipients cascade), and with
// them the sealed content keys, and returns how many it deleted. The
// caller removes the content files.
func (s *Store) DeleteSharedFiles(ctx context.Context, ids []string) (int, error) {
	return s.execCount(ctx, "delete shared files", "DELETE FROM shared_files WHERE id = ANY($1)", ids)
}

// SharedFilesExisting returns those of ids that have a row.
func (s *Store) SharedFilesExisting(ctx context.Context, ids []string) (map[string]bool, error) {
	return s.existing(ctx, "shared files existing", "SELECT id FROM shared_files WHERE id = ANY($1)", ids)
}
