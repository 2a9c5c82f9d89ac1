package bwe

import (
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/sdp/v3"
)

// Factory makes one Interceptor, with its own Estimator, per peer
// connection, and hands each Estimator to onNew.
type Factory struct {
	cfg   Config
	onNew func(*Estimator)
}

// NewFactory returns a factory for Pion's interceptor registry.
func NewFactory(cfg Config, onNew func(*Estimator)) *Factory {
	return &Factory{cfg: cfg, onNew: onNew}
}

// NewInterceptor implements interceptor.Factory.
func (f *Factory) NewInterceptor(string) (interceptor.Interceptor, error) {
	e := New(f.cfg)
	if f.onNew != nil {
		f.onNew(e)
	}
	return &Interceptor{est: e}, nil
}

// Interceptor numbers every outgoing RTP packet with the transport-wide
// sequence number extension and remembers when it left. The feedback
// about those packets is the connection's to hand to the Estimator
// (Estimator.ReadRTCP): read through an interceptor, it would take a
// goroutine per stream waiting on Pion's RTCP buffers.
type Interceptor struct {
	interceptor.NoOp
	est *Estimator
}

// BindLocalStream implements interceptor.Interceptor. Streams whose
// negotiation left out the extension are passed through untouched.
func (i *Interceptor) BindLocalStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	var id uint8
	for _, e := range info.RTPHeaderExtensions {
		if e.URI == sdp.TransportCCURI {
			id = uint8(e.ID) //nolint:gosec // extension IDs are 1–255
		}
	}
	if id == 0 {
		return writer
	}
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		// The size counted is what the extension adds to the header too:
		// the header is marshalled with it.
		ext := i.est.stamp(h.MarshalSize() + 4 + len(payload))
		if err := h.SetExtension(id, ext); err != nil {
			return 0, err
		}
		return writer.Write(h, payload, a)
	})
}
