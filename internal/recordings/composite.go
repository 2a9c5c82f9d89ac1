package recordings

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// The composite export: one WebM of a recording's tracks, video laid out
// in a grid and audio mixed, each track at its offset, made by ffmpeg.
// ffmpeg reads each track decrypted from a pipe (pipe:3, pipe:4 …) and
// writes the result to its stdout, which is sealed on its way to disk:
// no plain text ever reaches a file. The result is a track of kind
// composite, listed with the recording and deleted with it, and with
// anyone in it who is erased.

// compositeTimeout bounds one ffmpeg run.
const compositeTimeout = 6 * time.Hour

// Cell size of one video in the grid.
const cellW, cellH = 640, 360

// StartComposite checks that v manages the recording, that it has ended
// and that ffmpeg is there, then makes the composite in the background;
// Summary.Exporting says it is being made, and it is listed when done.
func (s *Service) StartComposite(ctx context.Context, v Viewer, recordingID string) error {
	sum, err := s.prepareComposite(ctx, v, recordingID)
	if err != nil {
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.doneExporting(recordingID)
		ctx, cancel := context.WithTimeout(s.ctx, compositeTimeout)
		defer cancel()
		if _, err := s.makeComposite(ctx, sum); err != nil {
			s.opts.Logger.Error("recording composite failed", "recording", recordingID, "err", err)
		}
	}()
	return nil
}

// Composite makes the composite and waits for it.
func (s *Service) Composite(ctx context.Context, v Viewer, recordingID string) (store.RecordingTrack, error) {
	sum, err := s.prepareComposite(ctx, v, recordingID)
	if err != nil {
		return store.RecordingTrack{}, err
	}
	defer s.doneExporting(recordingID)
	return s.makeComposite(ctx, sum)
}

// prepareComposite checks and marks the recording as exporting.
func (s *Service) prepareComposite(ctx context.Context, v Viewer, recordingID string) (Summary, error) {
	sum, err := s.manage(ctx, v, recordingID)
	if err != nil {
		return Summary{}, err
	}
	if ok, _ := s.FFmpeg(); !ok {
		return Summary{}, ErrNoFFmpeg
	}
	if s.isActive(recordingID) || sum.State == store.RecordingActive {
		return Summary{}, ErrActive
	}
	if err := s.checkSpace(); err != nil {
		return Summary{}, err
	}
	if len(inputs(sum.Tracks)) == 0 {
		return Summary{}, fmt.Errorf("recordings: %s has no tracks to put together: %w", recordingID, store.ErrNotFound)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exporting[recordingID] {
		return Summary{}, ErrBusy
	}
	s.exporting[recordingID] = true
	return sum, nil
}

func (s *Service) doneExporting(id string) {
	s.mu.Lock()
	delete(s.exporting, id)
	s.mu.Unlock()
}

// inputs are the recorded tracks (not earlier composites), by offset.
func inputs(ts []store.RecordingTrack) []store.RecordingTrack {
	var out []store.RecordingTrack
	for _, t := range ts {
		if t.Kind == store.TrackAudio || t.Kind == store.TrackVideo {
			out = append(out, t)
		}
	}
	return out
}

// makeComposite runs ffmpeg and stores the result.
func (s *Service) makeComposite(ctx context.Context, sum Summary) (store.RecordingTrack, error) {
	var ins []store.RecordingTrack
	for _, t := range inputs(sum.Tracks) {
		full, err := s.opts.Store.RecordingTrack(ctx, sum.ID, t.ID) // with its key
		if err != nil {
			return store.RecordingTrack{}, fmt.Errorf("recordings: composite: %w", err)
		}
		ins = append(ins, full)
	}
	id, err := newID("t_")
	if err != nil {
		return store.RecordingTrack{}, err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return store.RecordingTrack{}, fmt.Errorf("recordings: composite key: %w", err)
	}
	out := store.RecordingTrack{ID: id, RecordingID: sum.ID, Source: store.TrackComposite, Kind: store.TrackComposite,
		Key: key, Complete: true, Finished: true, CreatedAt: s.opts.Now().UTC()}
	out.Codec, out.Duration, out.Subjects = describe(ins)
	path := s.path(sum.ID, id)
	size, err := s.runFFmpeg(ctx, ins, path, key, id)
	if err != nil {
		s.removeFile(sum.ID, id)
		return store.RecordingTrack{}, err
	}
	out.Bytes = size
	if err := s.opts.Store.AddRecordingTrack(ctx, out); err != nil {
		s.removeFile(sum.ID, id)
		return store.RecordingTrack{}, fmt.Errorf("recordings: composite: %w", err)
	}
	out.Key = nil
	return out, nil
}

// describe gives the composite's codecs, its length and the people in it.
func describe(ins []store.RecordingTrack) (codec string, length time.Duration, subjects []string) {
	var v, a bool
	for _, t := range ins {
		v, a = v || t.Kind == store.TrackVideo, a || t.Kind == store.TrackAudio
		length = max(length, t.Offset+t.Duration)
		if t.Subject != "" && !slices.Contains(subjects, t.Subject) {
			subjects = append(subjects, t.Subject)
		}
	}
	switch {
	case v && a:
		codec = "VP8+opus"
	case v:
		codec = "VP8"
	default:
		codec = "opus"
	}
	return codec, length, subjects
}

// runFFmpeg feeds the decrypted inputs to ffmpeg through pipes and seals
// its output into path; it returns the sealed size.
func (s *Service) runFFmpeg(ctx context.Context, ins []store.RecordingTrack, path string, key []byte, id string) (int64, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, fmt.Errorf("recordings: composite: %w", err)
	}
	defer f.Close()
	sealed, err := s.opts.Seal(f, key, id)
	if err != nil {
		return 0, fmt.Errorf("recordings: composite: seal: %w", err)
	}
	cmd := exec.CommandContext(ctx, s.ffmpeg, ffmpegArgs(ins)...)
	stderr := &limitedBuffer{max: 4096}
	cmd.Stderr = stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, fmt.Errorf("recordings: composite: %w", err)
	}
	feeds, err := s.feed(cmd, ins)
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		feeds.abort()
		return 0, fmt.Errorf("recordings: start ffmpeg: %w", err)
	}
	feeds.start()
	_, copyErr := io.Copy(sealed, stdout)
	waitErr := cmd.Wait()
	feedErr := feeds.wait()
	if waitErr != nil {
		return 0, fmt.Errorf("recordings: ffmpeg: %w: %s", waitErr, strings.TrimSpace(stderr.String()))
	}
	if err := errors.Join(copyErr, feedErr, sealed.Close(), f.Sync()); err != nil {
		return 0, fmt.Errorf("recordings: composite: %w", err)
	}
	info, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("recordings: composite: %w", err)
	}
	return info.Size(), nil
}

// feeds are the goroutines copying decrypted tracks into ffmpeg's pipes.
type feeds struct {
	readers []*os.File // ffmpeg's ends, closed here once it has them
	writers []*os.File
	tracks  []*Playback
	wg      sync.WaitGroup
	mu      sync.Mutex
	errs    []error
}

// feed opens every input and gives ffmpeg the read end of a pipe per
// input, as file descriptors 3, 4 …
func (s *Service) feed(cmd *exec.Cmd, ins []store.RecordingTrack) (*feeds, error) {
	fd := &feeds{}
	for _, t := range ins {
		p, err := s.openTrack(t)
		if err != nil {
			fd.abort()
			return nil, err
		}
		fd.tracks = append(fd.tracks, p)
		r, w, err := os.Pipe()
		if err != nil {
			fd.abort()
			return nil, fmt.Errorf("recordings: composite: %w", err)
		}
		fd.readers, fd.writers = append(fd.readers, r), append(fd.writers, w)
	}
	cmd.ExtraFiles = fd.readers
	return fd, nil
}

func (fd *feeds) start() {
	for _, r := range fd.readers {
		r.Close() // ffmpeg has its own copy: it alone must hold the read ends
	}
	for i, w := range fd.writers {
		fd.wg.Add(1)
		go func() {
			defer fd.wg.Done()
			_, err := io.Copy(w, fd.tracks[i].Content())
			// ffmpeg may stop reading an input early (EPIPE): its exit
			// status tells whether the composite is good.
			if err != nil && !errors.Is(err, os.ErrClosed) && !isBrokenPipe(err) {
				fd.mu.Lock()
				fd.errs = append(fd.errs, err)
				fd.mu.Unlock()
			}
			w.Close()
		}()
	}
}

func (fd *feeds) wait() error {
	fd.wg.Wait()
	for _, p := range fd.tracks {
		p.Close()
	}
	return errors.Join(fd.errs...)
}

// abort closes everything when ffmpeg did not start.
func (fd *feeds) abort() {
	for _, f := range slices.Concat(fd.readers, fd.writers) {
		f.Close()
	}
	for _, p := range fd.tracks {
		p.Close()
	}
}

func isBrokenPipe(err error) bool { return strings.Contains(err.Error(), "broken pipe") }

// ffmpegArgs builds the command line: one piped input per track, a grid
// of the videos (each padded by its offset) and a mix of the audio
// (each delayed by its offset), to WebM (VP8, Opus) on stdout.
func ffmpegArgs(ins []store.RecordingTrack) []string {
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error"}
	for i := range ins {
		args = append(args, "-i", "pipe:"+strconv.Itoa(3+i))
	}
	var graph, videos, audios []string
	for i, t := range ins {
		secs := strconv.FormatFloat(t.Offset.Seconds(), 'f', 3, 64)
		if t.Kind == store.TrackVideo {
			label := fmt.Sprintf("[v%d]", len(videos))
			graph = append(graph, fmt.Sprintf("[%d:v]setpts=PTS-STARTPTS,scale=%d:%d:force_original_aspect_ratio=decrease,"+
				"pad=%d:%d:(ow-iw)/2:(oh-ih)/2,setsar=1,fps=15,tpad=start_duration=%s:color=black%s",
				i, cellW, cellH, cellW, cellH, secs, label))
			videos = append(videos, label)
		} else {
			label := fmt.Sprintf("[a%d]", len(audios))
			graph = append(graph, fmt.Sprintf("[%d:a]asetpts=PTS-STARTPTS,adelay=%d:all=1%s", i, t.Offset.Milliseconds(), label))
			audios = append(audios, label)
		}
	}
	if len(videos) > 0 {
		graph = append(graph, grid(videos))
	}
	if len(audios) > 0 {
		if len(audios) == 1 {
			graph = append(graph, audios[0]+"anull[aout]")
		} else {
			graph = append(graph, fmt.Sprintf("%samix=inputs=%d:duration=longest:dropout_transition=0[aout]", strings.Join(audios, ""), len(audios)))
		}
	}
	args = append(args, "-filter_complex", strings.Join(graph, ";"))
	if len(videos) > 0 {
		args = append(args, "-map", "[vout]", "-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", "1500k")
	}
	if len(audios) > 0 {
		args = append(args, "-map", "[aout]", "-c:a", "libopus", "-b:a", "96k")
	}
	return append(args, "-f", "webm", "pipe:1")
}

// grid lays the videos out in rows of ceil(sqrt(n)).
func grid(videos []string) string {
	if len(videos) == 1 {
		return videos[0] + "null[vout]"
	}
	cols := int(math.Ceil(math.Sqrt(float64(len(videos)))))
	layout := make([]string, len(videos))
	for i := range videos {
		layout[i] = fmt.Sprintf("%d_%d", (i%cols)*cellW, (i/cols)*cellH)
	}
	return fmt.Sprintf("%sxstack=inputs=%d:layout=%s:fill=black[vout]", strings.Join(videos, ""), len(videos), strings.Join(layout, "|"))
}

// limitedBuffer keeps the first max bytes of ffmpeg's complaints.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
