package signal_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/conclave-meet/conclave/internal/testserver"
)

// steppingClock advances by step at every reading. The signalling reader
// reads its clock once per message, so whatever the real pace, the server
// sees one message every step: ten seconds of flood take no wall time.
// Each reading is also announced on read, so that a sender can keep pace
// with the reader instead of outrunning the reply queue, which a real
// flood cannot do at the real allowance of 50 messages a second.
type steppingClock struct {
	start time.Time
	step  time.Duration
	n     atomic.Int64
	read  chan struct{}
}

func newSteppingClock(step time.Duration, readings int) *steppingClock {
	return &steppingClock{start: time.Unix(1_700_000_000, 0), step: step, read: make(chan struct{}, readings)}
}

func (c *steppingClock) now() time.Time {
	c.read <- struct{}{}
	return c.start.Add(time.Duration(c.n.Add(1)) * c.step)
}

// A steady flood (one message every 13 ms, over the 50/s allowance) gets
// one rate_limited error and, after 10 s, a bye: the messages the limiter
// still lets through must not restart the flood.
func TestSteadyFloodIsCutOff(t *testing.T) {
	const flood = 2000
	clk := newSteppingClock(13*time.Millisecond, flood+1)
	srv := testserver.Start(t, testserver.Options{Clock: clk.now})
	r := dialRaw(t, srv.WS)
	r.send(goodHello)
	if m, _ := r.next(); m.Type != "welcome" {
		t.Fatalf("hello answered %s", m.Type)
	}
	<-clk.read // the hello's
	done := make(chan struct{})
	replies := make(chan struct{}, flood)
	sent := floodPings(r.ws, clk, flood, replies, done)
	defer func() { close(done); <-sent }()
	pongs, limited, bye := 0, 0, ""
	for bye == "" {
		m, err := r.next()
		if err != nil {
			t.Fatalf("connection ended without bye after %d pongs and %d rate_limited errors: %v", pongs, limited, err)
		}
		switch m.Type {
		case "pong":
			pongs++
			replies <- struct{}{}
		case "error":
			var e struct{ Code string }
			_ = json.Unmarshal(m.Data, &e)
			if e.Code != "rate_limited" {
				t.Fatalf("unexpected error %s", m.Data)
			}
			if limited++; limited > 1 {
				t.Fatalf("rate_limited error number %d after %d pongs: one per flood is the limit", limited, pongs)
			}
		case "bye":
			var b struct{ Reason string }
			_ = json.Unmarshal(m.Data, &b)
			bye = b.Reason
		}
	}
	if bye != "rate_limited" || limited != 1 {
		t.Fatalf("bye %q after %d rate_limited errors, want bye rate_limited after one", bye, limited)
	}
	r.expectClosed()
	if n := clk.n.Load() - 1; int64(pongs) >= n {
		t.Errorf("%d pongs for %d pings: nothing was refused", pongs, n)
	}
	t.Logf("%d pongs, cut off at simulated %v", pongs, time.Duration(clk.n.Load())*clk.step)
}

// floodPings sends up to n pings, each once the server has read the one
// before, until the connection fails or done closes; it reports how many
// it wrote on the returned channel.
//
// On a busy machine the server's writer may lag behind its reader, and a
// reply queue that fills (sendQueue) ends the link as a slow client, not
// a flood. So the sender also stays at most replyWindow pongs ahead of
// those read (one on replies each), counting only the pings the server's
// limiter lets through: the same token bucket (50 a second, bursts of
// 100, docs/protocol.md) replayed on the stepping clock's times.
func floodPings(ws *websocket.Conn, clk *steppingClock, n int, replies <-chan struct{}, done <-chan struct{}) <-chan int {
	const replyWindow = 100
	sim := rate.NewLimiter(50, 100)
	answered, expected := 0, 0
	sent := make(chan int, 1)
	go func() {
		i := 0
		defer func() { sent <- i }()
		for ; i < n; i++ {
			for answered+replyWindow < expected {
				select {
				case <-replies:
					answered++
				case <-done:
					return
				}
			}
			// The hello took the clock's first reading; ping i takes reading i+2.
			if sim.AllowN(clk.start.Add(time.Duration(i+2)*clk.step), 1) {
				expected++
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			err := ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ping"}`))
			cancel()
			if err != nil {
				return // the server closed the connection
			}
			select {
			case <-clk.read:
			case <-done:
				return
			}
		}
	}()
	return sent
}
