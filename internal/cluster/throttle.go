package cluster

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/conclave-meet/conclave/internal/throttle"
)

// Limiter is the part of throttle.Limiter a shared limiter needs.
type Limiter interface {
	Share(throttle.Peers)
	PeerFailed(keys ...string)
	PeerReset(keys ...string)
}

// throttleEvent is one failure or reset on the wire. Keys are the
// limiter's own: addresses in the clear (they must match on every node),
// accounts as hashes (throttle.AccountKey). They travel through the
// cluster's database connection and are never stored.
type throttleEvent struct {
	Reset bool     `json:"r,omitempty"`
	Keys  []string `json:"k"`
}

// outbox bounds the failures waiting to be published: a guesser who
// fails faster than the database takes signals loses some of the
// replication, never the local count, and never blocks a handler.
const outbox = 1024

// ShareLimiter makes l count the failures of the limiter of the same name
// on every other node, and send its own to them, until ctx ends. The
// topic is "throttle." + name.
func ShareLimiter(ctx context.Context, b *Bus, name string, l Limiter) {
	topic := "throttle." + name
	b.Subscribe(topic, func(m Message) {
		var ev throttleEvent
		if err := json.Unmarshal(m.Data, &ev); err != nil || len(ev.Keys) == 0 {
			b.log.Warn("cluster signals: bad throttle message dropped", "topic", topic)
			return
		}
		if ev.Reset {
			l.PeerReset(ev.Keys...)
		} else {
			l.PeerFailed(ev.Keys...)
		}
	})
	p := &peers{q: make(chan throttleEvent, outbox), log: b.log}
	go p.run(ctx, b, topic)
	l.Share(p)
}

// peers implements throttle.Peers: it queues, and a goroutine publishes.
type peers struct {
	q   chan throttleEvent
	log *slog.Logger
}

func (p *peers) Failed(keys []string) { p.send(throttleEvent{Keys: keys}) }
func (p *peers) Reset(keys []string)  { p.send(throttleEvent{Reset: true, Keys: keys}) }

func (p *peers) send(ev throttleEvent) {
	select {
	case p.q <- ev:
	default:
		p.log.Warn("cluster signals: throttle outbox full, a failure was counted on this node only")
	}
}

func (p *peers) run(ctx context.Context, b *Bus, topic string) {
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-p.q:
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := b.Publish(pctx, topic, ev); err != nil && ctx.Err() == nil {
				p.log.Warn("cluster signals: a throttle failure was not sent to other nodes", "err", err)
			}
			cancel()
		}
	}
}
