package files

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

// What the shared_file privacy kind (privacy.SharedFileKind) calls:
// export, erasure and expiry, which must reach both the rows and the
// content files.

// orphanGrace is how old a content file without a row, or an unfinished
// upload, must be before the sweep removes it: an upload renames its
// content into place just before inserting the row, and no upload lasts
// this long (uploadMaxDuration).
const orphanGrace = time.Hour

// SharedFilesOfSubject lists the files a subject uploaded or was sent by
// name (u_… by account, p_… by participant).
func (s *Service) SharedFilesOfSubject(ctx context.Context, subjectID string) ([]store.SharedFile, error) {
	fs, err := s.opts.Store.SharedFilesOfSubject(ctx, subjectID)
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	return fs, nil
}

// ReadSharedFile returns f's whole content in plain text, for an export.
func (s *Service) ReadSharedFile(_ context.Context, f store.SharedFile) ([]byte, error) {
	rc, err := s.Content(f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, f.Size+1))
	if err != nil {
		return nil, fmt.Errorf("files: read %s: %w", f.ID, err)
	}
	if int64(len(b)) != f.Size {
		return nil, fmt.Errorf("files: read %s: %w: %d bytes, the row says %d", f.ID, ErrCorrupt, len(b), f.Size)
	}
	return b, nil
}

// SharedFileIDsByUploader lists the files a subject uploaded.
func (s *Service) SharedFileIDsByUploader(ctx context.Context, subjectID string) ([]string, error) {
	ids, err := s.opts.Store.SharedFileIDsByUploader(ctx, subjectID)
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	return ids, nil
}

// EraseFileRecipient shows an erased subject as "erased" where they were
// sent a file; the file stays for its uploader.
func (s *Service) EraseFileRecipient(ctx context.Context, subjectID string) (int, error) {
	n, err := s.opts.Store.EraseFileRecipient(ctx, subjectID)
	if err != nil {
		return 0, fmt.Errorf("files: %w", err)
	}
	return n, nil
}

// DeleteSharedFiles deletes files: first their rows, which hold the
// sealed content keys (so the content is unreadable from then on), then
// the content files.
func (s *Service) DeleteSharedFiles(ctx context.Context, ids []string) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	n, err := s.opts.Store.DeleteSharedFiles(ctx, ids)
	if err != nil {
		return 0, fmt.Errorf("files: %w", err)
	}
	s.removeContent(ids)
	return n, nil
}

// ExpireSharedFiles deletes files created before before, or before their
// meeting's own cut-off for the meetings in cutoffs, and then removes
// content left without a row (a deleted meeting's files, whose rows went
// with it) and uploads a crash interrupted.
func (s *Service) ExpireSharedFiles(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error) {
	ids, err := s.opts.Store.SharedFileIDsCreatedBefore(ctx, before, cutoffs)
	if err != nil {
		return 0, fmt.Errorf("files: %w", err)
	}
	n, err := s.DeleteSharedFiles(ctx, ids)
	if err != nil {
		return 0, err
	}
	return n, s.sweepOrphans(ctx)
}

// sweepOrphans removes content files without a row and unfinished
// uploads, once older than orphanGrace.
func (s *Service) sweepOrphans(ctx context.Context) error {
	entries, err := os.ReadDir(s.opts.Dir)
	if err != nil {
		return fmt.Errorf("files: sweep: %w", err)
	}
	cutoff := s.opts.Now().Add(-orphanGrace)
	var candidates []string
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || !info.ModTime().Before(cutoff) {
			continue
		}
		name := e.Name()
		switch id := strings.TrimSuffix(name, ".enc"); {
		case isTemp(name):
			s.removeNamed(name)
		case id != name && ValidID(id):
			candidates = append(candidates, id)
		}
	}
	if len(candidates) == 0 {
		return nil
	}
	exist, err := s.opts.Store.SharedFilesExisting(ctx, candidates)
	if err != nil {
		return fmt.Errorf("files: sweep: %w", err)
	}
	var orphans []string
	for _, id := range candidates {
		if !exist[id] {
			orphans = append(orphans, id)
		}
	}
	if len(orphans) > 0 {
		s.opts.Logger.InfoContext(ctx, "removed shared file content without a row", "files", len(orphans))
		s.removeContent(orphans)
	}
	return nil
}

func (s *Service) removeNamed(name string) {
	if err := os.Remove(filepath.Join(s.opts.Dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		s.opts.Logger.Error("remove unfinished upload", "err", err)
	}
}

// SharedFilesOfMeeting lists a meeting's files, for an officer's review.
func (s *Service) SharedFilesOfMeeting(ctx context.Context, meetingID string) ([]store.SharedFile, error) {
	out, err := s.opts.Store.SharedFilesOfMeeting(ctx, meetingID)
	if err != nil {
		return nil, fmt.Errorf("files: of meeting: %w", err)
	}
	return out, nil
}
