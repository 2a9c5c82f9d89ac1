// Package recordings is the catalog of meeting recordings (docs/privacy.md,
// "Recordings"): which recordings and track files exist, where their
// sealed files live and under which key (it implements recorder.Catalog),
// who may play, download, share and delete them, the composite export
// (ffmpeg), and what export, erasure and retention do to them. The
// recorder writes the files; this package never sees media packets.
package recordings

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// Errors callers tell apart (errors.Is).
var (
	// ErrDisabled: the organisation does not allow recording (config
	// recording = false).
	ErrDisabled = errors.New("recordings: recording is turned off on this server")
	// ErrTooMany: max_recordings recordings are already running.
	ErrTooMany = errors.New("recordings: the server is already running as many recordings as it allows")
	// ErrActive: the meeting is already being recorded, or the recording
	// is still running (delete and export need it ended).
	ErrActive = errors.New("recordings: the recording is still running")
	// ErrNotActive: a track was added to a recording that has ended.
	ErrNotActive = errors.New("recordings: the recording is not running")
	// ErrNoSpace: the data directory's file system is below
	// recording_min_free_mb.
	ErrNoSpace = errors.New("recordings: not enough free disk space to record")
	// ErrForbidden: the viewer may not do this with the recording (it
	// exists). Callers answer as for a missing one.
	ErrForbidden = errors.New("recordings: not allowed")
	// ErrNoFFmpeg: the composite export needs ffmpeg, which is not
	// installed.
	ErrNoFFmpeg = errors.New("recordings: ffmpeg is not installed")
	// ErrBusy: a composite of the recording is already being made.
	ErrBusy = errors.New("recordings: a composite of this recording is already being made")
)

// Reader is a sealed file opened for reading in plain text, at any
// offset (*recorder.Reader).
type Reader interface {
	io.ReaderAt
	// Size is the plain-text size.
	Size() int64
	// Complete reports whether the file was closed properly; a cut file
	// reads up to where it was cut.
	Complete() bool
}

// OpenFunc opens a sealed file of size bytes whose chunks are bound to id:
// recorder.Open, adapted to return the interface.
type OpenFunc func(r io.ReaderAt, size int64, key []byte, id string) (Reader, error)

// SealWriter seals what is written to it (recorder's sealing writer):
// Flush seals what is buffered, Close seals the rest and marks the end.
// Closing it does not close the underlying writer.
type SealWriter interface {
	io.Writer
	Flush() error
	Close() error
}

// SealFunc starts a sealed file under key, bound to id:
// recorder.NewSealWriter, adapted.
type SealFunc func(w io.Writer, key []byte, id string) (SealWriter, error)

// Names gives a participant's display name in a live meeting, for the
// player ("" when unknown).
type Names interface {
	DisplayName(ctx context.Context, meetingID, participantID string) string
}

// Store keeps the catalog (sqlite.Store implements it).
type Store interface {
	store.RecordingStore
	MeetingByID(ctx context.Context, id string) (store.Meeting, error)
	UserByID(ctx context.Context, id string) (store.User, error)
}

// Options configure a Service.
type Options struct {
	// Dir holds the sealed files (DATA/recordings); created 0700.
	Dir   string
	Store Store
	// Enabled is config recording: false refuses Begin.
	Enabled bool
	// Max is config max_recordings, the recordings running at once
	// (DefaultMax when 0).
	Max int
	// MinFree is config recording_min_free_mb in bytes: Begin, AddTrack
	// and the composite refuse below it.
	MinFree uint64
	// Open reads sealed files (RecorderOpen when nil); Seal writes them
	// (RecorderSeal when nil).
	Open OpenFunc
	Seal SealFunc
	// FFmpeg is ffmpeg's path; "" looks it up in PATH, "off" disables it.
	FFmpeg string
	// Names is optional: the owner's name is then taken from the live
	// meeting, otherwise from the account of a signed-in owner.
	Names  Names
	Logger *slog.Logger
	// Now is the clock (time.Now).
	Now func() time.Time
	// FreeSpace reports the space left on dir's file system (statfs by
	// default); tests replace it.
	FreeSpace func(dir string) (uint64, error)
}

// DefaultMax is how many recordings run at once unless configured.
const DefaultMax = 2

// Service is the recordings catalog. It is safe for concurrent use.
type Service struct {
	opts   Options
	ffmpeg string // "" when not available

	mu        sync.Mutex
	active    map[string]string // running recording → meeting
	exporting map[string]bool   // recordings whose composite is being made

	ctx    context.Context // cancelled by Close: stops composites
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New checks opts, creates the directory and finds ffmpeg.
func New(opts Options) (*Service, error) {
	if opts.Dir == "" || opts.Store == nil {
		return nil, errors.New("recordings: Dir and Store are required")
	}
	if opts.Max <= 0 {
		opts.Max = DefaultMax
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
	if opts.Open == nil {
		opts.Open = RecorderOpen
	}
	if opts.Seal == nil {
		opts.Seal = RecorderSeal
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("recordings: create %s: %w", opts.Dir, err)
	}
	s := &Service{opts: opts, active: map[string]string{}, exporting: map[string]bool{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.ffmpeg = findFFmpeg(opts.FFmpeg)
	return s, nil
}

// findFFmpeg returns the path of the configured ffmpeg, or the one in
// PATH; "" when there is none or it is turned off.
func findFFmpeg(configured string) string {
	switch configured {
	case "off":
		return ""
	case "":
		configured = "ffmpeg"
	}
	p, err := exec.LookPath(configured)
	if err != nil {
		return ""
	}
	return p
}

// Close stops composites being made and waits for them.
func (s *Service) Close() error {
	s.cancel()
	s.wg.Wait()
	return nil
}

// FFmpeg says whether composites can be made, in words for the page.
func (s *Service) FFmpeg() (ok bool, what string) {
	if s.ffmpeg == "" {
		return false, "ffmpeg is not installed on the server: composites cannot be made."
	}
	return true, "Composites are made with " + s.ffmpeg + "."
}

// Recording is a recording as Begin takes it: MeetingID, StartedBy and
// Purpose; the rest is filled in.
type Recording = store.Recording

// Begin starts a recording of the meeting and returns its ID. It refuses
// with ErrDisabled, ErrActive (the meeting is being recorded), ErrTooMany
// (max_recordings running) or ErrNoSpace.
func (s *Service) Begin(ctx context.Context, r Recording) (string, error) {
	if !s.opts.Enabled {
		return "", ErrDisabled
	}
	if err := s.checkSpace(); err != nil {
		return "", err
	}
	id, err := newID("r_")
	if err != nil {
		return "", err
	}
	if err := s.reserve(id, r.MeetingID); err != nil {
		return "", err
	}
	r.ID, r.State, r.StartedAt, r.EndedAt, r.EndReason = id, store.RecordingActive, s.opts.Now().UTC(), time.Time{}, ""
	if err := s.opts.Store.AddRecording(ctx, r); err != nil {
		s.release(id)
		return "", fmt.Errorf("recordings: begin: %w", err)
	}
	if err := os.MkdirAll(s.dir(id), 0o700); err != nil {
		s.release(id)
		return "", errors.Join(fmt.Errorf("recordings: begin: %w", err), s.opts.Store.EndRecording(ctx, id, s.opts.Now(), "failed"))
	}
	return id, nil
}

// reserve takes a slot for a recording of meetingID.
func (s *Service) reserve(id, meetingID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.active {
		if m == meetingID {
			return fmt.Errorf("%w: this meeting is already being recorded", ErrActive)
		}
	}
	if len(s.active) >= s.opts.Max {
		return fmt.Errorf("%w (%d)", ErrTooMany, s.opts.Max)
	}
	s.active[id] = meetingID
	return nil
}

func (s *Service) release(id string) {
	s.mu.Lock()
	delete(s.active, id)
	s.mu.Unlock()
}

func (s *Service) isActive(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.active[id]
	return ok
}

// End ends a recording (reason e.g. "stopped", "meeting_ended",
// "disk_full") and frees its slot; ending it again changes nothing.
func (s *Service) End(ctx context.Context, id, reason string) error {
	defer s.release(id)
	if err := s.opts.Store.EndRecording(ctx, id, s.opts.Now().UTC(), reason); err != nil {
		return fmt.Errorf("recordings: end: %w", err)
	}
	return nil
}

// Recover ends the recordings a previous run left marked running (it
// stopped without ending them), as "interrupted"; call it at start,
// before recording. Their files play up to where they were cut.
func (s *Service) Recover(ctx context.Context) (int, error) {
	ids, err := s.opts.Store.ActiveRecordingIDs(ctx)
	if err != nil {
		return 0, fmt.Errorf("recordings: recover: %w", err)
	}
	n := 0
	for _, id := range ids {
		if s.isActive(id) {
			continue
		}
		if err := s.opts.Store.EndRecording(ctx, id, s.opts.Now().UTC(), "interrupted"); err != nil {
			return n, fmt.Errorf("recordings: recover: %w", err)
		}
		n++
	}
	return n, nil
}

// checkSpace refuses with ErrNoSpace below MinFree. Where free space
// cannot be read (not Linux), writing finds out.
func (s *Service) checkSpace() error {
	if s.opts.MinFree == 0 {
		return nil
	}
	free, err := s.opts.FreeSpace(s.opts.Dir)
	if err == nil && free < s.opts.MinFree {
		return fmt.Errorf("%w: %d MiB free, %d MiB required", ErrNoSpace, free>>20, s.opts.MinFree>>20)
	}
	return nil
}

// idAlphabet is Crockford-like base 32 in lower case, as other IDs.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// newID returns prefix and 20 random base-32 characters (100 bits).
func newID(prefix string) (string, error) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("recordings: random id: %w", err)
	}
	var sb strings.Builder
	sb.WriteString(prefix)
	for _, c := range b {
		sb.WriteByte(idAlphabet[c&31])
	}
	return sb.String(), nil
}

// validID reports whether id is prefix and 20 base-32 characters: IDs
// from requests become paths only after this check.
func validID(prefix, id string) bool {
	if len(id) != len(prefix)+20 || !strings.HasPrefix(id, prefix) {
		return false
	}
	for _, c := range []byte(id[len(prefix):]) {
		if strings.IndexByte(idAlphabet, c) < 0 {
			return false
		}
	}
	return true
}

// ValidRecordingID and ValidTrackID check IDs from requests.
func ValidRecordingID(id string) bool { return validID("r_", id) }
func ValidTrackID(id string) bool     { return validID("t_", id) }

// dir is where a recording's files live; path is one track's file.
func (s *Service) dir(recordingID string) string { return filepath.Join(s.opts.Dir, recordingID) }
func (s *Service) path(recordingID, trackID string) string {
	return filepath.Join(s.dir(recordingID), trackID+".sealed")
}
