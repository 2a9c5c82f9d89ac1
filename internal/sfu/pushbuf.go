package sfu

import (
	"errors"
	"io"
	"sync"
	"time"

	"github.com/pion/transport/v5/packetio"
	"github.com/pion/webrtc/v4"
)

// Received RTP is forwarded in the goroutine that decrypted it.
//
// Pion's SRTP session decrypts each received packet in its read loop and
// writes it to the stream's buffer; a track reader goroutine then reads it
// from there, through the interceptors, and forwards it: one goroutine
// hand-off per received packet, which at the loads measured costs more
// than the forwarding (docs/performance.md). SettingEngine.BufferFactory
// lets that buffer be Conclave's. A pushBuffer behaves as Pion's own until
// its track has a consumer; from then on, a written packet is handed to
// the consumer at once, which reads the track (interceptors and all)
// within the write, in the SRTP session's goroutine, so the packet is
// forwarded before the session reads the next one and no goroutine is
// woken on the way.

// Pion's limits for its own buffers (srtp: srtpBufferSize and
// srtcpBufferSize), kept for what is still queued.
const (
	rtpQueueBytes  = 1000 * 1000
	rtcpQueueBytes = 100 * 1000
)

// The publisher's RTCP about a stream (its sender reports) takes the same
// path: nothing else reads it, and Pion's receiver-report interceptor needs
// to see each sender report to fill in the delay since it (LSR and DLSR),
// from which the publisher measures its round-trip time. Unread, the
// reports would also pile up in the stream's buffer for the whole meeting.

// streamBuffers is one publisher connection's buffer factory: it remembers
// each stream's buffers by SSRC so that onTrack can attach the track's
// consumers to them. SSRCs are unique within a connection, not across them,
// hence one factory per connection.
type streamBuffers struct {
	mu   sync.Mutex
	rtp  map[uint32]*pushBuffer
	rtcp map[uint32]*pushBuffer
}

func newStreamBuffers() *streamBuffers {
	return &streamBuffers{rtp: map[uint32]*pushBuffer{}, rtcp: map[uint32]*pushBuffer{}}
}

// factory is the connection's SettingEngine.BufferFactory.
func (s *streamBuffers) factory(kind packetio.BufferPacketType, ssrc uint32) io.ReadWriteCloser {
	m, limit := s.rtp, rtpQueueBytes
	if kind != packetio.RTPBufferPacket {
		m, limit = s.rtcp, rtcpQueueBytes
	}
	b := &pushBuffer{queue: newQueueBuffer(limit)}
	b.onClose = func() { s.forget(m, ssrc, b) }
	s.mu.Lock()
	m[ssrc] = b
	s.mu.Unlock()
	return b
}

// get returns the buffer of the RTP stream ssrc, nil if there is none.
func (s *streamBuffers) get(ssrc uint32) *pushBuffer { return s.lookup(s.rtp, ssrc) }

// getRTCP returns the buffer of the publisher's RTCP about ssrc.
func (s *streamBuffers) getRTCP(ssrc uint32) *pushBuffer { return s.lookup(s.rtcp, ssrc) }

func (s *streamBuffers) lookup(m map[uint32]*pushBuffer, ssrc uint32) *pushBuffer {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return m[ssrc]
}

func (s *streamBuffers) forget(m map[uint32]*pushBuffer, ssrc uint32, b *pushBuffer) {
	s.mu.Lock()
	if m[ssrc] == b {
		delete(m, ssrc)
	}
	s.mu.Unlock()
}

// receiverRTCP returns the consumer of a published stream's RTCP buffer:
// it reads the publisher's RTCP about the stream (rid "" for a stream
// without simulcast) through Pion's interceptors, which is all it is for.
func receiverRTCP(r *webrtc.RTPReceiver, rid string, b *pushBuffer) func() bool {
	buf := make([]byte, rtcpBufSize)
	return func() bool {
		for b.pending() {
			_, _, err := r.ReadSimulcast(buf, rid)
			if errors.Is(err, io.ErrShortBuffer) {
				continue // dropped as oversized; the slot is empty now
			}
			if err != nil {
				return false
			}
		}
		return true
	}
}

// queueBuffer adapts packetio.Buffer to the io.ReadWriteCloser (with
// attributes) the SRTP session expects, as Pion's own adapter does.
type queueBuffer struct{ *packetio.Buffer }

func newQueueBuffer(limit int) queueBuffer {
	b := packetio.NewBuffer()
	b.SetLimitSize(limit)
	return queueBuffer{b}
}

func (q queueBuffer) Read(b []byte) (int, error) {
	n, _, err := q.Buffer.Read(b, nil)
	return n, err
}

func (q queueBuffer) Write(b []byte) (int, error) { return q.Buffer.Write(b, nil) }

func (q queueBuffer) ReadWithAttributes(b []byte, a packetio.Attributes) (int, packetio.Attributes, error) {
	return q.Buffer.Read(b, a)
}

func (q queueBuffer) WriteWithAttributes(b []byte, a packetio.Attributes) (int, error) {
	return q.Buffer.Write(b, a)
}

// pushBuffer is one received RTP stream's buffer. Before a consumer is
// attached it queues like Pion's (Pion reads the first packets itself, to
// learn a simulcast layer's RID). Once attached, Write puts the packet in
// a one-packet slot and calls the consumer, which reads the track until
// the slot is taken: first whatever was queued before, then the packet
// just written, in order.
type pushBuffer struct {
	queue   queueBuffer
	onClose func()

	mu      sync.Mutex
	consume func() bool // reads the track while pending(); false: the track ended
	slot    []byte      // the packet being written; valid only during Write
	attrs   packetio.Attributes
	full    bool
}

// attach makes consume the stream's consumer: from the next packet
// written on, it is called within Write. It must read the track while
// pending() reports a packet, and return false once the track has ended.
func (p *pushBuffer) attach(consume func() bool) {
	p.mu.Lock()
	p.consume = consume
	p.mu.Unlock()
}

// pending reports whether the packet being written has not been read yet.
func (p *pushBuffer) pending() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.full
}

func (p *pushBuffer) Write(b []byte) (int, error) { return p.WriteWithAttributes(b, nil) }

// WriteWithAttributes is called by the SRTP session's read loop with the
// decrypted packet, which lives in the session's read buffer: nothing may
// keep it after the call.
func (p *pushBuffer) WriteWithAttributes(b []byte, a packetio.Attributes) (int, error) {
	p.mu.Lock()
	consume := p.consume
	if consume == nil {
		p.mu.Unlock()
		return p.queue.WriteWithAttributes(b, a)
	}
	p.slot, p.attrs, p.full = b, a, true
	p.mu.Unlock()
	ended := !consume()
	p.mu.Lock()
	p.slot, p.attrs, p.full = nil, nil, false
	if ended {
		p.consume = nil
	}
	p.mu.Unlock()
	return len(b), nil
}

func (p *pushBuffer) Read(b []byte) (int, error) {
	n, _, err := p.ReadWithAttributes(b, nil)
	return n, err
}

// ReadWithAttributes returns what was queued first, then the packet being
// written; with neither it waits on the queue (only Pion's own reads
// before a consumer is attached get there).
func (p *pushBuffer) ReadWithAttributes(b []byte, a packetio.Attributes) (int, packetio.Attributes, error) {
	p.mu.Lock()
	if p.full && p.queue.Count() == 0 {
		p.full = false
		if len(p.slot) > len(b) {
			p.mu.Unlock()
			return 0, a[:0], io.ErrShortBuffer // dropped, as packetio.Buffer drops it
		}
		n := copy(b, p.slot)
		a = append(a[:0], p.attrs...)
		p.mu.Unlock()
		return n, a, nil
	}
	p.mu.Unlock()
	return p.queue.ReadWithAttributes(b, a)
}

// SetReadDeadline applies to waiting on the queue.
func (p *pushBuffer) SetReadDeadline(t time.Time) error { return p.queue.SetReadDeadline(t) }

// Close ends the stream: readers waiting on the queue get io.EOF.
func (p *pushBuffer) Close() error {
	if p.onClose != nil {
		p.onClose()
	}
	return p.queue.Close()
}
