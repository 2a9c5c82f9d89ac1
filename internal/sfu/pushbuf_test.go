package sfu

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/pion/transport/v5/packetio"

	"github.com/conclave-meet/conclave/internal/eventually"
)

func newTestPushBuffer(t *testing.T) (*streamBuffers, *pushBuffer) {
	t.Helper()
	s := newStreamBuffers()
	b, ok := s.factory(packetio.RTPBufferPacket, 1234).(*pushBuffer)
	if !ok || s.get(1234) != b {
		t.Fatal("the factory's RTP buffer is not a pushBuffer remembered by its SSRC")
	}
	return s, b
}

func write(t *testing.T, b io.Writer, p []byte) {
	t.Helper()
	if _, err := b.Write(p); err != nil {
		t.Fatal(err)
	}
}

// TestPushBufferQueuesUntilAttached: without a consumer the buffer is a
// queue, as Pion's own, for Pion's reads of a stream's first packets.
func TestPushBufferQueuesUntilAttached(t *testing.T) {
	_, b := newTestPushBuffer(t)
	for i := range byte(3) {
		write(t, b, []byte{i, i})
	}
	buf := make([]byte, 10)
	for i := range byte(3) {
		n, err := b.Read(buf)
		if err != nil || !bytes.Equal(buf[:n], []byte{i, i}) {
			t.Fatalf("read %d: %v %v", i, buf[:n], err)
		}
	}
}

// TestPushBufferHandsPacketsToItsConsumer: once attached, each write is
// read by the consumer before Write returns, in the writer's goroutine,
// after whatever was queued before, in order; the written bytes are not
// kept after the call.
func TestPushBufferHandsPacketsToItsConsumer(t *testing.T) {
	_, b := newTestPushBuffer(t)
	write(t, b, []byte{1})
	write(t, b, []byte{2})
	var got []byte
	buf := make([]byte, 10)
	b.attach(func() bool {
		for b.pending() {
			n, err := b.Read(buf)
			if err != nil {
				t.Error(err)
				return false
			}
			got = append(got, buf[:n]...)
		}
		return true
	})
	for i := byte(3); i <= 5; i++ {
		p := []byte{i}
		write(t, b, p)
		if got[len(got)-1] != i {
			t.Fatalf("after writing %d the consumer had %v", i, got)
		}
		p[0] = 99 // the session reuses its buffer
	}
	if !bytes.Equal(got, []byte{1, 2, 3, 4, 5}) {
		t.Fatalf("consumed %v, want 1 to 5 in order", got)
	}
	if b.pending() {
		t.Fatal("a packet still pending after its write returned")
	}
}

// TestPushBufferConsumerEnds: a consumer that reports its track ended is
// not called again; later packets queue.
func TestPushBufferConsumerEnds(t *testing.T) {
	_, b := newTestPushBuffer(t)
	calls := 0
	b.attach(func() bool { calls++; return false })
	write(t, b, []byte{1})
	write(t, b, []byte{2})
	if calls != 1 {
		t.Fatalf("consumer called %d times, want once", calls)
	}
	buf := make([]byte, 10)
	if n, err := b.Read(buf); err != nil || !bytes.Equal(buf[:n], []byte{2}) {
		t.Fatalf("after the consumer ended: %v %v, want the next packet queued", buf[:n], err)
	}
}

// TestPushBufferDropsOversizedPackets: a packet larger than the reader's
// buffer is an io.ErrShortBuffer and is dropped, so the consumer's loop
// ends instead of spinning on it.
func TestPushBufferDropsOversizedPackets(t *testing.T) {
	_, b := newTestPushBuffer(t)
	var errs []error
	b.attach(func() bool {
		for b.pending() {
			_, err := b.Read(make([]byte, 2))
			errs = append(errs, err)
		}
		return true
	})
	write(t, b, []byte{1, 2, 3})
	if len(errs) != 1 || !errors.Is(errs[0], io.ErrShortBuffer) {
		t.Fatalf("reads: %v, want one io.ErrShortBuffer", errs)
	}
}

// TestPushBufferClose: a reader waiting on the queue gets io.EOF, and the
// connection's factory forgets the stream.
func TestPushBufferClose(t *testing.T) {
	s, b := newTestPushBuffer(t)
	done := make(chan error, 1)
	go func() {
		_, err := b.Read(make([]byte, 10))
		done <- err
	}()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, io.EOF) {
		t.Fatalf("waiting reader got %v, want io.EOF", err)
	}
	if s.get(1234) != nil {
		t.Fatal("a closed stream is still remembered")
	}
	if s.getRTCP(1234) != nil {
		t.Fatal("no RTCP stream was made, yet one is remembered")
	}
	if _, ok := s.factory(packetio.RTCPBufferPacket, 1234).(*pushBuffer); !ok || s.getRTCP(1234) == nil || s.get(1234) != nil {
		t.Fatal("an RTCP stream's buffer is a pushBuffer remembered apart from the RTP stream of the same SSRC")
	}
}

// TestPublishedPacketsForwardedWithoutAReader: end to end with a Pion
// publisher and subscriber, every received layer is forwarded by its
// stream buffer's consumer, and no track reader goroutine exists: the
// packet is forwarded in the goroutine that decrypted it.
func TestPublishedPacketsForwardedWithoutAReader(t *testing.T) {
	r, _ := publishTo(t, newAnsweringClient(t))
	r.mu.Lock()
	pub := r.participants["p_pub"]
	r.mu.Unlock()
	pub.mu.Lock()
	var layers []*upLayer
	for _, up := range pub.ups {
		layers = append(layers, up.layerSnapshot()...)
	}
	bufs := pub.pubBuffers
	pub.mu.Unlock()
	if len(layers) == 0 {
		t.Fatal("no published layer")
	}
	for _, l := range layers {
		b := bufs.get(l.ssrc)
		if b == nil {
			t.Fatalf("layer %q has no stream buffer", l.rid)
		}
		b.mu.Lock()
		attached := b.consume != nil
		b.mu.Unlock()
		if !attached {
			t.Fatalf("layer %q is not consumed from its stream buffer", l.rid)
		}
	}
	stacks := make([]byte, 1<<20)
	stacks = stacks[:runtime.Stack(stacks, true)]
	if strings.Contains(string(stacks), "(*upTrack).readLoop") {
		t.Fatal("a track reader goroutine is running")
	}
	eventually.True(t, "packets counted on every layer", func() bool {
		for _, l := range layers {
			if l.stats.recvPackets.Load() == 0 {
				return false
			}
		}
		return true
	})
}

// TestPublishersSenderReportsAreRead: the publisher's sender reports reach
// Pion's receiver-report interceptor through the stream's RTCP buffer, so
// the server's receiver reports echo them (LSR) and the publisher can
// measure its round-trip time; nothing else reads that RTCP.
func TestPublishersSenderReportsAreRead(t *testing.T) {
	r := loopbackRoom(t)
	pp, err := r.Join("p_pub", nopSignaller{})
	if err != nil {
		t.Fatal(err)
	}
	pub := publish(t, pp)
	stop := make(chan struct{})
	defer close(stop)
	go pub.run(stop)
	// Pion sends a sender report a second, the server a receiver report a
	// second: the first echo comes within about two.
	eventually.True(t, "a receiver report that echoes a sender report", func() bool { return pub.rrLSR.Load() > 0 })
	pp.mu.Lock()
	bufs := pp.pubBuffers
	pp.mu.Unlock()
	bufs.mu.Lock()
	defer bufs.mu.Unlock()
	for ssrc, b := range bufs.rtcp {
		b.mu.Lock()
		queued := b.queue.Count()
		b.mu.Unlock()
		if queued > 0 {
			t.Errorf("%d RTCP packets about SSRC %d wait in a buffer nobody reads", queued, ssrc)
		}
	}
}
