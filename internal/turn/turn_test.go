package turn

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	pionturn "github.com/pion/turn/v5"
)

var loopback = net.IPv4(127, 0, 0, 1)

func startTest(t *testing.T) *Server {
	t.Helper()
	s, err := Start(Config{IP: loopback, Port: 0, PeerIPs: []net.IP{loopback}, Secret: "0123456789abcdef0123456789abcdef"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dialTURN(t *testing.T, s *Server, user, pass string) *pionturn.Client {
	t.Helper()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c, err := pionturn.NewClient(&pionturn.ClientConfig{
		TURNServerAddr: s.Addr(), Username: user, Password: pass, Realm: "conclave", Conn: conn,
		RTO: 200 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func TestRelaysOnlyToTheMediaServer(t *testing.T) {
	s := startTest(t)
	urls, user, pass, err := s.Credentials("p_test")
	if err != nil {
		t.Fatal(err)
	}
	if len(urls) != 2 {
		t.Fatalf("urls = %v", urls)
	}
	c := dialTURN(t, s, user, pass)
	relay, err := c.Allocate()
	if err != nil {
		t.Fatalf("allocate with valid credentials: %v", err)
	}
	defer relay.Close()

	// A peer on the media address receives relayed data.
	media, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer media.Close()
	if _, err := relay.WriteTo([]byte("hello media"), media.LocalAddr()); err != nil {
		t.Fatalf("relay to media server: %v", err)
	}
	buf := make([]byte, 64)
	_ = media.SetReadDeadline(time.Now().Add(3 * time.Second))
	n, _, err := media.ReadFrom(buf)
	if err != nil || string(buf[:n]) != "hello media" {
		t.Fatalf("media server got %q, %v", buf[:n], err)
	}

	// Any other address is refused: no open relay into the network.
	other := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 9}
	if err := c.CreatePermission(other); err == nil {
		t.Fatal("permission to relay to 127.0.0.2 was granted")
	}
}

func TestWrongCredentialsRefused(t *testing.T) {
	s := startTest(t)
	_, user, _, err := s.Credentials("p_test")
	if err != nil {
		t.Fatal(err)
	}
	c := dialTURN(t, s, user, "not-the-password")
	if _, err := c.Allocate(); err == nil {
		t.Fatal("allocation with a wrong password succeeded")
	}
}

func TestExpiredCredentialsRefused(t *testing.T) {
	s := startTest(t)
	user, pass, err := pionturn.GenerateLongTermTURNRESTCredentials(s.cfg.Secret, "p_old", -time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c := dialTURN(t, s, user, pass)
	if _, err := c.Allocate(); err == nil {
		t.Fatal("allocation with an expired credential succeeded")
	}
}

func TestSecretPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "turn.secret")
	a, err := LoadOrCreateSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateSecret(path)
	if err != nil || a != b {
		t.Fatalf("second load = %q, %v; want %q", b, err, a)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file mode %v, %v", fi.Mode(), err)
	}
}
