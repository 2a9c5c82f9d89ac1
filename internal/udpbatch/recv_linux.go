//go:build linux

package udpbatch

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// receiver reads datagrams with recvmmsg straight into buffers and
// sockaddrs it owns. x/net's ReadBatch returns a fresh *net.UDPAddr per
// datagram, two allocations per received packet; here the sender's
// address is decoded from the raw sockaddr and looked up in a cache, so a
// read allocates nothing once each peer has been seen.
type receiver struct {
	rc    syscall.RawConn
	hdrs  [maxBatch]unix.Mmsghdr
	iovs  [maxBatch]unix.Iovec
	names [maxBatch]unix.RawSockaddrInet6 // large enough for IPv4 too
	bufs  [maxBatch][readSize]byte
	addrs addrCache
	n     int   // datagrams from the last call
	err   error // its error
	read  func(fd uintptr) bool
}

func newReceiver(udp *net.UDPConn) (*receiver, error) {
	rc, err := udp.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("udpbatch: raw conn: %w", err)
	}
	r := &receiver{rc: rc, addrs: addrCache{m: map[netip.AddrPort]*net.UDPAddr{}}}
	for i := range r.hdrs {
		r.iovs[i].Base = &r.bufs[i][0]
		r.iovs[i].SetLen(readSize)
		r.hdrs[i].Hdr.Iov = &r.iovs[i]
		r.hdrs[i].Hdr.SetIovlen(1)
	}
	// One closure for the connection's life: a new one per call would be
	// an allocation per batch.
	r.read = r.recvmmsg
	return r, nil
}

func (r *receiver) recvmmsg(fd uintptr) bool {
	for i := range r.hdrs {
		r.hdrs[i].Hdr.Name = (*byte)(unsafe.Pointer(&r.names[i]))
		r.hdrs[i].Hdr.Namelen = unix.SizeofSockaddrInet6
	}
	n, _, errno := unix.Syscall6(unix.SYS_RECVMMSG, fd, uintptr(unsafe.Pointer(&r.hdrs[0])), maxBatch, unix.MSG_DONTWAIT, 0, 0)
	switch errno {
	case 0:
		r.n, r.err = int(n), nil
	case unix.EAGAIN:
		return false // nothing queued: let the poller wait for the socket
	case unix.EINTR:
		return r.recvmmsg(fd)
	default:
		r.n, r.err = 0, errno
	}
	return true
}

// readBatch waits for at least one datagram and returns how many arrived.
func (r *receiver) readBatch() (int, error) {
	if err := r.rc.Read(r.read); err != nil {
		return 0, err
	}
	return r.n, r.err
}

// datagram returns the i-th datagram of the last batch and its sender.
func (r *receiver) datagram(i int) ([]byte, net.Addr) {
	return r.bufs[i][:r.hdrs[i].Len], r.addrs.lookup(&r.names[i])
}

// addrCache hands out one *net.UDPAddr per sender. Pion's ICE mux compares
// and keeps the addresses it is given, and never changes them, so sharing
// is safe. It is bounded: past maxAddrs senders (a scan, a flood of spoofed
// sources) it starts over rather than grow.
type addrCache struct {
	m map[netip.AddrPort]*net.UDPAddr
}

const maxAddrs = 4096

func (c *addrCache) lookup(sa *unix.RawSockaddrInet6) net.Addr {
	var ap netip.AddrPort
	switch sa.Family {
	case unix.AF_INET:
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		ap = netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), port(sa4.Port))
	case unix.AF_INET6:
		ap = netip.AddrPortFrom(netip.AddrFrom16(sa.Addr), port(sa.Port))
	default:
		return nil
	}
	if a, ok := c.m[ap]; ok {
		return a
	}
	if len(c.m) >= maxAddrs {
		clear(c.m)
	}
	a := net.UDPAddrFromAddrPort(ap)
	c.m[ap] = a
	return a
}

// port reads a sockaddr's port, stored in network byte order.
func port(p uint16) uint16 {
	var b [2]byte
	*(*uint16)(unsafe.Pointer(&b[0])) = p
	return binary.BigEndian.Uint16(b[:])
}
