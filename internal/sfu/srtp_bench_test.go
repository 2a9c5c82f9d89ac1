package sfu

import (
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
)

// BenchmarkSRTPProtect measures protecting one 1,200-byte video packet
// with each profile the SFU accepts, in its order of preference
// (srtpProfiles): the reason AEAD-AES-128-GCM comes first.
func BenchmarkSRTPProtect(b *testing.B) {
	for _, p := range []srtp.ProtectionProfile{
		srtp.ProtectionProfileAeadAes128Gcm, srtp.ProtectionProfileAeadAes256Gcm, srtp.ProtectionProfileAes128CmHmacSha1_80,
	} {
		b.Run(p.String(), func(b *testing.B) {
			keyLen, err := p.KeyLen()
			if err != nil {
				b.Fatal(err)
			}
			saltLen, err := p.SaltLen()
			if err != nil {
				b.Fatal(err)
			}
			ctx, err := srtp.CreateContext(make([]byte, keyLen), make([]byte, saltLen), p)
			if err != nil {
				b.Fatal(err)
			}
			pkt := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SSRC: 1}, Payload: make([]byte, 1200)}
			out := make([]byte, 0, 1500)
			b.SetBytes(int64(len(pkt.Payload)))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				pkt.SequenceNumber = uint16(i)
				raw, err := pkt.Marshal()
				if err != nil {
					b.Fatal(err)
				}
				if out, err = ctx.EncryptRTP(out[:0], raw, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
