package recordings

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// What the recording privacy kind (privacy.RecordingKind) and retention
// call: export, erasure and expiry, which must reach both the rows (with
// the content keys) and the files.

// orphanGrace is how old a file or directory without a row must be before
// the sweep removes it: Begin makes the directory just after the row, a
// composite writes its file before its row.
const orphanGrace = time.Hour

// DeleteRecordings deletes recordings: first their rows, which hold the
// tracks' sealed content keys (the files are unreadable from then on),
// then their files.
func (s *Service) DeleteRecordings(ctx context.Context, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	n, err := s.opts.Store.DeleteRecordings(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("recordings: delete: %w", err)
	}
	for _, id := range ids {
		s.removeDir(id)
	}
	return n, nil
}

// DeleteTracks deletes tracks, rows then files.
func (s *Service) DeleteTracks(ctx context.Context, tracks []store.RecordingTrack) (int, error) {
	if len(tracks) == 0 {
		return 0, nil
	}
	ids := make([]string, len(tracks))
	for i, t := range tracks {
		ids[i] = t.ID
	}
	n, err := s.opts.Store.DeleteRecordingTracks(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("recordings: delete tracks: %w", err)
	}
	for _, t := range tracks {
		s.removeFile(t.RecordingID, t.ID)
	}
	return n, nil
}

// removeDir and removeFile log failures: the rows are gone, the content
// unreadable either way, and the orphan sweep tries again.
func (s *Service) removeDir(recordingID string) {
	if !ValidRecordingID(recordingID) {
		return
	}
	if err := os.RemoveAll(s.dir(recordingID)); err != nil {
		s.opts.Logger.Error("remove recording files", "recording", recordingID, "err", err)
	}
}

func (s *Service) removeFile(recordingID, trackID string) {
	if !ValidRecordingID(recordingID) || !ValidTrackID(trackID) {
		return
	}
	if err := os.Remove(s.path(recordingID, trackID)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.opts.Logger.Error("remove recording track file", "track", trackID, "err", err)
	}
}

// TracksOfSubject lists a subject's own tracks and the composites that
// contain them, with their keys, for an export.
func (s *Service) TracksOfSubject(ctx context.Context, subjectID string) ([]store.RecordingTrack, error) {
	ts, err := s.opts.Store.RecordingTracksOfSubject(ctx, subjectID)
	if err != nil {
		return nil, fmt.Errorf("recordings: tracks of subject: %w", err)
	}
	return ts, nil
}

// ReadTrack returns a track's whole plain text, for an export.
func (s *Service) ReadTrack(_ context.Context, t store.RecordingTrack) ([]byte, error) {
	p, err := s.openTrack(t)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	b, err := io.ReadAll(p.Content())
	if err != nil {
		return nil, fmt.Errorf("recordings: read %s: %w", t.ID, err)
	}
	return b, nil
}

// EraseSubject deletes the subject's tracks and every composite that
// contains them (a composite cannot be cut: it goes whole), deletes the
// shares to the subject, and shows them as "erased" where they started or
// shared a recording, which stays for the others in it.
func (s *Service) EraseSubject(ctx context.Context, subjectID string) (store.RecordingErasure, error) {
	ts, err := s.TracksOfSubject(ctx, subjectID)
	if err != nil {
		return store.RecordingErasure{}, err
	}
	if _, err := s.DeleteTracks(ctx, ts); err != nil {
		return store.RecordingErasure{}, err
	}
	out, err := s.opts.Store.EraseRecordingSubject(ctx, subjectID)
	for _, t := range ts {
		if t.Kind == store.TrackComposite {
			out.Composites++
		} else {
			out.Tracks++
		}
	}
	if err != nil {
		return out, fmt.Errorf("recordings: erase: %w", err)
	}
	return out, nil
}

// ExpireRecordings deletes the recordings that ended before before (their
// meeting's own cut-off for the meetings in cutoffs), except those
// running, and then removes files left without a row (a deleted
// meeting's recordings, whose rows went with it).
func (s *Service) ExpireRecordings(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error) {
	ids, err := s.opts.Store.RecordingIDsEndedBefore(ctx, before, cutoffs)
	if err != nil {
		return 0, fmt.Errorf("recordings: expire: %w", err)
	}
	expired := ids[:0]
	for _, id := range ids {
		// A recording running longer than its period is kept until it
		// ends: deleting its files under the recorder would only lose
		// them, not the data already written.
		if !s.isActive(id) {
			expired = append(expired, id)
		}
	}
	n, err := s.DeleteRecordings(ctx, expired)
	if err != nil {
		return 0, err
	}
	return n, s.sweepOrphans(ctx)
}

// sweepOrphans removes recording directories without a row and track
// files without a row, once older than orphanGrace.
func (s *Service) sweepOrphans(ctx context.Context) error {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return fmt.Errorf("recordings: sweep: %w", err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() && ValidRecordingID(e.Name()) && s.old(filepath.Join(s.opts.Dir, e.Name())) {
			dirs = append(dirs, e.Name())
		}
	}
	if len(dirs) == 0 {
		return nil
	}
	exist, err := s.opts.Store.RecordingsExisting(ctx, dirs)
	if err != nil {
		return fmt.Errorf("recordings: sweep: %w", err)
	}
	for _, id := range dirs {
		if !exist[id] {
			s.opts.Logger.InfoContext(ctx, "removed recording files without a row", "recording", id)
			s.removeDir(id)
			continue
		}
		if err := s.sweepTracks(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// sweepTracks removes the files of a recording whose track rows are gone
// (an erased subject's, when removing the file failed).
func (s *Service) sweepTracks(ctx context.Context, recordingID string) error {
	entries, err := os.ReadDir(s.dir(recordingID))
	if err != nil {
		return fmt.Errorf("recordings: sweep: %w", err)
	}
	var ids []string
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".sealed")
		if ok && ValidTrackID(id) && s.old(s.path(recordingID, id)) {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	exist, err := s.opts.Store.RecordingTracksExisting(ctx, ids)
	if err != nil {
		return fmt.Errorf("recordings: sweep: %w", err)
	}
	for _, id := range ids {
		if !exist[id] {
			s.removeFile(recordingID, id)
		}
	}
	return nil
}

func (s *Service) old(path string) bool {
	info, err := os.Lstat(path)
	return err == nil && info.ModTime().Before(s.opts.Now().Add(-orphanGrace))
}
