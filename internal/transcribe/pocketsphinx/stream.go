package pocketsphinx

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/conclave-meet/conclave/internal/transcribe"
)

// stream is one pocketsphinx_continuous process. Three goroutines: the
// caller's (Write, Finish), read (the process's output into a queue) and
// pump (the queue into Results), so that the engine never waits for the
// consumer and Finish never waits for it either.
type stream struct {
	cmd     *exec.Cmd
	in      *os.File // the process's standard input, write end
	stderr  *tail
	log     *slog.Logger
	results chan transcribe.Result

	buf   []byte // Write's
	carry []byte // half a sample left by an interrupted write

	inOnce    sync.Once
	closeOnce sync.Once
	done      chan struct{} // closed by Close
	exited    chan struct{} // closed when read is through: the process has exited
	more      chan struct{} // read → pump: the queue changed

	mu       sync.Mutex
	queue    []transcribe.Result
	readDone bool
	finished bool // Finish was called
	closed   bool // Close was called
	err      error
}

var _ transcribe.Stream = (*stream)(nil)

func start(program string, args []string, speaker string, log *slog.Logger) (*stream, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("pocketsphinx: pipe: %w", err)
	}
	cmd := exec.Command(program, args...)
	cmd.Env = []string{} // none of the server's environment (it may hold secrets)
	cmd.Stdin = r
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("pocketsphinx: %w", err)
	}
	s := &stream{
		cmd:     cmd,
		in:      w,
		stderr:  &tail{max: 2048},
		log:     log,
		results: make(chan transcribe.Result),
		done:    make(chan struct{}),
		exited:  make(chan struct{}),
		more:    make(chan struct{}, 1),
	}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("pocketsphinx: start %s: %w", program, err)
	}
	r.Close() // the child has it
	go s.read(stdout, speaker)
	go s.pump()
	return s, nil
}

// Write implements transcribe.Stream.
func (s *stream) Write(ctx context.Context, pcm []int16) error {
	s.mu.Lock()
	shut := s.finished || s.closed
	s.mu.Unlock()
	if shut {
		return transcribe.ErrClosed
	}
	s.buf = append(s.buf[:0], s.carry...)
	s.carry = s.carry[:0]
	for _, v := range pcm {
		s.buf = binary.LittleEndian.AppendUint16(s.buf, uint16(v))
	}
	if d, ok := ctx.Deadline(); ok {
		_ = s.in.SetWriteDeadline(d)
	}
	stop := context.AfterFunc(ctx, func() { _ = s.in.SetWriteDeadline(time.Unix(1, 0)) })
	n, err := s.in.Write(s.buf)
	stop()
	_ = s.in.SetWriteDeadline(time.Time{})
	if err == nil {
		return nil
	}
	if n%2 == 1 { // keep the stream's samples aligned for the next Write
		s.carry = append(s.carry, s.buf[n])
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, os.ErrClosed) || errors.Is(err, syscall.EPIPE) {
		// The engine is gone or going (the pipe closes as it exits, before
		// its reason is read): that reason is the one to tell.
		select {
		case <-s.exited:
		case <-ctx.Done():
		case <-time.After(exitWait):
		}
	}
	select {
	case <-s.exited:
		if e := s.Err(); e != nil {
			return e
		}
	default:
	}
	return fmt.Errorf("pocketsphinx: write: %w", err)
}

// exitWait bounds how long a write that found the pipe closed waits for
// the engine's exit, to report why it ended.
const exitWait = 5 * time.Second

// Finish implements transcribe.Stream.
func (s *stream) Finish(ctx context.Context) error {
	s.mu.Lock()
	s.finished = true
	s.mu.Unlock()
	s.closeInput()
	select {
	case <-s.exited:
		return s.Err()
	case <-ctx.Done():
		s.Close()
		return ctx.Err()
	}
}

// Results implements transcribe.Stream.
func (s *stream) Results() <-chan transcribe.Result { return s.results }

// Close implements transcribe.Stream: it kills the process and waits for
// it to be gone.
func (s *stream) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.done)
		_ = s.cmd.Process.Kill()
		s.closeInput()
	})
	<-s.exited
	return nil
}

// Err implements transcribe.Stream.
func (s *stream) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *stream) closeInput() { s.inOnce.Do(func() { _ = s.in.Close() }) }

// read parses the process's output until it ends, then reaps it.
func (s *stream) read(stdout io.Reader, speaker string) {
	defer close(s.exited)
	p := parser{speaker: speaker}
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 4096), maxLine)
	for sc.Scan() {
		if r, ok := p.line(sc.Text()); ok {
			s.enqueue(r)
		}
	}
	scanErr := sc.Err()
	if scanErr == nil {
		if r, ok := p.flush(); ok {
			s.enqueue(r)
		}
	} else {
		_ = s.cmd.Process.Kill()
	}
	waitErr := s.cmd.Wait()
	s.closeInput()

	s.mu.Lock()
	switch {
	case s.closed:
		// Close ended it: not a failure.
	case scanErr != nil:
		s.err = fmt.Errorf("pocketsphinx: reading its output: %w", scanErr)
	case waitErr != nil:
		s.err = fmt.Errorf("pocketsphinx: %w: %s", waitErr, s.stderr.String())
	case !s.finished:
		s.err = errors.New("pocketsphinx: the engine stopped before its input ended")
	}
	s.readDone = true
	err := s.err
	s.mu.Unlock()
	s.poke()
	if err != nil {
		s.log.Warn("transcribe: pocketsphinx failed", "err", err)
	}
}

func (s *stream) enqueue(r transcribe.Result) {
	s.mu.Lock()
	s.queue = append(s.queue, r)
	s.mu.Unlock()
	s.poke()
}

func (s *stream) poke() {
	select {
	case s.more <- struct{}{}:
	default: // one pending covers this one
	}
}

// pump hands queued results to the consumer, and closes Results after the
// last one, or at Close.
func (s *stream) pump() {
	defer close(s.results)
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			end := s.readDone
			s.mu.Unlock()
			if end {
				return
			}
			select {
			case <-s.more:
				continue
			case <-s.done:
				return
			}
		}
		r := s.queue[0]
		s.queue = s.queue[1:]
		s.mu.Unlock()
		select {
		case s.results <- r:
		case <-s.done:
			return
		}
	}
}

// tail keeps the last max bytes written to it: the engine's error output,
// for the error that reports its failure.
type tail struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if over := len(t.b) - t.max; over > 0 {
		t.b = append(t.b[:0], t.b[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}
