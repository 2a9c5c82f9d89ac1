// Package cluster carries signals between Conclave nodes that share one
// PostgreSQL database (docs/operations.md, "Several nodes"): a node
// publishes a message on a topic, every other node's subscribers receive
// it, through PostgreSQL's LISTEN/NOTIFY.
//
// Signals are hints, never the record: what must survive (bans, sessions,
// meeting settings) is written to the database first and the signal only
// tells other nodes to act on it now instead of at their next read.
// NOTIFY is not durable: a node that is disconnected misses what was sent
// meanwhile, so subscribers learn of each reconnection (OnReconnect) and
// re-read what they cache. docs/architecture.md says why NOTIFY and not a
// separate broker, with the measurements.
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Channel is the one PostgreSQL notification channel Conclave uses; the
// topic travels inside the payload.
const Channel = "conclave_cluster"

// MaxPayload is PostgreSQL's limit on a notification payload (8000 bytes
// by default) less room for the envelope.
const MaxPayload = 7000

// Message is one signal. Node is the publisher's node ID.
type Message struct {
	Topic string          `json:"t"`
	Node  string          `json:"n"`
	Data  json.RawMessage `json:"d,omitempty"`
}

// Handler receives the messages of a topic, one at a time in the order
// PostgreSQL delivered them, on the bus's goroutine: it must not block
// (hand slow work to another goroutine).
type Handler func(Message)

// Bus publishes and receives cluster signals. Subscribe before Run.
type Bus struct {
	node  string
	dsn   string
	pool  *pgxpool.Pool
	log   *slog.Logger
	retry time.Duration

	mu          sync.Mutex
	handlers    map[string][]Handler
	onReconnect []func()
	ready       chan struct{} // closed when the first LISTEN took effect
	readyOnce   sync.Once
}

// Options configure a Bus.
type Options struct {
	// Node identifies this node in every message it sends; its own
	// messages are not delivered back to it.
	Node string
	// Retry is the pause between reconnection attempts (default 1 s).
	Retry time.Duration
	Log   *slog.Logger
}

// Open connects the publishing side. The listening side connects in Run.
func Open(ctx context.Context, dsn string, o Options) (*Bus, error) {
	if o.Node == "" {
		return nil, errors.New("cluster: a node ID is required")
	}
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("cluster: database address: %w", err)
	}
	cfg.MaxConns = 2
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster: connect: %w", err)
	}
	return &Bus{node: o.Node, dsn: dsn, pool: pool, log: o.Log, retry: o.Retry,
		handlers: map[string][]Handler{}, ready: make(chan struct{})}, nil
}

// Node is this node's ID.
func (b *Bus) Node() string { return b.node }

// Subscribe adds h for topic.
func (b *Bus) Subscribe(topic string, h Handler) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.handlers[topic] = append(b.handlers[topic], h)
}

// OnReconnect adds f, called (on the bus's goroutine) after each
// reconnection of the listening side: what was sent while it was down is
// lost, so callers re-read what they cache.
func (b *Bus) OnReconnect(f func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.onReconnect = append(b.onReconnect, f)
}

// Ready is closed once the bus listens: messages published after it are
// delivered (tests wait on it).
func (b *Bus) Ready() <-chan struct{} { return b.ready }

// Publish sends data (JSON-encoded) on topic to every other node.
func (b *Bus) Publish(ctx context.Context, topic string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("cluster: encode %s: %w", topic, err)
	}
	payload, err := json.Marshal(Message{Topic: topic, Node: b.node, Data: raw})
	if err != nil {
		return fmt.Errorf("cluster: encode %s: %w", topic, err)
	}
	if len(payload) > MaxPayload {
		return fmt.Errorf("cluster: %s message of %d bytes, at most %d", topic, len(payload), MaxPayload)
	}
	if _, err := b.pool.Exec(ctx, "SELECT pg_notify($1, $2)", Channel, string(payload)); err != nil {
		return fmt.Errorf("cluster: publish %s: %w", topic, err)
	}
	return nil
}

// Run listens until ctx ends, reconnecting after failures.
func (b *Bus) Run(ctx context.Context) error {
	first := true
	for {
		err := b.listen(ctx, first)
		if ctx.Err() != nil {
			return nil
		}
		first = false
		b.log.Warn("cluster signals: connection lost, reconnecting", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(b.retry):
		}
	}
}

// Close releases the publishing connections; stop Run with its context.
func (b *Bus) Close() { b.pool.Close() }

func (b *Bus) listen(ctx context.Context, first bool) error {
	conn, err := pgx.Connect(ctx, b.dsn)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	b.readyOnce.Do(func() { close(b.ready) })
	if !first {
		for _, f := range b.reconnectHooks() {
			f()
		}
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("wait: %w", err)
		}
		b.deliver(n.Payload)
	}
}

func (b *Bus) reconnectHooks() []func() {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]func(){}, b.onReconnect...)
}

func (b *Bus) deliver(payload string) {
	var m Message
	if err := json.Unmarshal([]byte(payload), &m); err != nil {
		b.log.Warn("cluster signals: unreadable message dropped", "err", err)
		return
	}
	if m.Node == b.node {
		return
	}
	b.mu.Lock()
	hs := append([]Handler{}, b.handlers[m.Topic]...)
	b.mu.Unlock()
	for _, h := range hs {
		h(m)
	}
}
