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
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	pionturn "github.com/pion/turn/v5"
)

// CredentialTTL is how long a TURN credential handed to a client is valid.
const CredentialTTL = 12 * time.Hour

// Config configures the TURN server.
type Config struct {
	IP       net.IP // address to listen on and to relay from
	Port     int
	PublicIP net.IP // advertised address behind 1:1 NAT (optional)
	// PeerIPs are the only addresses relays may send to: the media server's.
	PeerIPs []net.IP
	Secret  string
	Logger  *slog.Logger
}

// Server is a running TURN server.
type Server struct {
	cfg    Config
	srv    *pionturn.Server
	udp    net.PacketConn
	tcp    net.Listener
	public string
}

// Start listens on UDP and TCP cfg.IP:cfg.Port.
func Start(cfg Config) (*Server, error) {
	if cfg.Secret == "" {
		return nil, errors.New("turn: empty secret")
	}
	addr := net.JoinHostPort(cfg.IP.String(), strconv.Itoa(cfg.Port))
	udp, err := net.ListenPacket("udp4", addr)
	if err != nil {
		return nil, fmt.Errorf("turn: listen UDP %s: %w", addr, err)
	}
	port := udp.LocalAddr().(*net.UDPAddr).Port
	tcp, err := net.Listen("tcp4", net.JoinHostPort(cfg.IP.String(), strconv.Itoa(port)))
	if err != nil {
		udp.Close()
		return nil, fmt.Errorf("turn: listen TCP: %w", err)
	}
	relayIP := cfg.IP
	if cfg.PublicIP != nil {
		relayIP = cfg.PublicIP
	}
	gen := &pionturn.RelayAddressGeneratorStatic{RelayAddress: relayIP, Address: cfg.IP.String()}
	perm := peerFilter(cfg.PeerIPs)
	srv, err := pionturn.NewServer(pionturn.ServerConfig{
		Realm:             "conclave",
		AuthHandler:       pionturn.LongTermTURNRESTAuthHandler(cfg.Secret, nil),
		PacketConnConfigs: []pionturn.PacketConnConfig{{PacketConn: udp, RelayAddressGenerator: gen, PermissionHandler: perm}},
		ListenerConfigs:   []pionturn.ListenerConfig{{Listener: tcp, RelayAddressGenerator: gen, PermissionHandler: perm}},
	})
	if err != nil {
		udp.Close()
		tcp.Close()
		return nil, fmt.Errorf("turn: start: %w", err)
	}
	return &Server{cfg: cfg, srv: srv, udp: udp, tcp: tcp,
		public: net.JoinHostPort(relayIP.String(), strconv.Itoa(port))}, nil
}

// peerFilter allows relaying only to the media server's own addresses.
func peerFilter(allowed []net.IP) pionturn.PermissionHandler {
	return func(_ net.Addr, peer net.IP) bool {
		for _, ip := range allowed {
			if ip.Equal(peer) {
				return true
			}
		}
		return false
	}
}

// Addr is the address clients reach the server at.
func (s *Server) Addr() string { return s.public }

// Credentials returns TURN URLs and a credential for one participant, valid
// for CredentialTTL (TURN REST scheme: username "expiry:id", password
// HMAC-SHA1 of the username with the shared secret).
func (s *Server) Credentials(participantID string) (urls []string, username, password string, err error) {
	username, password, err = pionturn.GenerateLongTermTURNRESTCredentials(s.cfg.Secret, participantID, CredentialTTL)
	if err != nil {
		return nil, "", "", fmt.Errorf("turn: credentials: %w", err)
	}
	urls = []string{
		"turn:" + s.public + "?transport=udp",
		"turn:" + s.public + "?transport=tcp",
	}
	return urls, username, password, nil
}

// Close stops the server.
func (s *Server) Close() error {
	return s.srv.Close()
}

// LoadOrCreateSecret reads the TURN secret from path, creating a random one
// (mode 0600) on first use. Restarting keeps issued credentials valid.
func LoadOrCreateSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return "", fmt.Errorf("turn: secret in %s is too short", path)
		}
		return s, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("turn: read secret: %w", err)
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
