package client

import (
	"encoding/binary"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pion/interceptor"
)

// lossFactory builds an interceptor that simulates packet loss on incoming
// video: it drops the first arrival of every Nth sequence number and lets
// the retransmission through, so tests can prove that NACK repairs loss.
// It must be registered before the NACK generator so the generator sees
// the gap. It drops after SRTP decryption, so the SRTP replay window has
// already seen the dropped index: a client using it must turn replay
// protection off, or the retransmission (same index) would be refused as a
// replay. Real loss happens before decryption and needs no such setting.
type lossFactory struct {
	every   uint16
	dropped *atomic.Int64
}

func (f lossFactory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &lossy{every: f.every, dropped: f.dropped, seen: map[uint32]map[uint16]bool{}}, nil
}

type lossy struct {
	interceptor.NoOp
	every   uint16
	dropped *atomic.Int64
	mu      sync.Mutex
	seen    map[uint32]map[uint16]bool
}

func (l *lossy) BindRemoteStream(info *interceptor.StreamInfo, r interceptor.RTPReader) interceptor.RTPReader {
	if !strings.HasPrefix(strings.ToLower(info.MimeType), "video/") {
		return r
	}
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		for {
			n, attr, err := r.Read(b, a)
			if err != nil || n < 4 {
				return n, attr, err
			}
			seq := binary.BigEndian.Uint16(b[2:4])
			if seq%l.every == 0 && l.firstTime(info.SSRC, seq) {
				l.dropped.Add(1)
				continue
			}
			return n, attr, nil
		}
	})
}

func (l *lossy) firstTime(ssrc uint32, seq uint16) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	m := l.seen[ssrc]
	if m == nil {
		m = map[uint16]bool{}
		l.seen[ssrc] = m
	}
	if m[seq] {
		return false
	}
	m[seq] = true
	return true
}
