package turn

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	pionturn "github.com/pion/turn/v5"
)

var (
	errTCPRelay   = errors.New("turn: TCP relay allocations are refused (WebRTC relays media over UDP)")
	errNotGranted = errors.New("turn: participant holds no grant")
	errQuota      = errors.New("turn: allocation quota reached for this credential")
)

// relayGenerator creates relay sockets that talk to the media server only.
// Pion's permission handler sees peer IPs, not ports, and the media address
// may carry other services (the HTTP listener on 0.0.0.0, a database): so
// every relay socket is wrapped to send to, and accept from, exactly the
// media server's transport addresses. TCP relays (RFC 6062) are refused
// outright: browsers never ask for them, and they would let a client open
// TCP connections from inside the server's network.
type relayGenerator struct {
	pionturn.RelayAddressGeneratorStatic
	s *Server
}

func (g *relayGenerator) AllocatePacketConn(conf pionturn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	if !g.s.grants.active(conf.UserID) {
		return nil, nil, errNotGranted
	}
	release, ok := g.s.quota.reserveCredential(conf.UserID)
	if !ok {
		return nil, nil, errQuota
	}
	conn, addr, err := g.RelayAddressGeneratorStatic.AllocatePacketConn(conf)
	if err != nil {
		release()
		return nil, nil, err
	}
	mc := &mediaOnlyConn{PacketConn: conn, peers: g.s.peers, refused: &g.s.refused}
	mc.onClose = func() {
		release()
		g.s.forget(conf.UserID, mc)
	}
	if !g.s.track(conf.UserID, mc) {
		// Revoked between the check above and now: do not hand it out.
		_ = mc.Close()
		return nil, nil, errNotGranted
	}
	return mc, addr, nil
}

func (g *relayGenerator) AllocateListener(pionturn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errTCPRelay
}

func (g *relayGenerator) AllocateConn(pionturn.AllocateConnConfig) (net.Conn, error) {
	return nil, errTCPRelay
}

// mediaOnlyConn is a relay socket that drops datagrams to and from anything
// but the media server. Dropping silently, as a firewall would, keeps a
// prober from learning which ports are open and from filling the log.
type mediaOnlyConn struct {
	net.PacketConn
	peers   []netip.AddrPort
	refused *atomic.Uint64
	once    sync.Once
	onClose func()
	err     error
}

func (c *mediaOnlyConn) allowed(a net.Addr) bool {
	ua, ok := a.(*net.UDPAddr)
	if !ok {
		return false
	}
	ap := ua.AddrPort()
	ap = netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	for _, p := range c.peers {
		if p == ap {
			return true
		}
	}
	return false
}

func (c *mediaOnlyConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	if !c.allowed(addr) {
		c.refused.Add(1)
		return len(p), nil
	}
	return c.PacketConn.WriteTo(p, addr)
}

func (c *mediaOnlyConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		n, addr, err := c.PacketConn.ReadFrom(p)
		if err != nil || c.allowed(addr) {
			return n, addr, err
		}
		c.refused.Add(1)
	}
}

// Close is idempotent: Revoke closes a relay socket and Pion closes it again
// when it then deletes the allocation; the second close is no error.
func (c *mediaOnlyConn) Close() error {
	c.once.Do(func() {
		c.err = c.PacketConn.Close()
		c.onClose()
	})
	return c.err
}

// quota bounds the relay sockets one credential and one client address may
// hold, so a single participant cannot exhaust the server's descriptors.
type quota struct {
	perCredential, perAddress int

	mu           sync.Mutex
	byCredential map[string]int
	byAddress    map[netip.Addr]int
}

func newQuota(perCredential, perAddress int) *quota {
	return &quota{
		perCredential: perCredential, perAddress: perAddress,
		byCredential: make(map[string]int), byAddress: make(map[netip.Addr]int),
	}
}

// reserveCredential takes one of id's slots; release gives it back (once).
func (q *quota) reserveCredential(id string) (release func(), ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.byCredential[id] >= q.perCredential {
		return nil, false
	}
	q.byCredential[id]++
	var once sync.Once
	return func() {
		once.Do(func() {
			q.mu.Lock()
			defer q.mu.Unlock()
			if q.byCredential[id]--; q.byCredential[id] <= 0 {
				delete(q.byCredential, id)
			}
		})
	}, true
}

// addressOK is pion's QuotaHandler: live allocations from the client's
// address, counted by the allocation events below. Requests in flight at the
// same moment over separate TCP connections can pass together; each still
// spends its credential's own slots, so the total stays bounded.
func (q *quota) addressOK(_, _ string, src net.Addr) bool {
	ip, ok := addrIP(src)
	if !ok {
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.byAddress[ip] < q.perAddress
}

func (q *quota) allocated(src net.Addr) {
	if ip, ok := addrIP(src); ok {
		q.mu.Lock()
		q.byAddress[ip]++
		q.mu.Unlock()
	}
}

func (q *quota) deleted(src net.Addr) {
	if ip, ok := addrIP(src); ok {
		q.mu.Lock()
		if q.byAddress[ip]--; q.byAddress[ip] <= 0 {
			delete(q.byAddress, ip)
		}
		q.mu.Unlock()
	}
}

func addrIP(a net.Addr) (netip.Addr, bool) {
	switch v := a.(type) {
	case *net.UDPAddr:
		ip, ok := netip.AddrFromSlice(v.IP)
		return ip.Unmap(), ok
	case *net.TCPAddr:
		ip, ok := netip.AddrFromSlice(v.IP)
		return ip.Unmap(), ok
	}
	return netip.Addr{}, false
}
