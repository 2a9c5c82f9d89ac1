// Package files is file sharing in meetings: participants share a file
// with everyone in the meeting, one person or a group; it is checked by
// its content against an allow-list, optionally scanned for malware by
// clamd, and stored encrypted from its first byte (stream.go). The HTTP
// side (http.go) uploads and downloads; the live meeting (signalling)
// authorises and announces through the Access interface it implements.
// See docs/privacy.md and docs/security.md, "Files".
package files

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
)

// DefaultMaxBytes is the size limit of one file unless configured.
const DefaultMaxBytes = 25 << 20

// Store keeps the files' rows (sqlite.Store implements it). Names and
// content keys are sealed by the store under the meeting's data key.
type Store interface {
	AddSharedFile(ctx context.Context, f store.SharedFile) error
	// SharedFile is store.ErrNotFound for a file of another meeting or
	// none, store.ErrErased (a NotFound) when the meeting's key is gone.
	SharedFile(ctx context.Context, meetingID, id string) (store.SharedFile, error)
	SharedFilesOfSubject(ctx context.Context, subjectID string) ([]store.SharedFile, error)
	SharedFilesOfMeeting(ctx context.Context, meetingID string) ([]store.SharedFile, error)
	SharedFileIDsByUploader(ctx context.Context, subjectID string) ([]string, error)
	EraseFileRecipient(ctx context.Context, subjectID string) (int, error)
	SharedFileIDsCreatedBefore(ctx context.Context, before time.Time, cutoffs map[string]time.Time) ([]string, error)
	DeleteSharedFiles(ctx context.Context, ids []string) (int, error)
	SharedFilesExisting(ctx context.Context, ids []string) (map[string]bool, error)
}

// Recorder is the audit log (*audit.Log).
type Recorder interface {
	Append(ctx context.Context, ev audit.Event) (audit.Entry, error)
}

// Scanner checks content for malware while it streams in (ClamdScanner
// adapts a clamav.Client).
type Scanner interface {
	// Begin starts scanning one stream.
	Begin(ctx context.Context) (Scan, error)
	// String names the scanner for the admin page, e.g. "clamd at unix:/run/clamav/clamd.ctl".
	String() string
}

// Scan is one stream being scanned.
type Scan interface {
	io.Writer
	// Finish ends the stream and returns the name of the malware found,
	// "" when clean; an error (wrapping ErrScan) means no verdict.
	Finish() (found string, err error)
	// Close abandons the scan.
	Close() error
}

// Options configure a Service.
type Options struct {
	// Dir holds the encrypted content (DATA/files); created 0700.
	Dir   string
	Store Store
	// Scanner is nil when no scanner is configured: files are then stored
	// unscanned, and Scanning says so.
	Scanner Scanner
	// Audit records uploads, refusals and downloads; required.
	Audit Recorder
	// MaxBytes is the size limit of one file (DefaultMaxBytes).
	MaxBytes int64
	// Types is the allow-list of content types (DefaultTypes).
	Types []string
	// MinFree is what the data directory's file system must keep free
	// beyond an upload (config min_free_mb): SQLite needs room too.
	MinFree uint64
	Logger  *slog.Logger
	// Now is the clock (time.Now).
	Now func() time.Time
	// FreeSpace reports the space left on dir's file system (statfs by
	// default); tests replace it.
	FreeSpace func(dir string) (uint64, error)
}

// Service stores, reads and deletes shared files. It is safe for
// concurrent use.
type Service struct {
	opts Options

	mu       sync.Mutex
	reserved uint64 // disk space promised to uploads in progress
}

// New checks opts and creates the content directory.
func New(opts Options) (*Service, error) {
	if opts.Dir == "" || opts.Store == nil || opts.Audit == nil {
		return nil, errors.New("files: Dir, Store and Audit are required")
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if len(opts.Types) == 0 {
		opts.Types = DefaultTypes
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FreeSpace == nil {
		opts.FreeSpace = freeSpace
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("files: create %s: %w", opts.Dir, err)
	}
	return &Service{opts: opts}, nil
}

// MaxBytes is the size limit of one file.
func (s *Service) MaxBytes() int64 { return s.opts.MaxBytes }

// Scanning says whether uploads are scanned for malware, in words for the
// admin page.
func (s *Service) Scanning() (on bool, what string) {
	if s.opts.Scanner == nil {
		return false, "Shared files are not scanned for malware: no virus scanner is configured (clamd_socket)."
	}
	return true, "Shared files are scanned for malware by " + s.opts.Scanner.String() + " before they are offered."
}

// CheckScanner asks the configured scanner whether it answers, for a check
// at start or on the admin page; nil without a scanner, or when the
// scanner cannot be asked.
func (s *Service) CheckScanner(ctx context.Context) error {
	p, ok := s.opts.Scanner.(interface{ Ping(context.Context) error })
	if !ok {
		return nil
	}
	if err := p.Ping(ctx); err != nil {
		return fmt.Errorf("files: %s: %w", s.opts.Scanner, err)
	}
	return nil
}

// path is where a file's encrypted content lives.
func (s *Service) path(id string) string { return filepath.Join(s.opts.Dir, id+".enc") }

// Content opens f's content for reading in plain text. The reader fails
// with ErrCorrupt if the stored bytes were altered or cut; it must be
// closed.
func (s *Service) Content(f store.SharedFile) (io.ReadCloser, error) {
	if !ValidID(f.ID) {
		return nil, fmt.Errorf("files: bad file id")
	}
	fh, err := os.Open(s.path(f.ID))
	if err != nil {
		return nil, fmt.Errorf("files: open content: %w", err)
	}
	r, err := NewDecrypter(fh, f.Key, f.ID)
	if err != nil {
		fh.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{r, fh}, nil
}

// File returns the meeting's file id (store.ErrNotFound when there is
// none readable).
func (s *Service) File(ctx context.Context, meetingID, id string) (store.SharedFile, error) {
	if !ValidID(id) {
		return store.SharedFile{}, fmt.Errorf("files: %w", store.ErrNotFound)
	}
	f, err := s.opts.Store.SharedFile(ctx, meetingID, id)
	if err != nil {
		return store.SharedFile{}, fmt.Errorf("files: %w", err)
	}
	return f, nil
}

// reserve promises need bytes of disk to an upload, refusing with
// ErrNoSpace when the file system cannot hold them, the uploads already
// in progress and MinFree. The returned func gives the promise back.
func (s *Service) reserve(need uint64) (func(), error) {
	free, err := s.opts.FreeSpace(s.opts.Dir)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil && free < s.reserved+need+s.opts.MinFree {
		return nil, fmt.Errorf("%w: %d MiB free, %d MiB needed", ErrNoSpace, free>>20, (s.reserved+need+s.opts.MinFree)>>20)
	}
	// Where free space cannot be read (not Linux), writing finds out.
	s.reserved += need
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			s.reserved -= need
			s.mu.Unlock()
		})
	}, nil
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// removeContent deletes content files; a failure is logged, and the
// orphan sweep (Expire) tries again later. The rows are already gone, so
// the content is unreadable either way.
func (s *Service) removeContent(ids []string) {
	for _, id := range ids {
		if !ValidID(id) {
			continue
		}
		if err := os.Remove(s.path(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.opts.Logger.Error("remove shared file content", "file", id, "err", err)
		}
	}
}

// record appends an audit entry; a failure is logged, not returned: the
// upload or download it records has already happened.
func (s *Service) record(ctx context.Context, ev audit.Event) {
	if _, err := s.opts.Audit.Append(context.WithoutCancel(ctx), ev); err != nil {
		s.opts.Logger.ErrorContext(ctx, "record file access", "op", ev.Details["op"], "err", err)
	}
}

// auditMeeting keeps a meeting ID in an entry only when the log accepts it.
func auditMeeting(id string) string {
	if audit.ValidMeetingID(id) {
		return id
	}
	return ""
}

// auditActor is the participant, or "" when the log would refuse it.
func auditActor(id string) string {
	if audit.ValidSubject(id) {
		return id
	}
	return ""
}

func isTemp(name string) bool { return strings.HasPrefix(name, tempPrefix) }
