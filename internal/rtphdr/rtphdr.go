// Package rtphdr is a Pion interceptor that parses each received RTP
// header once per stream into a header it reuses, for the interceptors
// above it.
//
// Pion's receive-side interceptors (the NACK generator, receiver reports,
// transport-wide feedback) each ask interceptor.Attributes for the packet's
// parsed header. Pion passes no attributes in, so the first of them makes a
// map and a header for every packet received: three allocations per packet
// before the SFU sees it. Placed innermost, this interceptor hands them one
// map and one header per stream, cleared and re-parsed for each packet.
//
// Pion keeps the parsed header under an unexported key; the key is found
// once by asking Attributes to parse a packet and looking at what it
// stored. Should a Pion release stop caching the header that way, the key
// is not found and this interceptor passes packets through untouched
// (TestReceivingAllocatesNothing would then fail, not the media).
package rtphdr

import (
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
)

// headerKey is Pion's attributes key for the parsed RTP header, or nil.
var headerKey = findHeaderKey()

func findHeaderKey() any {
	probe := interceptor.Attributes{}
	raw, err := (&rtp.Header{Version: 2}).Marshal()
	if err != nil {
		return nil
	}
	if _, err := probe.GetRTPHeader(raw); err != nil {
		return nil
	}
	for k, v := range probe {
		if _, ok := v.(*rtp.Header); ok {
			return k
		}
	}
	return nil
}

// Factory makes the interceptor for Pion's registry. Register it before
// any interceptor that reads headers, so that it sits innermost.
type Factory struct{}

// NewInterceptor implements interceptor.Factory.
func (Factory) NewInterceptor(string) (interceptor.Interceptor, error) {
	return &Interceptor{}, nil
}

// Interceptor is the header cache of one peer connection.
type Interceptor struct {
	interceptor.NoOp
}

// BindRemoteStream implements interceptor.Interceptor. A stream is read by
// one goroutine at a time (its track's reader), and no interceptor keeps
// the header past its own call, so one map and one header per stream do.
func (*Interceptor) BindRemoteStream(_ *interceptor.StreamInfo, reader interceptor.RTPReader) interceptor.RTPReader {
	if headerKey == nil {
		return reader
	}
	attr := interceptor.Attributes{}
	hdr := &rtp.Header{}
	return interceptor.RTPReaderFunc(func(b []byte, a interceptor.Attributes) (int, interceptor.Attributes, error) {
		n, a, err := reader.Read(b, a)
		if err != nil || a != nil {
			return n, a, err
		}
		clear(attr)
		if _, err := hdr.Unmarshal(b[:n]); err != nil {
			return n, nil, nil // let the readers above report it, as without the cache
		}
		attr[headerKey] = hdr
		return n, attr, nil
	})
}
