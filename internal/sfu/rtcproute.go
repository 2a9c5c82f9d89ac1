package sfu

import (
	"io"
	"sync"
	"sync/atomic"

	"github.com/pion/transport/v5/packetio"

	"github.com/conclave-meet/conclave/internal/bwe"
	"github.com/conclave-meet/conclave/internal/rtcpraw"
)

// A subscriber's RTCP is handled in the goroutine that decrypted it.
//
// Pion's SRTCP session splits each compound the subscriber sends and
// writes every packet to the buffer of each stream it is about: a receiver
// report about four tracks to four buffers, a transport-wide feedback
// packet to the buffer of its media SSRC. Read the usual way, each track
// needs a goroutine blocked on its buffer, and every packet wakes one of
// them. rtcpRoutes is the subscriber connection's
// SettingEngine.BufferFactory instead: each RTCP stream's buffer hands the
// packet written to it straight to the connection, in the SRTCP session's
// goroutine, which acts on it there (docs/architecture.md, "How an RTP
// packet travels"). Nothing reads those streams, so nothing queues.

// rtcpRoutes routes one subscriber connection's RTCP: transport-wide
// feedback to the connection's bandwidth estimator, NACKs, reception
// reports and keyframe requests to the down-track whose SSRC they are
// about.
type rtcpRoutes struct {
	est *atomic.Pointer[bwe.Estimator]

	mu    sync.Mutex
	downs map[uint32]*downTrack

	seqs []uint16 // scratch for NACKed sequence numbers; see handle
}

func newRTCPRoutes(est *atomic.Pointer[bwe.Estimator]) *rtcpRoutes {
	return &rtcpRoutes{est: est, downs: map[uint32]*downTrack{}}
}

// factory is the subscriber connection's SettingEngine.BufferFactory. The
// connection receives no RTP; should a client send some anyway, it gets
// Pion's usual bounded queue, which nothing reads.
func (r *rtcpRoutes) factory(kind packetio.BufferPacketType, ssrc uint32) io.ReadWriteCloser {
	if kind == packetio.RTPBufferPacket {
		return newQueueBuffer(rtpQueueBytes)
	}
	return &rtcpStream{routes: r, ssrc: ssrc, closed: make(chan struct{})}
}

// add routes RTCP about ssrc to d (downTrack.Bind); remove undoes it.
func (r *rtcpRoutes) add(ssrc uint32, d *downTrack) {
	r.mu.Lock()
	r.downs[ssrc] = d
	r.mu.Unlock()
}

func (r *rtcpRoutes) remove(ssrc uint32, d *downTrack) {
	r.mu.Lock()
	if r.downs[ssrc] == d {
		delete(r.downs, ssrc)
	}
	r.mu.Unlock()
}

func (r *rtcpRoutes) route(ssrc uint32) *downTrack {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.downs[ssrc]
}

// handle acts on RTCP about ssrc. Each feedback packet is about one media
// SSRC and reaches only that stream's buffer, so the estimator sees each
// transport-wide feedback packet once. The SRTCP session calls handle from
// its one read goroutine, which is what lets the scratch space be shared.
func (r *rtcpRoutes) handle(ssrc uint32, b []byte) {
	d := r.route(ssrc)
	for len(b) > 0 {
		p, rest, err := rtcpraw.Next(b)
		if err != nil {
			return
		}
		b = rest
		if p.Type == rtcpraw.TypeTransportFB && p.Format == rtcpraw.FormatTWCC {
			if m, ok := p.MediaSSRC(); ok && m == ssrc {
				if est := r.est.Load(); est != nil {
					est.Feedback(p)
				}
			}
			continue
		}
		if d != nil {
			r.seqs = d.handleRTCP(p, ssrc, r.seqs[:0])
		}
	}
}

// rtcpStream is the buffer of one RTCP stream of a subscriber connection:
// a write is handled at once; there is never anything to read.
type rtcpStream struct {
	routes *rtcpRoutes
	ssrc   uint32
	once   sync.Once
	closed chan struct{}
}

func (s *rtcpStream) Write(b []byte) (int, error) {
	s.routes.handle(s.ssrc, b)
	return len(b), nil
}

// WriteWithAttributes is called by the SRTCP session's read loop with a
// decrypted packet in its read buffer: nothing may keep it after the call.
func (s *rtcpStream) WriteWithAttributes(b []byte, _ packetio.Attributes) (int, error) {
	return s.Write(b)
}

// Read and ReadWithAttributes wait until the stream is closed: nothing is
// ever queued.
func (s *rtcpStream) Read([]byte) (int, error) {
	<-s.closed
	return 0, io.EOF
}

func (s *rtcpStream) ReadWithAttributes(_ []byte, a packetio.Attributes) (int, packetio.Attributes, error) {
	<-s.closed
	return 0, a, io.EOF
}

func (s *rtcpStream) Close() error {
	s.once.Do(func() { close(s.closed) })
	return nil
}
