// Package clamav is a client for clamd, ClamAV's scanning daemon, over its
// unix or TCP socket. Files are streamed with the INSTREAM command as
// they arrive, so a file is scanned without ever being written to disk in
// plain text by Conclave (clamd itself spools the stream to its own
// TemporaryDirectory while it scans; see docs/operations.md).
//
// The protocol (clamd(8)): a command prefixed with "z" and terminated by
// NUL; for INSTREAM, chunks of a 4-byte big-endian length followed by that
// many bytes, ended by a zero length; the reply is one NUL-terminated line,
// "stream: OK", "stream: <signature> FOUND" or "<message> ERROR".
package clamav

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"time"
)

// Defaults for Client's timeouts and chunk size.
const (
	DefaultDialTimeout  = 5 * time.Second
	DefaultIOTimeout    = 30 * time.Second
	DefaultReplyTimeout = 2 * time.Minute
	// DefaultChunkSize keeps each INSTREAM chunk well under clamd's
	// StreamMaxLength and its per-read buffers.
	DefaultChunkSize = 64 << 10
	// maxReply bounds a reply line; real ones are short.
	maxReply = 4 << 10
)

// ErrUnavailable wraps failures to reach clamd or to talk to it.
var ErrUnavailable = errors.New("clamav: clamd unavailable")

// ErrRefused is returned when clamd answers a stream with an error instead
// of a verdict, e.g. "INSTREAM size limit exceeded" (StreamMaxLength).
var ErrRefused = errors.New("clamav: clamd refused the stream")

// Client talks to one clamd. Its zero value is not usable: use New. It is
// safe for concurrent use; every scan has a connection of its own.
type Client struct {
	network, addr string

	// DialTimeout bounds connecting, IOTimeout each write and
	// ReplyTimeout the wait for the verdict once the stream has ended
	// (clamd scans only then). Zero means the default.
	DialTimeout  time.Duration
	IOTimeout    time.Duration
	ReplyTimeout time.Duration
	// ChunkSize is the largest INSTREAM chunk sent (DefaultChunkSize).
	ChunkSize int
}

// New returns a client for socket: an absolute path or "unix:PATH" for a
// unix socket, "host:port" or "tcp:host:port" for TCP.
func New(socket string) (*Client, error) {
	network, addr, err := ParseSocket(socket)
	if err != nil {
		return nil, err
	}
	return &Client{network: network, addr: addr}, nil
}

// ParseSocket splits a clamd_socket setting into network and address.
func ParseSocket(socket string) (network, addr string, err error) {
	socket = strings.TrimSpace(socket)
	switch {
	case strings.HasPrefix(socket, "unix:"):
		network, addr = "unix", strings.TrimPrefix(socket, "unix:")
	case strings.HasPrefix(socket, "tcp:"):
		network, addr = "tcp", strings.TrimPrefix(socket, "tcp:")
	case filepath.IsAbs(socket):
		network, addr = "unix", socket
	default:
		network, addr = "tcp", socket
	}
	if network == "unix" {
		if !filepath.IsAbs(addr) {
			return "", "", fmt.Errorf("%q: a unix socket needs an absolute path", socket)
		}
		return network, addr, nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" || port == "" {
		return "", "", fmt.Errorf("%q: want an absolute path (unix socket) or host:port (TCP)", socket)
	}
	return network, addr, nil
}

// String names the socket, e.g. "unix:/run/clamav/clamd.ctl".
func (c *Client) String() string { return c.network + ":" + c.addr }

func (c *Client) dialTimeout() time.Duration  { return or(c.DialTimeout, DefaultDialTimeout) }
func (c *Client) ioTimeout() time.Duration    { return or(c.IOTimeout, DefaultIOTimeout) }
func (c *Client) replyTimeout() time.Duration { return or(c.ReplyTimeout, DefaultReplyTimeout) }

func (c *Client) chunkSize() int {
	if c.ChunkSize > 0 {
		return c.ChunkSize
	}
	return DefaultChunkSize
}

func or(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// conn is one connection, closed when ctx ends so that no call outlives
// its context.
type conn struct {
	net.Conn
	stop func() bool
}

func (c *Client) dial(ctx context.Context) (*conn, error) {
	d := net.Dialer{Timeout: c.dialTimeout()}
	nc, err := d.DialContext(ctx, c.network, c.addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return &conn{Conn: nc, stop: context.AfterFunc(ctx, func() { nc.Close() })}, nil
}

func (cn *conn) Close() error {
	cn.stop()
	return cn.Conn.Close()
}

// command sends a z-command and reads its one-line reply.
func (c *Client) command(ctx context.Context, cmd string) (string, error) {
	cn, err := c.dial(ctx)
	if err != nil {
		return "", err
	}
	defer cn.Close()
	if err := cn.SetDeadline(time.Now().Add(c.ioTimeout())); err != nil {
		return "", fmt.Errorf("%w: %w", ErrUnavailable, ctxErr(ctx, err))
	}
	if _, err := cn.Write([]byte("z" + cmd + "\x00")); err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrUnavailable, cmd, ctxErr(ctx, err))
	}
	reply, err := readReply(cn)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %w", ErrUnavailable, cmd, ctxErr(ctx, err))
	}
	return reply, nil
}

// Ping checks that clamd answers.
func (c *Client) Ping(ctx context.Context) error {
	reply, err := c.command(ctx, "PING")
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return fmt.Errorf("%w: PING answered %q", ErrUnavailable, reply)
	}
	return nil
}

// Version returns clamd's version line, e.g. "ClamAV 1.4.6/…".
func (c *Client) Version(ctx context.Context) (string, error) {
	return c.command(ctx, "VERSION")
}

// readReply reads up to the terminating NUL (or the end of the stream).
func readReply(cn net.Conn) (string, error) {
	buf := make([]byte, 0, 128)
	tmp := make([]byte, 128)
	for len(buf) < maxReply {
		n, err := cn.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if i := strings.IndexByte(string(buf), 0); i >= 0 {
			return strings.TrimSpace(string(buf[:i])), nil
		}
		if err != nil {
			if len(buf) > 0 && errors.Is(err, io.EOF) {
				return strings.TrimSpace(string(buf)), nil
			}
			return "", err
		}
	}
	return "", errors.New("reply too long")
}

// ctxErr prefers the context's error: a connection closed because ctx
// ended says so.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}
