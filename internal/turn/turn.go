// Package turn runs Conclave's embedded TURN server. Clients behind strict
// firewalls relay their media through it to the media server, and to nothing
// else: a TURN server that relays anywhere is an open proxy into the
// operator's network.
package turn

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pionturn "github.com/pion/turn/v5"

	"github.com/conclave-meet/conclave/internal/keyfile"
	"github.com/conclave-meet/conclave/internal/pionlog"
)

// Defaults for Config.
const (
	// CredentialTTL is how long a credential may open new allocations. The
	// signalling server renews credentials well before (Grant's renewIn);
	// a participant who leaves loses theirs at once.
	CredentialTTL = 10 * time.Minute
	// A browser opens one allocation per peer connection and transport
	// (two each): eight leaves room for ICE restarts.
	DefaultMaxPerCredential = 8
	// Many participants may share one NAT address (a school, an office).
	DefaultMaxPerAddress = 128
)

// Config configures the TURN server.
type Config struct {
	IP       net.IP // address to listen on and to relay from
	Port     int
	PublicIP net.IP // advertised address behind 1:1 NAT (optional)
	// Peers are the only transport addresses relays may exchange datagrams
	// with: the media server's UDP socket, on its own and its public IP.
	Peers  []netip.AddrPort
	Secret string
	Logger *slog.Logger
	// CredentialTTL, MaxPerCredential, MaxPerAddress: zero means the
	// default above.
	CredentialTTL    time.Duration
	MaxPerCredential int
	MaxPerAddress    int
	// Now is the clock (nil: time.Now); tests move it.
	Now func() time.Time
}

// Server is a running TURN server.
type Server struct {
	cfg    Config
	srv    *pionturn.Server
	public string
	peers  []netip.AddrPort
	grants *grants
	quota  *quota
	now    func() time.Time

	refused atomic.Uint64 // datagrams dropped for going elsewhere than the media server

	mu     sync.Mutex
	relays map[string]map[*mediaOnlyConn]struct{} // participant → open relay sockets
}

// Start listens on UDP and TCP cfg.IP:cfg.Port.
func Start(cfg Config) (*Server, error) {
	if cfg.Secret == "" {
		return nil, errors.New("turn: empty secret")
	}
	if len(cfg.Peers) == 0 {
		return nil, errors.New("turn: no media server address to relay to")
	}
	s := newServer(cfg)
	udp, tcp, err := listen(cfg.IP, cfg.Port)
	if err != nil {
		return nil, err
	}
	port := udp.LocalAddr().(*net.UDPAddr).Port
	relayIP := cfg.IP
	if cfg.PublicIP != nil {
		relayIP = cfg.PublicIP
	}
	gen := &relayGenerator{s: s, RelayAddressGeneratorStatic: pionturn.RelayAddressGeneratorStatic{RelayAddress: relayIP, Address: cfg.IP.String()}}
	perm := peerFilter(s.peers)
	srv, err := pionturn.NewServer(pionturn.ServerConfig{
		Realm:             "conclave",
		LoggerFactory:     pionlog.Factory(s.cfg.Logger.With("component", "turn")),
		AuthHandler:       s.authenticate,
		QuotaHandler:      s.quota.addressOK,
		EventHandler:      s.events(),
		PacketConnConfigs: []pionturn.PacketConnConfig{{PacketConn: udp, RelayAddressGenerator: gen, PermissionHandler: perm}},
		ListenerConfigs:   []pionturn.ListenerConfig{{Listener: tcp, RelayAddressGenerator: gen, PermissionHandler: perm}},
	})
	if err != nil {
		udp.Close()
		tcp.Close()
		return nil, fmt.Errorf("turn: start: %w", err)
	}
	s.srv = srv
	s.public = net.JoinHostPort(relayIP.String(), strconv.Itoa(port))
	return s, nil
}

// listen binds UDP and TCP on the same port. Port 0 (tests) picks a free UDP
// port, which may be taken for TCP: then it tries another.
func listen(ip net.IP, port int) (net.PacketConn, net.Listener, error) {
	for attempt := 0; ; attempt++ {
		addr := net.JoinHostPort(ip.String(), strconv.Itoa(port))
		udp, err := net.ListenPacket("udp4", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("turn: listen UDP %s: %w", addr, err)
		}
		got := udp.LocalAddr().(*net.UDPAddr).Port
		tcp, err := net.Listen("tcp4", net.JoinHostPort(ip.String(), strconv.Itoa(got)))
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		if port != 0 || attempt == 9 {
			return nil, nil, fmt.Errorf("turn: listen TCP: %w", err)
		}
	}
}

func newServer(cfg Config) *Server {
	if cfg.CredentialTTL <= 0 {
		cfg.CredentialTTL = CredentialTTL
	}
	if cfg.MaxPerCredential <= 0 {
		cfg.MaxPerCredential = DefaultMaxPerCredential
	}
	if cfg.MaxPerAddress <= 0 {
		cfg.MaxPerAddress = DefaultMaxPerAddress
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	peers := make([]netip.AddrPort, len(cfg.Peers))
	for i, p := range cfg.Peers {
		peers[i] = netip.AddrPortFrom(p.Addr().Unmap(), p.Port())
	}
	return &Server{
		cfg: cfg, peers: peers, now: cfg.Now,
		grants: newGrants(), quota: newQuota(cfg.MaxPerCredential, cfg.MaxPerAddress),
		relays: make(map[string]map[*mediaOnlyConn]struct{}),
	}
}

// events keeps the per-address allocation count.
func (s *Server) events() pionturn.EventHandler {
	return pionturn.EventHandler{
		OnAllocationCreated: func(src, _ net.Addr, _, _, _ string, _ net.Addr, _ int) { s.quota.allocated(src) },
		OnAllocationDeleted: func(src, _ net.Addr, _, _, _ string) { s.quota.deleted(src) },
	}
}

// peerFilter lets clients ask for permissions only towards the media
// server's IPs; the relay sockets narrow that to its ports.
func peerFilter(peers []netip.AddrPort) pionturn.PermissionHandler {
	return func(_ net.Addr, peer net.IP) bool {
		ip, ok := netip.AddrFromSlice(peer)
		if !ok {
			return false
		}
		for _, p := range peers {
			if p.Addr() == ip.Unmap() {
				return true
			}
		}
		return false
	}
}

// Addr is the address clients reach the server at.
func (s *Server) Addr() string { return s.public }

// Grant issues TURN URLs and a credential for one admitted participant
// (TURN REST scheme: username "expiry:id", password HMAC-SHA1 of the
// username with the shared secret). The credential opens allocations until
// it expires, and only while the participant holds a grant; renewIn says
// when to hand out a fresh one so that a long meeting can still gather relay
// candidates after an ICE restart.
func (s *Server) Grant(participantID string) (urls []string, user, pass string, renewIn time.Duration) {
	expiry := s.now().Add(s.cfg.CredentialTTL)
	s.grants.grant(participantID, expiry)
	user = username(expiry, participantID)
	urls = []string{
		"turn:" + s.public + "?transport=udp",
		"turn:" + s.public + "?transport=tcp",
	}
	return urls, user, password(s.cfg.Secret, user), s.cfg.CredentialTTL / 2
}

// Revoke withdraws a participant's grant and closes their relay sockets: a
// participant who left or was removed cannot relay another datagram.
func (s *Server) Revoke(participantID string) {
	s.grants.revoke(participantID)
	s.mu.Lock()
	conns := s.relays[participantID]
	delete(s.relays, participantID)
	s.mu.Unlock()
	for c := range conns {
		_ = c.Close() // pion then deletes the allocation
	}
}

// track records an open relay socket; false if the participant was revoked
// meanwhile.
func (s *Server) track(id string, c *mediaOnlyConn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.grants.active(id) {
		return false
	}
	if s.relays[id] == nil {
		s.relays[id] = make(map[*mediaOnlyConn]struct{})
	}
	s.relays[id][c] = struct{}{}
	return true
}

func (s *Server) forget(id string, c *mediaOnlyConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.relays[id], c)
	if len(s.relays[id]) == 0 {
		delete(s.relays, id)
	}
}

// Stats is a snapshot for metrics and tests.
type Stats struct {
	Allocations int    // live relay allocations
	Grants      int    // participants allowed to relay
	Refused     uint64 // datagrams dropped for another destination or source
}

// Stats returns the current counts.
func (s *Server) Stats() Stats {
	return Stats{Allocations: s.srv.AllocationCount(), Grants: s.grants.count(), Refused: s.refused.Load()}
}

// Close stops the server.
func (s *Server) Close() error {
	return s.srv.Close()
}

// LoadSecret reads the secret at path and never creates one: a cluster's
// nodes share one the operator provisioned (config turn_secret_file). A
// missing file is an error wrapping os.ErrNotExist; a file that group or
// others can read is refused (keyfile.ErrExposed).
func LoadSecret(path string) (string, error) {
	b, err := keyfile.Read(path)
	if err != nil {
		return "", fmt.Errorf("turn: read secret: %w", err)
	}
	s := strings.TrimSpace(string(b))
	if len(s) < 32 {
		return "", fmt.Errorf("turn: secret in %s is too short", path)
	}
	return s, nil
}

// LoadOrCreateSecret reads the TURN secret from path, creating a random one
// (mode 0600) on first use. A secret readable by group or others is
// refused, as every key file is (package keyfile). Grants live in memory,
// so a restart voids every credential issued before it; clients rejoin and
// get new ones.
func LoadOrCreateSecret(path string) (string, error) {
	if s, err := LoadSecret(path); !errors.Is(err, os.ErrNotExist) {
		return s, err
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("turn: secret: %w", err)
	}
	s := hex.EncodeToString(raw[:])
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("turn: secret dir: %w", err)
	}
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("turn: write secret: %w", err)
	}
	return s, nil
}
