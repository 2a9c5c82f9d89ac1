// Package udpbatch sends and receives UDP datagrams in batches with
// sendmmsg and recvmmsg. The media
// server writes one datagram per forwarded packet, and a packet fanned out to
// many subscribers becomes a burst of writes from one goroutine; batching
// turns that burst into a few system calls instead of one per packet.
//
// Batching is opportunistic: a write is queued and the sender goroutine is
// woken at once, so no packet waits for a timer. While the sender is inside
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
	closed  bool
	wake    chan struct{}
	done    chan struct{}
	pool    sync.Pool
	dropped atomic.Uint64
	sent    atomic.Uint64
	calls   atomic.Uint64

	rmu    sync.Mutex     // one reader at a time owns the receive batch
	rmsgs  []ipv4.Message // datagrams from the last recvmmsg
	rnext  int            // next one to hand out
	rcount int            // how many the last recvmmsg returned
	reads  atomic.Uint64  // recvmmsg calls
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
	c.pool.New = func() any { b := make([]byte, bufSize); return &b }
	go c.sendLoop()
	return c
}

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
	bp := c.pool.Get().(*[]byte)
	buf := (*bp)[:len(b)]
	copy(buf, b)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		c.pool.Put(bp)
		return 0, net.ErrClosed
	}
	if len(c.queue) >= maxQueue {
		c.mu.Unlock()
		c.pool.Put(bp)
		c.dropped.Add(1)
		return len(b), nil
	}
	c.queue = append(c.queue, ipv4.Message{Buffers: [][]byte{buf}, Addr: addr})
	// Wake the sender while holding the lock: Close closes the channel
	// under the same lock, so this never sends on a closed channel.
	select {
	case c.wake <- struct{}{}:
	default:
	}
	c.mu.Unlock()
	return len(b), nil
}

// WriteToUDPAddrPort is what Pion's ICE mux prefers when a connection has
// it; it must be batched too, or it would bypass the queue.
func (c *Conn) WriteToUDPAddrPort(b []byte, addr netip.AddrPort) (int, error) {
	return c.WriteTo(b, net.UDPAddrFromAddrPort(addr))
}

func (c *Conn) sendLoop() {
	defer close(c.done)
	var spare []ipv4.Message
	for range c.wake {
		for {
			// Double buffering: the queue and spare never share an array,
			// so writers fill one while the other is being sent.
			c.mu.Lock()
			msgs := c.queue
			if len(msgs) == 0 {
				closed := c.closed
				c.mu.Unlock()
				if closed {
					return
				}
				break
			}
			c.queue = spare[:0]
			c.mu.Unlock()
			c.send(msgs)
			for i := range msgs {
				b := msgs[i].Buffers[0][:cap(msgs[i].Buffers[0])]
				c.pool.Put(&b)
				msgs[i] = ipv4.Message{}
			}
			spare = msgs
		}
	}
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
		if c.rmsgs == nil {
			c.rmsgs = make([]ipv4.Message, maxBatch)
			for i := range c.rmsgs {
				c.rmsgs[i].Buffers = [][]byte{make([]byte, readSize)}
			}
		}
		n, err := c.batch.ReadBatch(c.rmsgs, 0)
		if err != nil {
			return 0, nil, err
		}
		c.rnext, c.rcount = 0, n
		c.reads.Add(1)
	}
	m := &c.rmsgs[c.rnext]
	c.rnext++
	n := copy(b, m.Buffers[0][:m.N])
	return n, m.Addr, nil
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
