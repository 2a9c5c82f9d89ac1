//go:build !linux

package udpbatch

import (
	"net"

	"golang.org/x/net/ipv4"
)

// receiver reads batches through x/net, which outside Linux reads one
// datagram per call.
type receiver struct {
	batch *ipv4.PacketConn
	msgs  []ipv4.Message
}

func newReceiver(udp *net.UDPConn) (*receiver, error) {
	r := &receiver{batch: ipv4.NewPacketConn(udp), msgs: make([]ipv4.Message, maxBatch)}
	for i := range r.msgs {
		r.msgs[i].Buffers = [][]byte{make([]byte, readSize)}
	}
	return r, nil
}

func (r *receiver) readBatch() (int, error) { return r.batch.ReadBatch(r.msgs, 0) }

func (r *receiver) datagram(i int) ([]byte, net.Addr) {
	return r.msgs[i].Buffers[0][:r.msgs[i].N], r.msgs[i].Addr
}
