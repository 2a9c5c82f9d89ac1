package signal_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// stallProxy forwards ICE-TCP between a client and the media server and can
// stop reading what the server sends, as a subscriber on a congested link
// would: the server's socket then fills and its writes would block.
type stallProxy struct {
	ln      net.Listener
	target  string
	stalled chan struct{}
	once    sync.Once
	done    chan struct{} // closed when the test ends: stalled pipes return
}

func newStallProxy(t *testing.T, target string) *stallProxy {
	t.Helper()
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallProxy{ln: ln, target: target, stalled: make(chan struct{}), done: make(chan struct{})}
	t.Cleanup(func() {
		close(p.done)
		ln.Close()
	})
	go p.serve()
	return p
}

func (p *stallProxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *stallProxy) stall() { p.once.Do(func() { close(p.stalled) }) }

func (p *stallProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(c)
	}
}

func (p *stallProxy) pipe(c net.Conn) {
	defer c.Close()
	// A small receive buffer, set before connecting so that the window
	// starts small: the stall reaches the server within kilobytes, not the
	// megabytes loopback would otherwise buffer.
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
	s, err := d.Dial("tcp4", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	go func() { _, _ = io.Copy(s, c) }()
	buf := make([]byte, 2048)
	for {
		select {
		case <-p.stalled:
			<-p.done // read no more, until the test ends
			return
		default:
		}
		n, err := s.Read(buf)
		if err != nil {
			return
		}
		if _, err := c.Write(buf[:n]); err != nil {
			return
		}
	}
}

// throughProxy points the server's ICE-TCP candidate at the proxy.
func throughProxy(mediaPort, proxyPort int) func(string) string {
	from := " " + strconv.Itoa(mediaPort) + " typ host tcptype passive"
	to := " " + strconv.Itoa(proxyPort) + " typ host tcptype passive"
	return func(sdp string) string { return strings.ReplaceAll(sdp, from, to) }
}

// One subscriber whose TCP connection stops draining must not stall the
// publisher's media for anyone else: its packets are dropped at its own
// bounded queue while the others keep receiving.
func TestBlockedTCPSubscriberDoesNotStallOthers(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{TCPQueueBytes: 32 << 10})
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	mediaPort := srv.Engine.UDPAddr().Port
	proxy := newStallProxy(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(mediaPort)))
	hello := func(name string) client.Hello {
		return client.Hello{MeetingID: testserver.MeetingID, Passcode: testserver.Passcode, Name: name}
	}

	pub, err := client.Dial(ctx, srv.WS, hello("Publisher"), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	var fast, slow counts
	udp, err := client.Dial(ctx, srv.WS, hello("On UDP"), client.Options{OnTrack: fast.onTrack})
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	tcp, err := client.Dial(ctx, srv.WS, hello("Congested"), client.Options{
		TCPOnly: true, OnTrack: slow.onTrack, ServerSDP: throughProxy(mediaPort, proxy.port()),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer tcp.Close()
	go pub.Pump(ctx, client.PumpOptions{VideoPacketsPerSecond: 200})

	key := pub.ID() + "/camera"
	waitFor(t, "video through the proxy", func() bool { return slow.counter(key).Load() > 5 })
	proxy.stall()

	waitFor(t, "the congested subscriber's queue to overflow", func() bool { return srv.Engine.Stats().TCPQueueDropped > 0 })
	mark := fast.counter(key).Load()
	waitFor(t, "video to keep reaching the UDP subscriber", func() bool { return fast.counter(key).Load() > mark+300 })
}
