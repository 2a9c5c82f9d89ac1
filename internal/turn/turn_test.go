package turn

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	pionturn "github.com/pion/turn/v5"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/testclock"
)

var loopback = net.IPv4(127, 0, 0, 1)

const testSecret = "0123456789abcdef0123456789abcdef"

// fixture is a TURN server relaying to one stand-in media socket.
type fixture struct {
	s     *Server
	media net.PacketConn // the media server's UDP socket
	clock *testclock.Clock
}

func start(t *testing.T, tune func(*Config)) *fixture {
	t.Helper()
	media := listenUDP(t)
	clock := testclock.New(time.Now())
	cfg := Config{
		IP: loopback, Port: 0, Secret: testSecret, Now: clock.Now,
		Peers: []netip.AddrPort{media.LocalAddr().(*net.UDPAddr).AddrPort()},
	}
	if tune != nil {
		tune(&cfg)
	}
	s, err := Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &fixture{s: s, media: media, clock: clock}
}

func listenUDP(t *testing.T) net.PacketConn {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dial connects a real TURN client over UDP.
func dial(t *testing.T, f *fixture, c cred) *pionturn.Client {
	t.Helper()
	return dialConn(t, f, listenUDP(t), c)
}

// dialTCP connects a real TURN client over TCP (TURN's own transport).
func dialTCP(t *testing.T, f *fixture, c cred) *pionturn.Client {
	t.Helper()
	tc, err := net.Dial("tcp4", f.s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tc.Close() })
	return dialConn(t, f, pionturn.NewSTUNConn(tc), c)
}

func dialConn(t *testing.T, f *fixture, conn net.PacketConn, cr cred) *pionturn.Client {
	t.Helper()
	c, err := pionturn.NewClient(&pionturn.ClientConfig{
		TURNServerAddr: f.s.Addr(), Username: cr.user, Password: cr.pass, Realm: "conclave", Conn: conn,
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

// cred is a TURN username and password.
type cred struct{ user, pass string }

func grant(t *testing.T, f *fixture, id string) cred {
	t.Helper()
	urls, user, pass, renew := f.s.Grant(id)
	if len(urls) != 2 || renew <= 0 || renew >= CredentialTTL {
		t.Fatalf("Grant = %v, renew in %v", urls, renew)
	}
	return cred{user, pass}
}

func allocate(t *testing.T, c *pionturn.Client) net.PacketConn {
	t.Helper()
	relay, err := c.Allocate()
	if err != nil {
		t.Fatalf("allocate with a valid grant: %v", err)
	}
	t.Cleanup(func() { relay.Close() })
	return relay
}

// read returns the next datagram on c, failing after a generous deadline.
func read(t *testing.T, c net.PacketConn) (string, net.Addr) {
	t.Helper()
	buf := make([]byte, 256)
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := c.ReadFrom(buf)
	if err != nil {
		t.Fatalf("read on %s: %v", c.LocalAddr(), err)
	}
	return string(buf[:n]), from
}

// nothingWaiting asserts that c has no datagram queued. Call it only after
// a later datagram on the same path has arrived, so that an earlier one
// would already be here: ordering, not timing, makes the check sound.
func nothingWaiting(t *testing.T, c net.PacketConn, what string) {
	t.Helper()
	buf := make([]byte, 256)
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, from, err := c.ReadFrom(buf); err == nil {
		t.Fatalf("%s: got %q from %s", what, buf[:n], from)
	}
}

func TestRelaysToTheMediaSocket(t *testing.T) {
	f := start(t, nil)
	relay := allocate(t, dial(t, f, grant(t, f, "p_a")))

	if _, err := relay.WriteTo([]byte("hello media"), f.media.LocalAddr()); err != nil {
		t.Fatalf("relay to media server: %v", err)
	}
	got, from := read(t, f.media)
	if got != "hello media" {
		t.Fatalf("media got %q", got)
	}
	// And back: the media server answers the relay address.
	if _, err := f.media.WriteTo([]byte("hello client"), from); err != nil {
		t.Fatal(err)
	}
	if got, _ := read(t, relay); got != "hello client" {
		t.Fatalf("client got %q", got)
	}
}

func TestRefusesOtherPortsOnTheMediaAddress(t *testing.T) {
	f := start(t, nil)
	relay := allocate(t, dial(t, f, grant(t, f, "p_a")))
	other := listenUDP(t) // another service on the media IP

	// Outbound: the other port gets nothing, even though the IP is allowed.
	if _, err := relay.WriteTo([]byte("probe"), other.LocalAddr()); err != nil {
		t.Fatalf("write: %v", err)
	}
	if _, err := relay.WriteTo([]byte("marker"), f.media.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	got, relayAddr := read(t, f.media)
	if got != "marker" {
		t.Fatalf("media got %q", got)
	}
	nothingWaiting(t, other, "another port on the media address")

	// Inbound: the other port cannot reach the client through the relay.
	if _, err := other.WriteTo([]byte("intrusion"), relayAddr); err != nil {
		t.Fatal(err)
	}
	if _, err := f.media.WriteTo([]byte("marker back"), relayAddr); err != nil {
		t.Fatal(err)
	}
	if got, _ := read(t, relay); got != "marker back" {
		t.Fatalf("client got %q first", got)
	}
	if r := f.s.Stats().Refused; r != 2 {
		t.Fatalf("refused datagrams = %d, want 2", r)
	}
}

func TestRefusesOtherAddresses(t *testing.T) {
	f := start(t, nil)
	c := dial(t, f, grant(t, f, "p_a"))
	allocate(t, c)
	other := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 2), Port: 9}
	if err := c.CreatePermission(other); err == nil {
		t.Fatal("permission to relay to 127.0.0.2 was granted")
	}
}

// RFC 6062 TCP allocations would open TCP connections from the server (to
// its own HTTP listener, say); WebRTC never asks for them.
func TestRefusesTCPAllocations(t *testing.T) {
	f := start(t, nil)
	httpLn, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer httpLn.Close()
	cr := grant(t, f, "p_a")
	for name, c := range map[string]*pionturn.Client{
		"over UDP": dial(t, f, cr),
		"over TCP": dialTCP(t, f, cr),
	} {
		alloc, err := c.AllocateTCP()
		if err == nil {
			_, derr := alloc.Dial("tcp", httpLn.Addr().String())
			alloc.Close()
			t.Fatalf("%s: TCP allocation granted (connect to HTTP: %v)", name, derr)
		}
		if !strings.Contains(err.Error(), "508") {
			t.Fatalf("%s: refused with %v, want 508 (insufficient capacity)", name, err)
		}
	}
	if n := f.s.Stats().Allocations; n != 0 {
		t.Fatalf("allocations = %d, want 0", n)
	}
}

// TURN over TCP is the transport for clients behind UDP-blocking firewalls:
// it must keep working, relaying UDP to the media socket.
func TestRelaysOverTCPTransport(t *testing.T) {
	f := start(t, nil)
	relay := allocate(t, dialTCP(t, f, grant(t, f, "p_a")))
	if _, err := relay.WriteTo([]byte("via tcp"), f.media.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	if got, _ := read(t, f.media); got != "via tcp" {
		t.Fatalf("media got %q", got)
	}
}

func TestRefusesWrongPassword(t *testing.T) {
	f := start(t, nil)
	c := grant(t, f, "p_a")
	c.pass = "not-the-password"
	if _, err := dial(t, f, c).Allocate(); err == nil {
		t.Fatal("allocation with a wrong password succeeded")
	}
}

// A credential made with the secret but never granted (or granted before a
// restart) is worthless: validity follows presence in a meeting.
func TestRefusesCredentialsWithoutGrant(t *testing.T) {
	f := start(t, nil)
	user, pass, err := pionturn.GenerateLongTermTURNRESTCredentials(testSecret, "p_never", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dial(t, f, cred{user, pass}).Allocate(); err == nil {
		t.Fatal("allocation for a participant without a grant succeeded")
	}
}

func TestRefusesExpiredCredentialsForNewAllocations(t *testing.T) {
	f := start(t, nil)
	cr := grant(t, f, "p_a")
	c := dial(t, f, cr)
	allocate(t, c)

	f.clock.Advance(CredentialTTL + time.Second)
	// The existing allocation keeps working while the participant stays:
	// permissions and refreshes are still authenticated.
	if err := c.CreatePermission(f.media.LocalAddr()); err != nil {
		t.Fatalf("permission on a live allocation after expiry: %v", err)
	}
	// A new allocation needs a fresh credential.
	if _, err := dial(t, f, cr).Allocate(); err == nil {
		t.Fatal("new allocation with an expired credential succeeded")
	}
	allocate(t, dial(t, f, grant(t, f, "p_a")))
}

func TestRevokeEndsRelaying(t *testing.T) {
	f := start(t, nil)
	cr := grant(t, f, "p_a")
	c := dial(t, f, cr)
	relay := allocate(t, c)
	if _, err := relay.WriteTo([]byte("before"), f.media.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	read(t, f.media)

	f.s.Revoke("p_a")
	eventually.True(t, "the allocation to go", func() bool { return f.s.Stats().Allocations == 0 })
	if f.s.Stats().Grants != 0 {
		t.Fatal("grant kept after revoke")
	}
	if err := c.CreatePermission(f.media.LocalAddr()); err == nil {
		t.Fatal("a revoked credential still authenticates")
	}
	if _, err := dial(t, f, cr).Allocate(); err == nil {
		t.Fatal("a revoked credential made a new allocation")
	}
}

func TestQuotaPerCredential(t *testing.T) {
	f := start(t, func(c *Config) { c.MaxPerCredential = 3 })
	cr := grant(t, f, "p_a")
	for i := 0; i < 3; i++ {
		allocate(t, dial(t, f, cr))
	}
	if _, err := dial(t, f, cr).Allocate(); err == nil {
		t.Fatal("a fourth allocation on one credential succeeded")
	}
	// Another participant is not affected.
	allocate(t, dial(t, f, grant(t, f, "p_b")))
}

func TestQuotaPerAddress(t *testing.T) {
	f := start(t, func(c *Config) { c.MaxPerAddress = 2 })
	allocate(t, dial(t, f, grant(t, f, "p_a")))
	allocate(t, dial(t, f, grant(t, f, "p_b")))
	_, err := dial(t, f, grant(t, f, "p_c")).Allocate()
	if err == nil {
		t.Fatal("a third allocation from one address succeeded")
	}
}

func TestQuotaFreedWhenAllocationsEnd(t *testing.T) {
	f := start(t, func(c *Config) { c.MaxPerCredential = 1; c.MaxPerAddress = 1 })
	cr := grant(t, f, "p_a")
	c := dial(t, f, cr)
	relay := allocate(t, c)
	relay.Close() // deallocates (refresh with lifetime 0)
	eventually.True(t, "the allocation to go", func() bool { return f.s.Stats().Allocations == 0 })
	allocate(t, dial(t, f, cr))
}

func TestStartNeedsMediaPeer(t *testing.T) {
	_, err := Start(Config{IP: loopback, Secret: testSecret})
	if err == nil {
		t.Fatal("started without a media address to relay to")
	}
}

func TestParseUsername(t *testing.T) {
	for _, u := range []string{"", "123", "abc:p_a", "123:", ":p_a"} {
		if _, _, ok := parseUsername(u); ok {
			t.Errorf("parseUsername(%q) accepted", u)
		}
	}
	exp, id, ok := parseUsername("1700000000:p_a:b")
	if !ok || id != "p_a:b" || exp.Unix() != 1700000000 {
		t.Fatalf("parse = %v %q %v", exp, id, ok)
	}
}

func FuzzParseUsername(f *testing.F) {
	f.Add("1700000000:p_a")
	f.Add(":")
	f.Fuzz(func(t *testing.T, u string) {
		exp, id, ok := parseUsername(u)
		if !ok {
			return
		}
		if id == "" {
			t.Fatalf("accepted %q with an empty participant", u)
		}
		exp2, id2, ok := parseUsername(username(exp, id))
		if !ok || id2 != id || !exp2.Equal(exp) {
			t.Fatalf("%q does not round-trip: %v %q %v", u, exp2, id2, ok)
		}
	})
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

func TestSecretReadableByOthersRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "turn.secret")
	if _, err := LoadOrCreateSecret(path); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadOrCreateSecret(path)
	if err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("0644 secret: %v, want a refusal naming chmod 600", err)
	}
}
