package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sealed"
)

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
	_, err = s.pool.Exec(ctx, "INSERT INTO recordings ("+recordingColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
		r.ID, r.MeetingID, r.StartedBy, sr.PurposeSealed, toDB(r.StartedAt), optionalToDB(r.EndedAt), r.EndReason, state)
	return mapErr("add recording", err)
}

// EndRecording marks the recording ended at at; an ended one stays as it
// ended.
func (s *Store) EndRecording(ctx context.Context, id string, at time.Time, reason string) error {
	n, err := s.execCount(ctx, "end recording",
		"UPDATE recordings SET state = $1, ended_at = $2, end_reason = $3 WHERE id = $4 AND state = $5",
		store.RecordingEnded, toDB(at), reason, id, store.RecordingActive)
	if err != nil || n > 0 {
		return err
	}
	var one int
	return mapErr("end recording", s.pool.QueryRow(ctx, "SELECT 1 FROM recordings WHERE id = $1", id).Scan(&one))
}

func scanRecording(row pgx.Row) (sealed.Recording, error) {
	var (
		sr             sealed.Recording
		r              = &sr.Recording
		started, ended int64
	)
	if err := row.Scan(&r.ID, &r.MeetingID, &r.StartedBy, &sr.PurposeSealed, &started, &ended, &r.EndReason, &r.State); err != nil {
		return sealed.Recording{}, err
	}
	r.StartedAt, r.EndedAt = fromDB(started), optionalFromDB(ended)
	return sr, nil
}

// Recording returns recording id.
func (s *Store) Recording(ctx context.Context, id string) (store.Recording, error) {
	sr, err := scanRecording(s.pool.QueryRow(ctx, "SELECT "+recordingColumns+" FROM recordings WHERE id = $1", id))
	if err != nil {
		return store.Recording{}, mapErr("recording", err)
	}
	r, err := sr.Open(ctx, s.keys)
	return r, mapErr("recording", err)
}

// RecordingsOfMeeting lists a meeting's recordings, newest first.
func (s *Store) RecordingsOfMeeting(ctx context.Context, meetingID string) ([]store.Recording, error) {
	return s.listRecordings(ctx, "recordings of meeting", "WHERE meeting_id = $1", meetingID)
}

// RecordingsForAccount lists the recordings of the meetings the account
// hosts and those shared with it, newest first.
func (s *Store) RecordingsForAccount(ctx context.Context, accountID string) ([]store.Recording, error) {
	return s.listRecordings(ctx, "recordings for account",
		"WHERE meeting_id IN (SELECT id FROM meetings WHERE host_id = $1) "+
			"OR id IN (SELECT recording_id FROM recording_shares WHERE account_id = $1)", accountID)
}

// AllRecordings lists every recording, newest first.
func (s *Store) AllRecordings(ctx context.Context) ([]store.Recording, error) {
	return s.listRecordings(ctx, "all recordings", "")
}

// listRecordings opens the recordings matched by where, leaving out those
// whose meeting key is gone (nothing of them is readable).
func (s *Store) listRecordings(ctx context.Context, op, where string, args ...any) ([]store.Recording, error) {
	rows, err := s.pool.Query(ctx,
		"SELECT "+recordingColumns+" FROM recordings "+where+" ORDER BY started_at DESC, id COLLATE \"C\"", args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	sealedRows, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (sealed.Recording, error) { return scanRecording(r) })
	if err != nil {
		return nil, mapErr(op, err)
	}
	out := make([]store.Recording, 0, len(sealedRows))
	for _, sr := range sealedRows {
		r, err := sr.Open(ctx, s.keys)
		if sealed.IsShredded(err) {
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
	ids, err := s.ids(ctx, "SELECT id FROM recordings WHERE state = $1 ORDER BY id COLLATE \"C\"", store.RecordingActive)
	return ids, mapErr("active recordings", err)
}

// DeleteRecordings deletes recordings with their tracks (and so their
// sealed content keys) and shares. The caller removes the files.
func (s *Store) DeleteRecordings(ctx context.Context, ids []string) (int, error) {
	return s.execCount(ctx, "delete recordings", "DELETE FROM recordings WHERE id = ANY($1)", ids)
}

// RecordingIDsEndedBefore lists the recordings whose end (or start, for
// one never marked ended) is before their meeting's cut-off in cutoffs,
// or before before for meetings without one.
func (s *Store) RecordingIDsEndedBefore(ctx context.Context, before time.Time, cutoffs map[string]time.Time) ([]string, error) {
	meetings, limits := cutoffArrays(cutoffs)
	ids, err := s.ids(ctx, "SELECT r.id FROM recordings r "+
		"LEFT JOIN unnest($2::text[], $3::bigint[]) AS c (meeting_id, cutoff) ON c.meeting_id = r.meeting_id "+
		"WHERE (CASE WHEN r.ended_at > 0 THEN r.ended_at ELSE r.started_at END) < coalesce(c.cutoff, $1) "+
		"ORDER BY r.id COLLATE \"C\"", toDB(before), meetings, limits)
	return ids, mapErr("recordings ended before", err)
}

// RecordingsExisting returns those of ids that have a row.
func (s *Store) RecordingsExisting(ctx context.Context, ids []string) (map[string]bool, error) {
	return s.existing(ctx, "recordings existing", "SELECT id FROM recordings WHERE id = ANY($1)", ids)
}

func (s *Store) existing(ctx context.Context, op, query string, ids []string) (map[string]bool, error) {
	found, err := s.ids(ctx, query, ids)
	if err != nil {
		return nil, mapErr(op, err)
	}
	out := map[string]bool{}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}

// ShareRecording shares a recording with an account; a repeat keeps the
// first share.
func (s *Store) ShareRecording(ctx context.Context, sh store.RecordingShare) error {
	_, err := s.pool.Exec(ctx, "INSERT INTO recording_shares (recording_id, account_id, shared_by, shared_at) "+
		"VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING", sh.RecordingID, sh.AccountID, sh.SharedBy, toDB(sh.SharedAt))
	return mapErr("share recording", err)
}

// UnshareRecording withdraws a share; withdrawing none is not an error.
func (s *Store) UnshareRecording(ctx context.Context, recordingID, accountID string) error {
	_, err := s.execCount(ctx, "unshare recording", "DELETE FROM recording_shares WHERE recording_id = $1 AND account_id = $2",
		recordingID, accountID)
	return err
}

// RecordingShares lists a recording's shares, oldest first.
func (s *Store) RecordingShares(ctx context.Context, recordingID string) ([]store.RecordingShare, error) {
	rows, err := s.pool.Query(ctx, "SELECT recording_id, account_id, shared_by, shared_at FROM recording_shares "+
		"WHERE recording_id = $1 ORDER BY shared_at, account_id COLLATE \"C\"", recordingID)
	if err != nil {
		return nil, mapErr("recording shares", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.RecordingShare, error) {
		var (
			sh store.RecordingShare
			at int64
		)
		err := r.Scan(&sh.RecordingID, &sh.AccountID, &sh.SharedBy, &at)
		sh.SharedAt = fromDB(at)
		return sh, err
	})
	return nilIfNone(out), mapErr("recording shares", err)
}

// EraseRecordingSubject deletes the shares to the subject and replaces it
// by store.ErasedSubject where it started or shared a recording.
func (s *Store) EraseRecordingSubject(ctx context.Context, subjectID string) (store.RecordingErasure, error) {
	var out store.RecordingErasure
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM recording_shares WHERE account_id = $1", subjectID)
		if err != nil {
			return err
		}
		out.Shares = int(tag.RowsAffected())
		started, err := tx.Exec(ctx, "UPDATE recordings SET started_by = $1 WHERE started_by = $2", store.ErasedSubject, subjectID)
		if err != nil {
			return err
		}
		shared, err := tx.Exec(ctx, "UPDATE recording_shares SET shared_by = $1 WHERE shared_by = $2", store.ErasedSubject, subjectID)
		out.Pseudonymised = int(started.RowsAffected() + shared.RowsAffected())
		return err
	})
	if err != nil {
		return store.RecordingErasure{}, mapErr("erase recording subject", err)
	}
	return out, nil
}
