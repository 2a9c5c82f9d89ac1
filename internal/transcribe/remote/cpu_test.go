package remote

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/transcribe"
)

// benchAudio is how long the benchmark's speaker talks, per iteration.
const benchAudio = 60 * time.Second

// BenchmarkWorkerOverhead measures what reaching an engine through a
// worker costs per transcribed speaker, beyond the engine itself: TLS,
// WebSocket framing and acknowledgements, on both ends (the client as a
// Conclave server runs it, the worker's server), in this one process. The
// engine is the fake, which only counts samples and gives a result a
// second, so its own cost is next to nothing. Audio goes in 20 ms
// writes, as the transcriber writes it, as fast as the worker takes it:
// the figures are per second of audio. docs/performance.md,
// "Transcription through a worker", has the results.
func BenchmarkWorkerOverhead(b *testing.B) {
	srv, err := NewServer(ServerConfig{Engine: &fakeEngine{}, Token: token})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	counted := &countingListener{Listener: ts.Listener}
	ts.Listener = counted // under TLS: the bytes on the wire
	ts.StartTLS()
	defer ts.Close()
	ca := filepath.Join(b.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ts.Certificate().Raw}), 0o600); err != nil {
		b.Fatal(err)
	}
	eng, err := New(Config{URL: ts.URL, CAFile: ca, Token: token})
	if err != nil {
		b.Fatal(err)
	}
	chunk := make([]int16, transcribe.SampleRate/50)
	for i := range chunk {
		chunk[i] = int16(i * 97) // not silence: nothing on the path compresses
	}
	writes := int(benchAudio / (20 * time.Millisecond))
	ctx := context.Background()
	var before, after syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	for range b.N {
		s, err := eng.Open(ctx, transcribe.StreamOptions{Speaker: "p_ana", Language: "en"})
		if err != nil {
			b.Fatal(err)
		}
		results := 0
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			for range s.Results() {
				results++
			}
		}()
		for range writes {
			if err := s.Write(ctx, chunk); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Finish(ctx); err != nil {
			b.Fatal(err)
		}
		<-drained
		if want := int(benchAudio/time.Second) + 1; results != want {
			b.Fatalf("%d results, want %d", results, want)
		}
	}
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	audioSec := benchAudio.Seconds() * float64(b.N)
	cpu := time.Duration(after.Utime.Nano() + after.Stime.Nano() - before.Utime.Nano() - before.Stime.Nano()).Seconds()
	b.ReportMetric(cpu/audioSec, "cpu-s/audio-s")
	b.ReportMetric(float64(counted.in.Load())*8/1000/audioSec, "kbit/s-to-worker")
	b.ReportMetric(float64(counted.out.Load())*8/1000/audioSec, "kbit/s-from-worker")
}

// countingListener counts the bytes its connections carry each way.
type countingListener struct {
	net.Listener
	in, out atomic.Int64 // read by the worker, written by it
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, l: l}, nil
}

type countingConn struct {
	net.Conn
	l *countingListener
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.l.in.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.l.out.Add(int64(n))
	return n, err
}
