package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

// Stored transcripts (schema 00001, docs/transcripts.md): the text and
// the speaker's name sealed under the meeting's key (package sealed).
const transcriptColumns = "id, meeting_id, transcription_id, speaker_id, speaker_user, speaker_name_sealed, text_sealed, " +
	"start_offset, end_offset, created_at"

// AddTranscriptSegment stores a final caption. ErrNotFound when the
// meeting does not exist, ErrConflict on a duplicate ID.
func (s *Store) AddTranscriptSegment(ctx context.Context, seg store.TranscriptSegment) error {
	// Checked before sealing: sealing creates the meeting's key when it is
	// missing, which for a deleted meeting would leave a key owning nothing.
	if err := s.requireMeeting(ctx, seg.MeetingID); err != nil {
		return mapErr("add transcript segment", err)
	}
	row, err := sealed.SealTranscript(ctx, s.keys, seg)
	if err != nil {
		return fmt.Errorf("add transcript segment: %w", err)
	}
	_, err = s.pool.Exec(ctx, "INSERT INTO transcript_segments ("+transcriptColumns+") "+
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
		seg.ID, seg.MeetingID, seg.TranscriptionID, seg.SpeakerID, seg.SpeakerUser, row.SpeakerNameSealed, row.TextSealed,
		int64(seg.Start), int64(seg.End), toDB(seg.CreatedAt))
	return mapErr("add transcript segment", err)
}

// TranscriptsOfMeeting lists the meeting's stored transcriptions, oldest
// first.
func (s *Store) TranscriptsOfMeeting(ctx context.Context, meetingID string) ([]store.Transcript, error) {
	rows, err := s.pool.Query(ctx, "SELECT transcription_id, min(created_at), max(created_at), count(*) FROM transcript_segments "+
		"WHERE meeting_id = $1 GROUP BY transcription_id ORDER BY min(created_at), transcription_id", meetingID)
	if err != nil {
		return nil, mapErr("transcripts of meeting", err)
	}
	var out []store.Transcript
	var (
		id          string
		first, last int64
		n           int
	)
	_, err = pgx.ForEachRow(rows, []any{&id, &first, &last, &n}, func() error {
		out = append(out, store.Transcript{ID: id, MeetingID: meetingID, First: fromDB(first), Last: fromDB(last), Segments: n})
		return nil
	})
	return out, mapErr("transcripts of meeting", err)
}

// TranscriptSegments lists one transcription's segments of the meeting in
// the order they were spoken.
func (s *Store) TranscriptSegments(ctx context.Context, meetingID, transcriptionID string) ([]store.TranscriptSegment, error) {
	out, err := s.transcriptWhere(ctx, "meeting_id = $1 AND transcription_id = $2", meetingID, transcriptionID)
	return out, mapErr("transcript segments", err)
}

// TranscriptSegmentsOfSubject lists the lines a subject spoke, by account
// for "u_…", by participant for "p_…".
func (s *Store) TranscriptSegmentsOfSubject(ctx context.Context, subjectID string) ([]store.TranscriptSegment, error) {
	col, err := transcriptSubjectColumn(subjectID)
	if err != nil {
		return nil, fmt.Errorf("transcript segments of subject: %w", err)
	}
	out, err := s.transcriptWhere(ctx, col+" = $1", subjectID)
	return out, mapErr("transcript segments of subject", err)
}

// transcriptSubjectColumn names the column holding a subject's ID; any
// other form than "u_…" or "p_…" is refused.
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
	return s.execCount(ctx, "erase transcript subject", "DELETE FROM transcript_segments WHERE "+col+" = $1", subjectID)
}

// DeleteTranscriptsOfMeeting deletes every stored transcript of the
// meeting and returns how many segments went.
func (s *Store) DeleteTranscriptsOfMeeting(ctx context.Context, meetingID string) (int, error) {
	return s.execCount(ctx, "delete transcripts of meeting", "DELETE FROM transcript_segments WHERE meeting_id = $1", meetingID)
}

// ExpireTranscripts deletes the segments stored before their meeting's
// cut-off in cutoffs, or before before for meetings without one.
func (s *Store) ExpireTranscripts(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error) {
	meetings, limits := cutoffArrays(cutoffs)
	return s.execCount(ctx, "expire transcripts", "DELETE FROM transcript_segments t WHERE t.created_at < coalesce("+
		"(SELECT c.cutoff FROM unnest($2::text[], $3::bigint[]) AS c (meeting_id, cutoff) WHERE c.meeting_id = t.meeting_id), $1)",
		toDB(before), meetings, limits)
}

// transcriptWhere reads and opens the matching segments in the order they
// were spoken. Segments whose meeting key is gone are left out.
func (s *Store) transcriptWhere(ctx context.Context, where string, args ...any) ([]store.TranscriptSegment, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+transcriptColumns+" FROM transcript_segments WHERE "+where+
		" ORDER BY meeting_id, transcription_id, start_offset, position", args...)
	if err != nil {
		return nil, err
	}
	sealedRows, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealed.Transcript, error) {
		var (
			t                   sealed.Transcript
			seg                 = &t.TranscriptSegment
			start, end, created int64
		)
		err := r.Scan(&seg.ID, &seg.MeetingID, &seg.TranscriptionID, &seg.SpeakerID, &seg.SpeakerUser,
			&t.SpeakerNameSealed, &t.TextSealed, &start, &end, &created)
		seg.Start, seg.End, seg.CreatedAt = time.Duration(start), time.Duration(end), fromDB(created)
		return t, err
	})
	if err != nil {
		return nil, err
	}
	out := make([]store.TranscriptSegment, 0, len(sealedRows))
	for _, t := range sealedRows {
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
