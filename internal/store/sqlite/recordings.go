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

// Recordings (migration 00019, docs/privacy.md "Recordings"): the
// recordings and their shares here, the track files' rows in
// recording_tracks.go. Not part of store.Store: package recordings and the
// recording privacy kind declare the narrow interfaces they need.

var _ store.RecordingStore = (*Store)(nil)

const recordingColumns = "id, meeting_id, started_by, purpose_sealed, started_at, ended_at, end_reason, state"

// AddRecording stores r with its purpose sealed under the meeting's key.
func (s *Store) AddRecording(ctx context.Context, r store.Recording) error {
	// Checked before sealing: sealing creates a missing meeting key, which
	// for an unknown meeting would leave a key owning nothing.
	if err := s.requireMeeting(ctx, r.MeetingID); err != nil {
		return mapErr("add recording", err)
	}
	sr, err := sealed.SealRecording(ctx, s.keys, r)
	if err != nil {
		return fmt.Errorf("add recording: %w", err)
	}
	state := r.State
	if state == "" {
		state = store.RecordingActive
	}
	_, err = s.db.ExecContext(ctx, "INSERT INTO recordings ("+recordingColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		r.ID, r.MeetingID, r.StartedBy, sr.PurposeSealed, toDB(r.StartedAt), optionalToDB(r.EndedAt), r.EndReason, state)
	return mapErr("add recording", err)
}

// EndRecording marks the recording ended at at; an ended one stays as it
// ended.
func (s *Store) EndRecording(ctx context.Context, id string, at time.Time, reason string) error {
	n, err := s.execCount(ctx, "end recording",
		"UPDATE recordings SET state = ?, ended_at = ?, end_reason = ? WHERE id = ? AND state = ?",
		store.RecordingEnded, toDB(at), reason, id, store.RecordingActive)
	if err != nil || n > 0 {
		return err
	}
	var one int
	return mapErr("end recording", s.db.QueryRowContext(ctx, "SELECT 1 FROM recordings WHERE id = ?", id).Scan(&one))
}

// sealedRecording is a recordings row as stored (package sealed).
type sealedRecording = sealed.Recording

func scanRecording(row rowScanner) (sealedRecording, error) {
	var (
		sr             sealedRecording
		r              = &sr.Recording
		started, ended int64
	)
	if err := row.Scan(&r.ID, &r.MeetingID, &r.StartedBy, &sr.PurposeSealed, &started, &ended, &r.EndReason, &r.State); err != nil {
		return sealedRecording{}, err
	}
	r.StartedAt, r.EndedAt = fromDB(started), optionalFromDB(ended)
	return sr, nil
}

func (s *Store) openRecording(ctx context.Context, sr sealedRecording) (store.Recording, error) {
	return sr.Open(ctx, s.keys)
}

// Recording returns recording id.
func (s *Store) Recording(ctx context.Context, id string) (store.Recording, error) {
	sr, err := scanRecording(s.db.QueryRowContext(ctx, "SELECT "+recordingColumns+" FROM recordings WHERE id = ?", id))
	if err != nil {
		return store.Recording{}, mapErr("recording", err)
	}
	r, err := s.openRecording(ctx, sr)
	return r, mapErr("recording", err)
}

// RecordingsOfMeeting lists a meeting's recordings, newest first.
func (s *Store) RecordingsOfMeeting(ctx context.Context, meetingID string) ([]store.Recording, error) {
	return s.listRecordings(ctx, "recordings of meeting", "WHERE meeting_id = ?", meetingID)
}

// RecordingsForAccount lists the recordings of the meetings the account
// hosts and those shared with it, newest first.
func (s *Store) RecordingsForAccount(ctx context.Context, accountID string) ([]store.Recording, error) {
	return s.listRecordings(ctx, "recordings for account",
		"WHERE meeting_id IN (SELECT id FROM meetings WHERE host_id = ?) "+
			"OR id IN (SELECT recording_id FROM recording_shares WHERE account_id = ?)", accountID, accountID)
}

// AllRecordings lists every recording, newest first.
func (s *Store) AllRecordings(ctx context.Context) ([]store.Recording, error) {
	return s.listRecordings(ctx, "all recordings", "")
}

// listRecordings opens the recordings matched by where, leaving out those
// whose meeting key is gone (nothing of them is readable).
func (s *Store) listRecordings(ctx context.Context, op, where string, args ...any) ([]store.Recording, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+recordingColumns+" FROM recordings "+where+" ORDER BY started_at DESC, id", args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	var sealed []sealedRecording
	err = func() error {
		defer rows.Close()
		for rows.Next() {
			sr, err := scanRecording(rows)
			if err != nil {
				return err
			}
			sealed = append(sealed, sr)
		}
		return rows.Err()
	}()
	if err != nil {
		return nil, mapErr(op, err)
	}
	out := make([]store.Recording, 0, len(sealed))
	for _, sr := range sealed {
		r, err := s.openRecording(ctx, sr)
		if errIsShredded(err) {
			continue
		}
		if err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// ActiveRecordingIDs lists the recordings still marked recording.
func (s *Store) ActiveRecordingIDs(ctx context.Context) ([]string, error) {
	ids, err := s.ids(ctx, "SELECT id FROM recordings WHERE state = ? ORDER BY id", store.RecordingActive)
	return ids, mapErr("active recordings", err)
}

// DeleteRecordings deletes recordings with their tracks (and so their
// sealed content keys) and shares. The caller removes the files.
func (s *Store) DeleteRecordings(ctx context.Context, ids []string) (int, error) {
	return s.deleteIDs(ctx, "delete recordings", "recordings", ids)
}

// deleteIDs deletes the rows of table whose id is in ids, in batches in
// one transaction, and scrubs the WAL.
func (s *Store) deleteIDs(ctx context.Context, op, table string, ids []string) (int, error) {
	total := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for batch := range slices.Chunk(ids, auditAddrBatch) {
			n, err := execTx(ctx, tx, "DELETE FROM "+table+" WHERE id IN "+placeholders(len(batch)), anys(batch)...)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	if err != nil {
		return 0, mapErr(op, err)
	}
	s.scrubBestEffort(ctx)
	return total, nil
}

func placeholders(n int) string { return "(?" + strings.Repeat(", ?", n-1) + ")" }

func anys(ids []string) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// RecordingIDsEndedBefore lists the recordings whose end (or start, for
// one never marked ended) is before before, except those of the meetings
// in cutoffs, listed when before their meeting's own cut-off instead.
func (s *Store) RecordingIDsEndedBefore(ctx context.Context, before time.Time, cutoffs map[string]time.Time) ([]string, error) {
	const when = "(CASE WHEN ended_at > 0 THEN ended_at ELSE started_at END)"
	meetings := slices.Sorted(maps.Keys(cutoffs))
	ids, err := s.ids(ctx, "SELECT id FROM recordings WHERE "+when+" < ?", toDB(before))
	if err != nil {
		return nil, mapErr("recordings ended before", err)
	}
	if len(meetings) > 0 {
		// Few recordings exist: filtering here is simpler than binding
		// every overriding meeting.
		if ids, err = s.dropRecordingsOf(ctx, ids, cutoffs); err != nil {
			return nil, mapErr("recordings ended before", err)
		}
	}
	for _, m := range meetings {
		more, err := s.ids(ctx, "SELECT id FROM recordings WHERE meeting_id = ? AND "+when+" < ?", m, toDB(cutoffs[m]))
		if err != nil {
			return nil, mapErr("recordings ended before", err)
		}
		ids = append(ids, more...)
	}
	slices.Sort(ids)
	return ids, nil
}

// dropRecordingsOf removes from ids the recordings of the meetings in
// cutoffs.
func (s *Store) dropRecordingsOf(ctx context.Context, ids []string, cutoffs map[string]time.Time) ([]string, error) {
	out := ids[:0]
	for _, id := range ids {
		var meeting string
		if err := s.db.QueryRowContext(ctx, "SELECT meeting_id FROM recordings WHERE id = ?", id).Scan(&meeting); err != nil {
			return nil, err
		}
		if _, own := cutoffs[meeting]; !own {
			out = append(out, id)
		}
	}
	return out, nil
}

// RecordingsExisting returns those of ids that have a row.
func (s *Store) RecordingsExisting(ctx context.Context, ids []string) (map[string]bool, error) {
	return s.existing(ctx, "recordings existing", "recordings", ids)
}

func (s *Store) existing(ctx context.Context, op, table string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	for batch := range slices.Chunk(ids, auditAddrBatch) {
		found, err := s.ids(ctx, "SELECT id FROM "+table+" WHERE id IN "+placeholders(len(batch)), anys(batch)...)
		if err != nil {
			return nil, mapErr(op, err)
		}
		for _, id := range found {
			out[id] = true
		}
	}
	return out, nil
}

// ShareRecording shares a recording with an account; a repeat keeps the
// first share.
func (s *Store) ShareRecording(ctx context.Context, sh store.RecordingShare) error {
	_, err := s.db.ExecContext(ctx, "INSERT INTO recording_shares (recording_id, account_id, shared_by, shared_at) "+
		"VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING", sh.RecordingID, sh.AccountID, sh.SharedBy, toDB(sh.SharedAt))
	return mapErr("share recording", err)
}

// UnshareRecording withdraws a share; withdrawing none is not an error.
func (s *Store) UnshareRecording(ctx context.Context, recordingID, accountID string) error {
	_, err := s.execCount(ctx, "unshare recording", "DELETE FROM recording_shares WHERE recording_id = ? AND account_id = ?",
		recordingID, accountID)
	return err
}

// RecordingShares lists a recording's shares, oldest first.
func (s *Store) RecordingShares(ctx context.Context, recordingID string) ([]store.RecordingShare, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT recording_id, account_id, shared_by, shared_at FROM recording_shares "+
		"WHERE recording_id = ? ORDER BY shared_at, account_id", recordingID)
	if err != nil {
		return nil, mapErr("recording shares", err)
	}
	defer rows.Close()
	var out []store.RecordingShare
	for rows.Next() {
		var (
			sh store.RecordingShare
			at int64
		)
		if err := rows.Scan(&sh.RecordingID, &sh.AccountID, &sh.SharedBy, &at); err != nil {
			return nil, mapErr("recording shares", err)
		}
		sh.SharedAt = fromDB(at)
		out = append(out, sh)
	}
	return out, mapErr("recording shares", rows.Err())
}

// EraseRecordingSubject deletes the shares to the subject and replaces it
// by store.ErasedSubject where it started or shared a recording.
func (s *Store) EraseRecordingSubject(ctx context.Context, subjectID string) (store.RecordingErasure, error) {
	var out store.RecordingErasure
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if out.Shares, err = execTx(ctx, tx, "DELETE FROM recording_shares WHERE account_id = ?", subjectID); err != nil {
			return err
		}
		n, err := execTx(ctx, tx, "UPDATE recordings SET started_by = ? WHERE started_by = ?", store.ErasedSubject, subjectID)
		if err != nil {
			return err
		}
		m, err := execTx(ctx, tx, "UPDATE recording_shares SET shared_by = ? WHERE shared_by = ?", store.ErasedSubject, subjectID)
		out.Pseudonymised = n + m
		return err
	})
	if err != nil {
		return store.RecordingErasure{}, mapErr("erase recording subject", err)
	}
	s.scrubBestEffort(ctx)
	return out, nil
}
