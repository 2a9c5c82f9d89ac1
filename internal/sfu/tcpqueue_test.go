package sfu

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

func frame(i int, size int) []byte {
	b := make([]byte, size)
	binary.BigEndian.PutUint32(b, uint32(i))
	return b
}

// A peer that reads gets every frame, whole and in order.
func TestQueuedConnDeliversInOrder(t *testing.T) {
	server, client := net.Pipe()
	defer client.Close()
	var dropped atomic.Uint64
	q := newQueuedConn(server, 1<<20, &dropped)
	defer q.Close()
	const n = 500
	got := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(io.LimitReader(client, n*100))
		got <- b
	}()
	var want bytes.Buffer
	for i := range n {
		f := frame(i, 100)
		want.Write(f)
		if k, err := q.Write(f); err != nil || k != len(f) {
			t.Fatalf("write %d: %d, %v", i, k, err)
		}
	}
	if b := <-got; !bytes.Equal(b, want.Bytes()) {
		t.Fatalf("received %d bytes, not the %d written in order", len(b), want.Len())
	}
	if dropped.Load() != 0 {
		t.Fatalf("dropped %d with a reading peer", dropped.Load())
	}
}

// A peer that stops reading (a congested TCP subscriber) never blocks the
// writer: whole frames beyond the queue's bound are dropped and counted.
func TestQueuedConnNeverBlocksOnAStalledPeer(t *testing.T) {
	server, client := net.Pipe() // unbuffered: every Write waits for a Read
	defer client.Close()
	var dropped atomic.Uint64
	q := newQueuedConn(server, 64<<10, &dropped)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 10_000 {
			if _, err := q.Write(frame(i, 1200)); err != nil {
				t.Errorf("write %d: %v", i, err)
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("Write blocked on a peer that does not read")
	}
	if d := dropped.Load(); d < 10_000-64<<10/1200-1 {
		t.Fatalf("dropped %d frames; the queue holds at most %d", d, 64<<10/1200+1)
	}
	// What does get through is whole frames from the start, in order.
	buf := make([]byte, 1200)
	if _, err := io.ReadFull(client, buf); err != nil || binary.BigEndian.Uint32(buf) != 0 {
		t.Fatalf("first frame after the stall: %v, %d", err, binary.BigEndian.Uint32(buf))
	}
	// Closing while the writer is stuck returns, and later writes fail.
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Write(frame(0, 10)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	<-q.stopped
}

// When the socket fails, the next Write reports it, so Pion drops the
// connection.
func TestQueuedConnReportsWriteFailure(t *testing.T) {
	server, client := net.Pipe()
	var dropped atomic.Uint64
	q := newQueuedConn(server, 1<<20, &dropped)
	defer q.Close()
	client.Close()
	if _, err := q.Write(frame(0, 10)); err != nil {
		t.Fatalf("first write is queued: %v", err)
	}
	<-q.stopped
	if _, err := q.Write(frame(1, 10)); err == nil {
		t.Fatal("write after the socket failed succeeded")
	}
}
