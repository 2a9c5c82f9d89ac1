package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// The track files of recordings (migration 00019): one row per sealed
// file, its content key and owner's name sealed under the meeting's key.

const trackColumns = "t.id, t.recording_id, r.meeting_id, t.owner_id, t.subject, t.owner_name_sealed, t.source, t.kind, " +
	"t.codec, t.offset_ms, t.frames, t.bytes, t.duration_ms, t.complete, t.finished, t.key_sealed, t.created_at"

const trackFrom = " FROM recording_tracks t JOIN recordings r ON r.id = t.recording_id "

// AddRecordingTrack stores t, its key and owner's name sealed under the
// meeting's key, with the subjects of a composite. ErrNotFound when the
// recording does not exist.
func (s *Store) AddRecordingTrack(ctx context.Context, t store.RecordingTrack) error {
	var meetingID string
	if err := s.db.QueryRowContext(ctx, "SELECT meeting_id FROM recordings WHERE id = ?", t.RecordingID).Scan(&meetingID); err != nil {
		return mapErr("add recording track", err)
	}
	st, err := sealed.SealTrack(ctx, s.keys, meetingID, t)
	if err != nil {
		return fmt.Errorf("add recording track: %w", err)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO recording_tracks (id, recording_id, owner_id, subject, owner_name_sealed, "+
			"source, kind, codec, offset_ms, frames, bytes, duration_ms, complete, finished, key_sealed, created_at) "+
			"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
			t.ID, t.RecordingID, t.Owner, t.Subject, st.OwnerNameSealed, t.Source, t.Kind, t.Codec, t.Offset.Milliseconds(),
			t.Frames, t.Bytes, t.Duration.Milliseconds(), boolToDB(t.Complete), boolToDB(t.Finished), st.KeySealed, toDB(t.CreatedAt)); err != nil {
			return err
		}
		for _, sub := range t.Subjects {
			if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO recording_track_subjects (track_id, subject) VALUES (?, ?)",
				t.ID, sub); err != nil {
				return err
			}
		}
		return nil
	})
	return mapErr("add recording track", err)
}

// FinishRecordingTrack records how a track file ended.
func (s *Store) FinishRecordingTrack(ctx context.Context, id string, end store.RecordingTrackEnd) error {
	n, err := s.execCount(ctx, "finish recording track",
		"UPDATE recording_tracks SET frames = ?, bytes = ?, duration_ms = ?, complete = ?, finished = 1 WHERE id = ?",
		end.Frames, end.Bytes, end.Duration.Milliseconds(), boolToDB(end.Complete), id)
	if err == nil && n == 0 {
		err = fmt.Errorf("finish recording track: %w", store.ErrNotFound)
	}
	return err
}

// sealedTrack is a recording_tracks row as stored (package sealed).
type sealedTrack = sealed.Track

func scanTrack(row rowScanner) (sealedTrack, error) {
	var (
		st                   sealedTrack
		t                    = &st.RecordingTrack
		offset, dur, created int64
		complete, finished   int64
	)
	if err := row.Scan(&t.ID, &t.RecordingID, &t.MeetingID, &t.Owner, &t.Subject, &st.OwnerNameSealed, &t.Source, &t.Kind,
		&t.Codec, &offset, &t.Frames, &t.Bytes, &dur, &complete, &finished, &st.KeySealed, &created); err != nil {
		return sealedTrack{}, err
	}
	t.Offset, t.Duration = time.Duration(offset)*time.Millisecond, time.Duration(dur)*time.Millisecond
	t.Complete, t.Finished, t.CreatedAt = complete != 0, finished != 0, fromDB(created)
	return st, nil
}

// openTrack opens the key and name and reads a composite's subjects;
// ErrErased when the meeting's key was shredded.
func (s *Store) openTrack(ctx context.Context, st sealedTrack) (store.RecordingTrack, error) {
	t, err := st.Open(ctx, s.keys)
	if err != nil {
		return store.RecordingTrack{}, err
	}
	if t.Kind == store.TrackComposite {
		if t.Subjects, err = s.ids(ctx, "SELECT subject FROM recording_track_subjects WHERE track_id = ? ORDER BY subject", t.ID); err != nil {
			return store.RecordingTrack{}, err
		}
	}
	return t, nil
}

// RecordingTrack returns track id of the recording.
func (s *Store) RecordingTrack(ctx context.Context, recordingID, id string) (store.RecordingTrack, error) {
	st, err := scanTrack(s.db.QueryRowContext(ctx, "SELECT "+trackColumns+trackFrom+"WHERE t.id = ? AND t.recording_id = ?", id, recordingID))
	if err != nil {
		return store.RecordingTrack{}, mapErr("recording track", err)
	}
	t, err := s.openTrack(ctx, st)
	return t, mapErr("recording track", err)
}

// RecordingTracks lists a recording's tracks by offset, composites last.
func (s *Store) RecordingTracks(ctx context.Context, recordingID string) ([]store.RecordingTrack, error) {
	return s.listTracks(ctx, "recording tracks", "WHERE t.recording_id = ? ORDER BY t.kind = 'composite', t.offset_ms, t.id", recordingID)
}

// RecordingTracksOfSubject lists the subject's own tracks (by account for
// "u_…", by participant too) and the composites containing them, oldest
// first, leaving out those whose key is gone.
func (s *Store) RecordingTracksOfSubject(ctx context.Context, subjectID string) ([]store.RecordingTrack, error) {
	return s.listTracks(ctx, "recording tracks of subject",
		"WHERE t.subject = ? OR t.owner_id = ? OR t.id IN (SELECT track_id FROM recording_track_subjects WHERE subject = ?) "+
			"ORDER BY t.created_at, t.id", subjectID, subjectID, subjectID)
}

func (s *Store) listTracks(ctx context.Context, op, where string, args ...any) ([]store.RecordingTrack, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+trackColumns+trackFrom+where, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	var sealed []sealedTrack
	err = func() error {
		defer rows.Close()
		for rows.Next() {
			st, err := scanTrack(rows)
			if err != nil {
				return err
			}
			sealed = append(sealed, st)
		}
		return rows.Err()
	}()
	if err != nil {
		return nil, mapErr(op, err)
	}
	out := make([]store.RecordingTrack, 0, len(sealed))
	for _, st := range sealed {
		t, err := s.openTrack(ctx, st)
		if errIsShredded(err) {
			continue
		}
		if err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// DeleteRecordingTracks deletes track rows, and with them their sealed
// content keys. The caller removes the files.
func (s *Store) DeleteRecordingTracks(ctx context.Context, ids []string) (int, error) {
	return s.deleteIDs(ctx, "delete recording tracks", "recording_tracks", ids)
}

// RecordingTracksExisting returns those of ids that have a row.
func (s *Store) RecordingTracksExisting(ctx context.Context, ids []string) (map[string]bool, error) {
	return s.existing(ctx, "recording tracks existing", "recording_tracks", ids)
}
