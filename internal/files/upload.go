package files

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
)

// Errors of an upload; nothing of the file is kept after any of them.
var (
	// ErrTooLarge: the file is over the size limit.
	ErrTooLarge = errors.New("file too large")
	// ErrEmpty: the body held nothing.
	ErrEmpty = errors.New("file is empty")
	// ErrNoSpace: the server's disk cannot hold the file, found before
	// accepting it or when the disk filled while storing it.
	ErrNoSpace = errors.New("not enough disk space")
	// ErrScan: the scanner gave no verdict (unreachable, timed out, or it
	// refused the stream); the file was not offered unscanned.
	ErrScan = errors.New("virus scan failed")
	// ErrBody: the upload stopped before its end (the client went away
	// or was too slow).
	ErrBody = errors.New("upload interrupted")
)

// InfectedError refuses a file the scanner found malware in.
type InfectedError struct{ Signature string }

func (e *InfectedError) Error() string {
	return "This file was refused: the virus scanner found " + e.Signature + "."
}

// tempPrefix names uploads in progress in the content directory; the
// sweep removes any a crash left behind.
const tempPrefix = ".upload-"

// Upload is one file to store.
type Upload struct {
	MeetingID string
	From      Participant
	// Name as the participant gave it; SafeName cleans it.
	Name string
	// To are the recipients, already checked (Access.Recipients); empty
	// shares with everyone in the meeting.
	To []store.FileRecipient
	// Body is the file's content. Length is its declared size, -1 when
	// unknown; either way the limit is enforced on what is read.
	Body   io.Reader
	Length int64
}

// Upload checks, scans, encrypts and stores a file, and returns its row.
// The content is encrypted as it is read and written to a temporary file
// in the content directory, and at the same time streamed to the scanner;
// only when the whole file has been read within the limit, passed the
// type checks and been found clean is it renamed into place and its row
// inserted. Any failure removes the temporary file: a half-written upload
// leaves nothing. Refusals for malware are recorded in the audit log.
func (s *Service) Upload(ctx context.Context, u Upload) (store.SharedFile, error) {
	if u.Length > s.opts.MaxBytes {
		return store.SharedFile{}, s.tooLarge()
	}
	size := u.Length
	if size < 0 {
		size = s.opts.MaxBytes
	}
	release, err := s.reserve(uint64(EncryptedSize(size)))
	if err != nil {
		return store.SharedFile{}, err
	}
	defer release()

	body := &limitReader{r: u.Body, max: s.opts.MaxBytes, tooLarge: s.tooLarge}
	head := make([]byte, SniffSize)
	n, err := io.ReadFull(body, head)
	switch {
	case errors.Is(err, io.EOF):
		return store.SharedFile{}, ErrEmpty
	case errors.Is(err, io.ErrUnexpectedEOF):
	case err != nil:
		return store.SharedFile{}, readErr(err)
	}
	head = head[:n]
	ct, err := s.checkType(head)
	if err != nil {
		return store.SharedFile{}, err
	}
	name, err := SafeName(u.Name, ct)
	if err != nil {
		return store.SharedFile{}, err
	}
	f := store.SharedFile{MeetingID: u.MeetingID, UploaderID: u.From.ID, UploaderUser: u.From.UserID, Name: name,
		Type: ct, To: u.To, Scan: store.ScanNone, Key: make([]byte, keySize)}
	if f.ID, err = newFileID(); err != nil {
		return store.SharedFile{}, err
	}
	if _, err := rand.Read(f.Key); err != nil {
		return store.SharedFile{}, fmt.Errorf("files: content key: %w", err)
	}
	if f.Size, err = s.receive(ctx, f, head, body); err != nil {
		return store.SharedFile{}, err
	}
	if s.opts.Scanner != nil {
		f.Scan = store.ScanClean
	}
	f.CreatedAt = s.opts.Now().UTC()
	if err := s.opts.Store.AddSharedFile(ctx, f); err != nil {
		s.removeContent([]string{f.ID})
		return store.SharedFile{}, fmt.Errorf("files: store: %w", err)
	}
	s.record(ctx, audit.Event{Action: audit.FileAccess, Actor: auditActor(u.From.ID), Meeting: auditMeeting(u.MeetingID),
		Outcome: audit.Success, Details: map[string]string{"op": "upload", "file": f.ID, "type": ct,
			"size": strconv.FormatInt(f.Size, 10), "recipients": recipientsDetail(f.To), "scan": f.Scan}})
	return f, nil
}

func recipientsDetail(to []store.FileRecipient) string {
	if len(to) == 0 {
		return "everyone"
	}
	return strconv.Itoa(len(to))
}

func (s *Service) tooLarge() error {
	return fmt.Errorf("%w: the limit is %s", ErrTooLarge, formatSize(s.opts.MaxBytes))
}

// checkType sniffs head and applies the allow-list.
func (s *Service) checkType(head []byte) (string, error) {
	ct, err := Sniff(head)
	if err == nil && !slices.Contains(s.opts.Types, ct) {
		err = fmt.Errorf("%w: %s", ErrType, typeName(ct))
	}
	if err != nil {
		return "", fmt.Errorf("%w. Allowed: %s", err, describeTypes(s.opts.Types))
	}
	return ct, nil
}

func typeName(ct string) string {
	if n, ok := typeNames[ct]; ok {
		return n
	}
	return ct
}

// receive streams the content (head, then the rest of body) through the
// checks into the encrypted temporary file and the scanner, and renames
// the file into place once everything passed. It returns the size.
func (s *Service) receive(ctx context.Context, f store.SharedFile, head []byte, body *limitReader) (size int64, err error) {
	var scan Scan
	if s.opts.Scanner != nil {
		if scan, err = s.opts.Scanner.Begin(ctx); err != nil {
			return 0, fmt.Errorf("%w: %w", ErrScan, err)
		}
		defer scan.Close()
	}
	tmp, err := os.CreateTemp(s.opts.Dir, tempPrefix+"*")
	if err != nil {
		return 0, diskErr(err)
	}
	committed := false
	defer func() {
		if !committed {
			tmp.Close()
			if rerr := os.Remove(tmp.Name()); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
				s.opts.Logger.Error("remove unfinished upload", "err", rerr)
			}
		}
	}()
	sink, err := newSink(tmp, f, scan)
	if err != nil {
		return 0, err
	}
	if err := sink.write(head); err != nil {
		return 0, err
	}
	buf := make([]byte, ChunkSize)
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			if err := sink.write(buf[:n]); err != nil {
				return 0, err
			}
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return 0, readErr(rerr)
		}
	}
	if err := sink.finish(); err != nil {
		return 0, err
	}
	if err := tmp.Sync(); err != nil {
		return 0, diskErr(err)
	}
	if err := tmp.Close(); err != nil {
		return 0, diskErr(err)
	}
	if scan != nil {
		found, err := scan.Finish()
		if err != nil {
			return 0, err
		}
		if found != "" {
			found = cleanFinding(found)
			s.refused(ctx, f, found, body.n)
			return 0, &InfectedError{Signature: found}
		}
	}
	if err := os.Rename(tmp.Name(), s.path(f.ID)); err != nil {
		return 0, diskErr(err)
	}
	committed = true
	if err := syncDir(s.opts.Dir); err != nil {
		s.removeContent([]string{f.ID})
		return 0, diskErr(err)
	}
	return body.n, nil
}

// cleanFinding keeps a scanner's finding printable ASCII without "@" and
// short: it is shown to the uploader and goes into the audit log, which
// refuses control characters and "@".
func cleanFinding(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '@' {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) > 128 {
		s = s[:128]
	}
	return s
}

// refused records a file refused for malware: who, where, what was found.
func (s *Service) refused(ctx context.Context, f store.SharedFile, found string, size int64) {
	s.opts.Logger.WarnContext(ctx, "shared file refused: malware found", "signature", found)
	s.record(ctx, audit.Event{Action: audit.FileAccess, Actor: auditActor(f.UploaderID), Meeting: auditMeeting(f.MeetingID),
		Outcome: audit.Denied, Details: map[string]string{"op": "upload", "reason": "malware", "signature": found,
			"type": f.Type, "size": strconv.FormatInt(size, 10)}})
}

// sink is where content goes: the encrypter (onto the temporary file),
// the scanner, and for text the UTF-8 check. Errors say which failed.
type sink struct {
	bw   *bufio.Writer
	enc  *Encrypter
	scan Scan
	text *TextChecker
}

func newSink(tmp *os.File, f store.SharedFile, scan Scan) (*sink, error) {
	bw := bufio.NewWriterSize(tmp, 4*ChunkSize)
	enc, err := NewEncrypter(bw, f.Key, f.ID)
	if err != nil {
		return nil, diskErr(err)
	}
	s := &sink{bw: bw, enc: enc, scan: scan}
	if f.Type == TypeText {
		s.text = &TextChecker{}
	}
	return s, nil
}

func (s *sink) write(p []byte) error {
	if s.text != nil {
		if _, err := s.text.Write(p); err != nil {
			return err
		}
	}
	if _, err := s.enc.Write(p); err != nil {
		return diskErr(err)
	}
	if s.scan != nil {
		if _, err := s.scan.Write(p); err != nil {
			return fmt.Errorf("%w: %w", ErrScan, err)
		}
	}
	return nil
}

func (s *sink) finish() error {
	if s.text != nil {
		if err := s.text.Close(); err != nil {
			return err
		}
	}
	if err := s.enc.Close(); err != nil {
		return diskErr(err)
	}
	return diskErr(s.bw.Flush())
}

// diskErr marks a full disk (or quota) as ErrNoSpace.
func diskErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%w: the disk filled while storing the file: %w", ErrNoSpace, err)
	}
	return fmt.Errorf("files: store content: %w", err)
}

// readErr keeps ErrTooLarge and marks every other read failure ErrBody.
func readErr(err error) error {
	if errors.Is(err, ErrTooLarge) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrBody, err)
}

// limitReader fails with ErrTooLarge as soon as more than max bytes have
// been read: the byte over the limit is never passed on.
type limitReader struct {
	r        io.Reader
	max, n   int64
	tooLarge func() error
}

func (l *limitReader) Read(p []byte) (int, error) {
	if int64(len(p)) > l.max-l.n+1 {
		p = p[:l.max-l.n+1]
	}
	n, err := l.r.Read(p)
	if l.n+int64(n) > l.max {
		l.n = l.max
		return 0, l.tooLarge()
	}
	l.n += int64(n)
	return n, err
}

// formatSize writes a size in MiB or KiB for messages.
func formatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
