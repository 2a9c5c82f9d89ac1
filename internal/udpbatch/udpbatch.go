// Package udpbatch sends and receives UDP datagrams in batches with
// sendmmsg and recvmmsg. The media
// server writes one datagram per forwarded packet, and a packet fanned out to
// many subscribers becomes a burst of writes from one goroutine; batching
// turns that burst into a few system calls instead of one per packet.
//
// Receiving on Linux uses recvmmsg directly (recv_linux.go), with the
// senders' addresses cached, so that a read allocates nothing.
//
// A fan-out is bracketed by Hold and Release: its datagrams queue, and
// Release sends them from the forwarding goroutine itself, in one system
// call. Other writes (RTCP, ICE checks) are queued and a sender goroutine
// is woken at once, so no packet waits for a timer; while a send is inside
// a system call, new packets gather and leave together in the next one.
package udpbatch

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
)

const (
	// maxBatch is the most datagrams handed to one sendmmsg.
	maxBatch = 64
	// maxQueue bounds memory when the kernel cannot keep up: beyond it new
	// datagrams are dropped, as a full socket buffer would drop them.
	maxQueue = 8192
	bufSize  = 1500
	// readSize fits any datagram a browser sends (MTU-sized).
	readSize = 2048
)

// Conn is a net.PacketConn whose writes are batched. Reads go straight to
// the socket.
type Conn struct {
	udp   *net.UDPConn
	batch *ipv4.PacketConn // WriteBatch works for IPv6 sockets too on Linux
	log   *slog.Logger

	mu      sync.Mutex
	queue   []ipv4.Message
	held    []*datagram // the datagrams of queue, index for index
	free    []*datagram // sent datagrams, for reuse (at most maxFree)
	closed  bool
	wake    chan struct{}
	done    chan struct{}
	dropped atomic.Uint64
	sent    atomic.Uint64
	calls   atomic.Uint64
	holds   atomic.Int64 // fan-outs under way (Hold): their Release sends

	sendMu    sync.Mutex // one flush at a time; guards spare and spareHeld
	spare     []ipv4.Message
	spareHeld []*datagram

	rmu    sync.Mutex    // one reader at a time owns the receive batch
	recv   *receiver     // made on the first read
	rnext  int           // next datagram of the last batch to hand out
	rcount int           // how many the last batch held
	reads  atomic.Uint64 // recvmmsg calls
}

// Wrap starts batching writes on udp. Close closes udp.
func Wrap(udp *net.UDPConn, log *slog.Logger) *Conn {
	if log == nil {
		log = slog.Default()
	}
	c := &Conn{
		udp:   udp,
		batch: ipv4.NewPacketConn(udp),
		log:   log,
		wake:  make(chan struct{}, 1),
		done:  make(chan struct{}),
	}
	go c.sendLoop()
	return c
}

// datagram is a reusable send buffer with the one-element buffer list a
// message points at, so that queueing and sending a datagram allocate
// nothing: a fresh [][]byte per message would be an allocation per
// forwarded packet. Sent datagrams go back on the connection's own free
// list rather than a sync.Pool, which under the race detector drops
// items at random and so would allocate where the build tested in CI
// must not.
type datagram struct {
	data [bufSize]byte
	bufs [1][]byte
}

// maxFree bounds the memory kept for reuse (1.5 MB); a burst beyond it
// allocates, and what it allocated goes to the garbage collector.
const maxFree = 1024

// ReadCalls reports how many recvmmsg calls the reads took.
func (c *Conn) ReadCalls() uint64 { return c.reads.Load() }

// Stats reports datagrams sent, system calls used and datagrams dropped
// because the queue was full.
func (c *Conn) Stats() (sent, syscalls, dropped uint64) {
	return c.sent.Load(), c.calls.Load(), c.dropped.Load()
}

// WriteTo queues b for addr and returns at once.
func (c *Conn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if len(b) > bufSize {
		return c.udp.WriteTo(b, addr) // rare: larger than a media packet
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return 0, net.ErrClosed
	}
	if len(c.queue) >= maxQueue {
		c.mu.Unlock()
		c.dropped.Add(1)
		return len(b), nil
	}
	var d *datagram
	if n := len(c.free); n > 0 {
		d, c.free = c.free[n-1], c.free[:n-1]
	} else {
		d = new(datagram)
	}
	// Copied under the lock: a media packet's copy is tens of nanoseconds,
	// and taking the lock once per datagram costs more than that.
	d.bufs[0] = d.data[:copy(d.data[:], b)]
	c.queue = append(c.queue, ipv4.Message{Buffers: d.bufs[:], Addr: addr})
	c.held = append(c.held, d)
	// During a fan-out the sender goroutine is not woken: the fan-out's
	// Release sends the whole burst, unless a full batch is already waiting.
	if c.holds.Load() == 0 || len(c.queue) >= maxBatch {
		c.wakeLocked()
	}
	c.mu.Unlock()
	return len(b), nil
}

// wakeLocked wakes the sender; called with c.mu held: Close closes the
// channel under the same lock, so this never sends on a closed channel.
func (c *Conn) wakeLocked() {
	if c.closed {
		return
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Hold marks the start of a fan-out (one packet written to many
// subscribers from one goroutine): its datagrams queue without waking the
// sender goroutine, and Release sends them from the fan-out's own
// goroutine, in one system call, so that a forwarded packet costs no
// goroutine hand-off on its way out. Every Hold needs its Release (defer
// it). Writes from other goroutines meanwhile wait at most until the next
// Release.
func (c *Conn) Hold() { c.holds.Add(1) }

// Release ends a fan-out begun with Hold and sends what is queued (its
// own datagrams and whatever other writers queued meanwhile) before it
// returns.
func (c *Conn) Release() {
	c.holds.Add(-1)
	c.flush()
}

// WriteToUDPAddrPort is what Pion's ICE mux prefers when a connection has
// it; it must be batched too, or it would bypass the queue.
func (c *Conn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.WriteTo(b, net.UDPAddrFromAddrPort(addr))
}

// sendLoop sends the writes made outside a fan-out (RTCP, ICE checks)
// and batches that fill up while a fan-out is under way.
func (c *Conn) sendLoop() {
	defer close(c.done)
	for range c.wake {
		for c.flush() > 0 {
		}
	}
}

// flush sends what is queued in the calling goroutine and reports how many
// datagrams it took. One sender at a time (sendMu), so that datagrams
// leave in the order they were queued: a forwarding goroutine's packet
// never overtakes its previous one still waiting in another sender's
// batch. The socket serialises concurrent writes anyway.
func (c *Conn) flush() int {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	// Double buffering: the queue and spare never share an array, so
	// writers fill one while the other is being sent.
	c.mu.Lock()
	msgs, held := c.queue, c.held
	if len(msgs) == 0 {
		c.mu.Unlock()
		return 0
	}
	c.queue, c.held = c.spare[:0], c.spareHeld[:0]
	c.mu.Unlock()
	c.send(msgs)
	c.mu.Lock()
	for i := range msgs {
		if len(c.free) < maxFree {
			c.free = append(c.free, held[i])
		}
		msgs[i], held[i] = ipv4.Message{}, nil
	}
	c.mu.Unlock()
	c.spare, c.spareHeld = msgs, held
	return len(msgs)
}

// send writes msgs in chunks of maxBatch, retrying after partial writes.
func (c *Conn) send(msgs []ipv4.Message) {
	for len(msgs) > 0 {
		n := min(len(msgs), maxBatch)
		wrote, err := c.batch.WriteBatch(msgs[:n], 0)
		c.calls.Add(1)
		if wrote > 0 {
			c.sent.Add(uint64(wrote))
			msgs = msgs[wrote:]
			continue
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
		// One bad destination (e.g. unreachable) must not block the rest:
		// skip the datagram at the head and go on.
		c.log.Debug("udp batch write", "err", err)
		c.dropped.Add(1)
		msgs = msgs[1:]
	}
}

// ReadFrom returns one datagram. Underneath it receives up to maxBatch
// queued datagrams per recvmmsg system call and hands them out one by one.
func (c *Conn) ReadFrom(b []byte) (int, net.Addr, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if c.rnext >= c.rcount {
		if c.recv == nil {
			r, err := newReceiver(c.udp)
			if err != nil {
				return 0, nil, err
			}
			c.recv = r
		}
		n, err := c.recv.readBatch()
		if err != nil {
			return 0, nil, err
		}
		c.rnext, c.rcount = 0, n
		c.reads.Add(1)
	}
	data, addr := c.recv.datagram(c.rnext)
	c.rnext++
	return copy(b, data), addr, nil
}

// Close flushes nothing further and closes the socket.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	close(c.wake)
	c.mu.Unlock()
	err := c.udp.Close()
	<-c.done
	return err
}

// LocalAddr, SetDeadline, SetReadDeadline and SetWriteDeadline implement
// net.PacketConn. Write deadlines do not apply to queued writes.
func (c *Conn) LocalAddr() net.Addr                { return c.udp.LocalAddr() }
func (c *Conn) SetDeadline(t time.Time) error      { return c.udp.SetReadDeadline(t) }
func (c *Conn) SetReadDeadline(t time.Time) error  { return c.udp.SetReadDeadline(t) }
func (c *Conn) SetWriteDeadline(t time.Time) error { return nil }
