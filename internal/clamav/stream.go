package clamav

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
)

// Result is clamd's verdict on a stream.
type Result struct {
	// Infected is set when a signature matched; Signature names it.
	Infected  bool
	Signature string
}

// Stream is one INSTREAM scan in progress: bytes written to it go to clamd
// as they come; Finish ends the stream and returns the verdict. A Stream
// is used by one goroutine.
type Stream struct {
	c    *Client
	ctx  context.Context
	cn   *conn
	lenb [4]byte
	sent int64
	err  error
	done bool
}

// Stream opens a connection and starts an INSTREAM scan. The connection is
// closed when ctx ends, failing the scan.
func (c *Client) Stream(ctx context.Context) (*Stream, error) {
	cn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	s := &Stream{c: c, ctx: ctx, cn: cn}
	if err := s.write([]byte("zINSTREAM\x00")); err != nil {
		cn.Close()
		return nil, err
	}
	return s, nil
}

func (s *Stream) write(b []byte) error {
	if err := s.cn.SetWriteDeadline(time.Now().Add(s.c.ioTimeout())); err != nil {
		return s.unavailable(err)
	}
	if _, err := s.cn.Write(b); err != nil {
		return s.unavailable(err)
	}
	return nil
}

// unavailable wraps a connection error, as the context's error when the
// connection was closed because the context ended.
func (s *Stream) unavailable(err error) error {
	return fmt.Errorf("%w: %w", ErrUnavailable, ctxErr(s.ctx, err))
}

// Write sends p to clamd in chunks. When clamd stops reading (it ends a
// stream over its StreamMaxLength with an error reply and closes), the
// error says what clamd said where it can be read.
func (s *Stream) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.done {
		return 0, errors.New("clamav: write after Finish")
	}
	n := 0
	for len(p) > 0 {
		k := min(len(p), s.c.chunkSize())
		binary.BigEndian.PutUint32(s.lenb[:], uint32(k))
		err := s.write(s.lenb[:])
		if err == nil {
			err = s.write(p[:k])
		}
		if err != nil {
			s.err = s.explain(err)
			return n, s.err
		}
		p = p[k:]
		n += k
		s.sent += int64(k)
	}
	return n, nil
}

// explain turns a failed write into clamd's own reason when it sent one
// before closing (a size limit), and keeps the write error otherwise.
func (s *Stream) explain(werr error) error {
	if s.ctx.Err() != nil {
		return werr
	}
	if err := s.cn.SetReadDeadline(time.Now().Add(time.Second)); err != nil {
		return werr
	}
	reply, err := readReply(s.cn)
	if err != nil || reply == "" {
		return werr
	}
	if _, err := parseResult(reply); err != nil {
		return err
	}
	return werr
}

// Finish ends the stream, waits for clamd's verdict and closes the
// connection. An error means no verdict: the content was not scanned.
func (s *Stream) Finish() (Result, error) {
	if s.done {
		return Result{}, errors.New("clamav: Finish called twice")
	}
	s.done = true
	defer s.cn.Close()
	if s.err != nil {
		return Result{}, s.err
	}
	if err := s.write([]byte{0, 0, 0, 0}); err != nil {
		return Result{}, s.explain(err)
	}
	if err := s.cn.SetReadDeadline(time.Now().Add(s.c.replyTimeout())); err != nil {
		return Result{}, s.unavailable(err)
	}
	reply, err := readReply(s.cn)
	if err != nil {
		return Result{}, fmt.Errorf("%w: waiting for the verdict: %w", ErrUnavailable, ctxErr(s.ctx, err))
	}
	return parseResult(reply)
}

// Close abandons the scan; after Finish it does nothing.
func (s *Stream) Close() error {
	if s.done {
		return nil
	}
	s.done = true
	return s.cn.Close()
}

// Sent is how many bytes of content were sent so far.
func (s *Stream) Sent() int64 { return s.sent }

// Scan streams r to clamd and returns the verdict.
func (c *Client) Scan(ctx context.Context, r io.Reader) (Result, error) {
	s, err := c.Stream(ctx)
	if err != nil {
		return Result{}, err
	}
	buf := make([]byte, c.chunkSize())
	if _, err := io.CopyBuffer(s, r, buf); err != nil {
		s.Close()
		return Result{}, err
	}
	return s.Finish()
}

// parseResult reads "stream: OK", "stream: NAME FOUND" and "… ERROR".
func parseResult(reply string) (Result, error) {
	msg := strings.TrimSpace(strings.TrimPrefix(reply, "stream:"))
	switch {
	case msg == "OK":
		return Result{}, nil
	case strings.HasSuffix(msg, " FOUND"):
		return Result{Infected: true, Signature: cleanSignature(strings.TrimSuffix(msg, " FOUND"))}, nil
	case strings.HasSuffix(msg, "ERROR"):
		return Result{}, fmt.Errorf("%w: %s", ErrRefused, cleanSignature(strings.TrimSpace(strings.TrimSuffix(msg, "ERROR"))))
	}
	return Result{}, fmt.Errorf("%w: unexpected reply %q", ErrUnavailable, cleanSignature(reply))
}

// maxSignature bounds a signature name as shown to people and recorded.
const maxSignature = 128

// cleanSignature keeps a signature name printable and short: it is shown
// to the uploader and goes into the audit log.
func cleanSignature(s string) string {
	s = strings.Map(func(r rune) rune {
		if r > unicode.MaxASCII || !unicode.IsPrint(r) || r == '@' {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
	if len(s) > maxSignature {
		s = s[:maxSignature]
	}
	if s == "" {
		return "unknown"
	}
	return s
}
