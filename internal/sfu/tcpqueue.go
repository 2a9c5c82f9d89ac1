package sfu

import (
	"net"
	"sync"
	"sync/atomic"
)

// tcpQueueBytes bounds what may wait to be written to one ICE-TCP
// connection: about a second of a 1080p stream plus everything else a
// subscriber receives. Past it, whole packets are dropped; the subscriber's
// NACKs and keyframe requests recover, as after loss on UDP.
const tcpQueueBytes = 1 << 20

// tcpSendBuffer caps the kernel's send buffer of an ICE-TCP connection.
// Left to autotuning it grows to megabytes on a fast link, so a congested
// subscriber would first get seconds of stale media from the kernel before
// the queue above ever dropped anything: real-time media wants the drop to
// happen early, in the queue, where a keyframe request can follow it.
const tcpSendBuffer = 128 << 10

// queuedListener wraps the ICE-TCP listener so that no TCP connection can
// stall the goroutine writing to it. Pion writes each ICE-TCP frame (RFC
// 4571 length prefix and packet) with one blocking Write, from the
// publisher's reader goroutine that fans a packet out to every subscriber:
// one congested TCP subscriber would stop the publisher's media for
// everyone. Each accepted connection instead gets a bounded queue and a
// writer goroutine of its own; UDP subscribers go through udpbatch and
// never block.
type queuedListener struct {
	net.Listener
	limit   int            // bytes per connection; 0: tcpQueueBytes
	dropped *atomic.Uint64 // packets dropped because a queue was full
}

func (l queuedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetWriteBuffer(tcpSendBuffer) // best effort: only latency is at stake
	}
	limit := l.limit
	if limit <= 0 {
		limit = tcpQueueBytes
	}
	return newQueuedConn(c, limit, l.dropped), nil
}

// queuedConn is a net.Conn whose Write never blocks: frames are queued whole
// and written in order by the connection's own goroutine, or dropped whole
// when the queue is full, so the stream's framing is never broken.
type queuedConn struct {
	net.Conn
	limit   int
	dropped *atomic.Uint64

	mu      sync.Mutex
	queue   [][]byte
	queued  int // bytes in queue
	err     error
	closed  bool
	wake    chan struct{} // capacity 1: work or close
	stopped chan struct{} // the writer has returned
}

func newQueuedConn(c net.Conn, limit int, dropped *atomic.Uint64) *queuedConn {
	q := &queuedConn{Conn: c, limit: limit, dropped: dropped, wake: make(chan struct{}, 1), stopped: make(chan struct{})}
	go q.writeLoop()
	return q
}

// Write queues a copy of b. It fails only once the connection has failed
// or closed; a full queue drops b and reports success, like a lost packet.
func (q *queuedConn) Write(b []byte) (int, error) {
	q.mu.Lock()
	switch {
	// Closed first: closing fails the writer's pending write too, and that
	// error must not hide that the connection was closed on purpose.
	case q.closed:
		q.mu.Unlock()
		return 0, net.ErrClosed
	case q.err != nil:
		err := q.err
		q.mu.Unlock()
		return 0, err
	case q.queued+len(b) > q.limit:
		q.mu.Unlock()
		q.dropped.Add(1)
		return len(b), nil
	}
	q.queue = append(q.queue, append([]byte(nil), b...))
	q.queued += len(b)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return len(b), nil
}

// writeLoop writes queued frames in order until the connection fails or
// closes.
func (q *queuedConn) writeLoop() {
	defer close(q.stopped)
	var batch [][]byte
	for range q.wake {
		q.mu.Lock()
		batch, q.queue = q.queue, batch[:0]
		closed := q.closed
		q.mu.Unlock()
		for i, b := range batch {
			if _, err := q.Conn.Write(b); err != nil {
				q.fail(err)
				return
			}
			// Bytes leave the bound only once written: a batch taken out
			// of the queue still waits on the socket.
			q.mu.Lock()
			q.queued -= len(b)
			q.mu.Unlock()
			batch[i] = nil
		}
		if closed {
			return
		}
	}
}

func (q *queuedConn) fail(err error) {
	q.mu.Lock()
	if q.err == nil {
		q.err = err
	}
	q.queue = nil
	q.mu.Unlock()
	_ = q.Conn.Close() // the reader sees it and Pion drops the connection
}

// Close closes the connection at once; what is still queued is dropped,
// as the kernel would drop unsent data of a closed socket.
func (q *queuedConn) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.queue = nil
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return q.Conn.Close()
}
