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

// Stored transcripts (migration 00027, docs/transcripts.md). These
// methods are not part of store.Store: the transcription service, the
// transcript privacy kind and the web API declare the narrow interfaces
// they need.

const transcriptColumns = "id, meeting_id, transcription_id, speaker_id, speaker_user, speaker_name_sealed, text_sealed, " +
	"start_offset, end_offset, created_at"

// AddTranscriptSegment stores a final caption, its text and speaker name
// sealed under the meeting's key. ErrNotFound when the meeting does not
// exist, ErrConflict on a duplicate ID.
func (s *Store) AddTranscriptSegment(ctx context.Context, seg store.TranscriptSegment) error {
	if err := s.requireMeeting(ctx, seg.MeetingID); err != nil {
		return mapErr("add transcript segment", err)
	}
	row, err := sealed.SealTranscript(ctx, s.keys, seg)
	if err != nil {
		return fmt.Errorf("add transcript segment: %w", err)
	}
	_, err = s.db.ExecContext(ctx, "INSERT INTO transcript_segments ("+transcriptColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		seg.ID, seg.MeetingID, seg.TranscriptionID, seg.SpeakerID, seg.SpeakerUser, row.SpeakerNameSealed, row.TextSealed,
		int64(seg.Start), int64(seg.End), toDB(seg.CreatedAt))
	return mapErr("add transcript segment", err)
}

// TranscriptsOfMeeting lists the meeting's stored transcriptions, oldest
// first.
func (s *Store) TranscriptsOfMeeting(ctx context.Context, meetingID string) ([]store.Transcript, error) {
	var out []store.Transcript
	err := s.queryEach(ctx, "SELECT transcription_id, min(created_at), max(created_at), count(*) FROM transcript_segments "+
		"WHERE meeting_id = ? GROUP BY transcription_id ORDER BY min(created_at), transcription_id", []any{meetingID},
		func(r *sql.Rows) error {
			tr := store.Transcript{MeetingID: meetingID}
			var first, last int64
			if err := r.Scan(&tr.ID, &first, &last, &tr.Segments); err != nil {
				return err
			}
			tr.First, tr.Last = fromDB(first), fromDB(last)
			out = append(out, tr)
			return nil
		})
	return out, mapErr("transcripts of meeting", err)
}

// TranscriptSegments lists one transcription's segments of the meeting in
// the order they were spoken.
func (s *Store) TranscriptSegments(ctx context.Context, meetingID, transcriptionID string) ([]store.TranscriptSegment, error) {
	out, err := s.transcriptWhere(ctx, "meeting_id = ? AND transcription_id = ?", meetingID, transcriptionID)
	return out, mapErr("transcript segments", err)
}

// TranscriptSegmentsOfSubject lists the lines a subject spoke, by account
// for "u_…", by participant for "p_…".
func (s *Store) TranscriptSegmentsOfSubject(ctx context.Context, subjectID string) ([]store.TranscriptSegment, error) {
	col, err := transcriptSubjectColumn(subjectID)
	if err != nil {
		return nil, fmt.Errorf("transcript segments of subject: %w", err)
	}
	out, err := s.transcriptWhere(ctx, col+" = ?", subjectID)
	return out, mapErr("transcript segments of subject", err)
}

// transcriptSubjectColumn names the column holding a subject's ID; any
// other form than "u_…" or "p_…" is refused (an empty ID would match
// every guest's lines).
func transcriptSubjectColumn(subjectID string) (string, error) {
	switch {
	case len(subjectID) > 2 && strings.HasPrefix(subjectID, "u_"):
		return "speaker_user", nil
	case len(subjectID) > 2 && strings.HasPrefix(subjectID, "p_"):
		return "speaker_id", nil
	}
	return "", fmt.Errorf("subject %q is neither an account nor a participant ID", subjectID)
}

// EraseTranscriptSubject deletes the lines a subject spoke and returns
// how many.
func (s *Store) EraseTranscriptSubject(ctx context.Context, subjectID string) (int, error) {
	col, err := transcriptSubjectColumn(subjectID)
	if err != nil {
		return 0, fmt.Errorf("erase transcript subject: %w", err)
	}
	n, err := s.execCount(ctx, "erase transcript subject", "DELETE FROM transcript_segments WHERE "+col+" = ?", subjectID)
	if n > 0 {
		s.scrubBestEffort(ctx)
	}
	return n, err
}

// DeleteTranscriptsOfMeeting deletes every stored transcript of the
// meeting and returns how many segments went.
func (s *Store) DeleteTranscriptsOfMeeting(ctx context.Context, meetingID string) (int, error) {
	n, err := s.execCount(ctx, "delete transcripts of meeting", "DELETE FROM transcript_segments WHERE meeting_id = ?", meetingID)
	if n > 0 {
		s.scrubBestEffort(ctx)
	}
	return n, err
}

// ExpireTranscripts deletes the segments stored before before, except
// those of the meetings in cutoffs, which go when stored before their
// meeting's own cut-off instead. It returns how many it deleted.
func (s *Store) ExpireTranscripts(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error) {
	var ids []string
	err := s.queryEach(ctx, "SELECT id, meeting_id FROM transcript_segments WHERE created_at < ?", []any{toDB(before)},
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
		return 0, mapErr("expire transcripts", err)
	}
	for _, m := range slices.Sorted(maps.Keys(cutoffs)) {
		more, err := s.ids(ctx, "SELECT id FROM transcript_segments WHERE meeting_id = ? AND created_at < ?", m, toDB(cutoffs[m]))
		if err != nil {
			return 0, mapErr("expire transcripts", err)
		}
		ids = append(ids, more...)
	}
	total := 0
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		for len(ids) > 0 {
			batch := ids[:min(len(ids), auditAddrBatch)]
			ids = ids[len(batch):]
			n, err := execTx(ctx, tx, "DELETE FROM transcript_segments WHERE id IN "+chatIn(len(batch)), chatArgs(batch)...)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, mapErr("expire transcripts", err)
	}
	if total > 0 {
		s.scrubBestEffort(ctx)
	}
	return total, nil
}

// transcriptWhere reads and opens the matching segments in the order they
// were spoken (start offset, then the order stored). Segments whose
// meeting key is gone are left out.
func (s *Store) transcriptWhere(ctx context.Context, where string, args ...any) ([]store.TranscriptSegment, error) {
	var rows []sealed.Transcript
	err := s.queryEach(ctx, "SELECT "+transcriptColumns+" FROM transcript_segments WHERE "+where+
		" ORDER BY meeting_id, transcription_id, start_offset, rowid", args, func(r *sql.Rows) error {
		var (
			t                 sealed.Transcript
			seg               = &t.TranscriptSegment
			start, end, creat int64
		)
		if err := r.Scan(&seg.ID, &seg.MeetingID, &seg.TranscriptionID, &seg.SpeakerID, &seg.SpeakerUser,
			&t.SpeakerNameSealed, &t.TextSealed, &start, &end, &creat); err != nil {
			return err
		}
		seg.Start, seg.End, seg.CreatedAt = time.Duration(start), time.Duration(end), fromDB(creat)
		rows = append(rows, t)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]store.TranscriptSegment, 0, len(rows))
	for _, t := range rows {
		seg, err := t.Open(ctx, s.keys)
		if errors.Is(err, store.ErrErased) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("segment %s: %w", t.ID, err)
		}
		out = append(out, seg)
	}
	return out, nil
}
