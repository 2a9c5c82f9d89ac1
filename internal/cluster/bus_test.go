package cluster

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// inbox collects what a node's handler receives.
type inbox struct {
	mu   sync.Mutex
	msgs []Message
}

func (i *inbox) add(m Message) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.msgs = append(i.msgs, m)
}

func (i *inbox) all() []Message {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]Message{}, i.msgs...)
}

// node opens a bus for node id, runs it until the test ends and waits
// until it listens.
func node(t *testing.T, dsn, id string, topics ...string) (*Bus, *inbox) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b, err := Open(ctx, dsn, Options{Node: id, Retry: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	in := &inbox{}
	for _, topic := range topics {
		b.Subscribe(topic, in.add)
	}
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; b.Close() })
	select {
	case <-b.Ready():
	case <-time.After(30 * time.Second):
		t.Fatal("bus never listened")
	}
	return b, in
}

func TestSignalsReachOtherNodesOnly(t *testing.T) {
	dsn := pgtest.New(t)
	a, fromA := node(t, dsn, "a", "ban")
	_, fromB := node(t, dsn, "b", "ban")
	_, other := node(t, dsn, "c", "session")
	ctx := context.Background()
	for i := range 3 {
		if err := a.Publish(ctx, "ban", map[string]int{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	eventually.True(t, "node b received a's three messages", func() bool { return len(fromB.all()) == 3 })
	for i, m := range fromB.all() {
		var d map[string]int
		if err := json.Unmarshal(m.Data, &d); err != nil || d["n"] != i || m.Node != "a" || m.Topic != "ban" {
			t.Errorf("message %d = %+v (%v), want n=%d from a, in order", i, m, err, i)
		}
	}
	// A marker through the same channel: once c has it, a would have had
	// its own messages too, had they been delivered back.
	if err := a.Publish(ctx, "session", "marker"); err != nil {
		t.Fatal(err)
	}
	eventually.True(t, "node c received the marker", func() bool { return len(other.all()) == 1 })
	if got := fromA.all(); len(got) != 0 {
		t.Errorf("node a received its own messages: %+v", got)
	}
}

func TestOversizedMessageRefused(t *testing.T) {
	a, _ := node(t, pgtest.New(t), "a")
	big := make([]byte, MaxPayload)
	if err := a.Publish(context.Background(), "x", big); err == nil {
		t.Error("an oversized message was published")
	}
}

func TestReconnectsAndTellsSubscribers(t *testing.T) {
	dsn := pgtest.New(t)
	a, _ := node(t, dsn, "a")
	b, fromB := node(t, dsn, "b", "ping")
	var mu sync.Mutex
	reconnects := 0
	b.OnReconnect(func() { mu.Lock(); reconnects++; mu.Unlock() })
	// Cut every listening connection, as a database restart or a network
	// failure would.
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(),
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()"); err != nil {
		t.Fatal(err)
	}
	eventually.True(t, "b reconnected and said so", func() bool { mu.Lock(); defer mu.Unlock(); return reconnects >= 1 })
	eventually.True(t, "messages flow again after the reconnection", func() bool {
		if err := a.Publish(context.Background(), "ping", nil); err != nil {
			t.Fatal(err)
		}
		return len(fromB.all()) > 0
	})
}

func TestNodeIDRequired(t *testing.T) {
	if _, err := Open(context.Background(), "postgres:///x", Options{}); err == nil {
		t.Error("a bus without a node ID was opened")
	}
}

// BenchmarkSignal measures one signal from publish to delivery on the
// other node (docs/architecture.md, "Cluster signals").
func BenchmarkSignal(b *testing.B) {
	dsn := pgtest.New(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pub, err := Open(ctx, dsn, Options{Node: "a"})
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	sub, err := Open(ctx, dsn, Options{Node: "b"})
	if err != nil {
		b.Fatal(err)
	}
	defer sub.Close()
	got := make(chan struct{}, 1024)
	sub.Subscribe("bench", func(Message) { got <- struct{}{} })
	go sub.Run(ctx)
	<-sub.Ready()
	b.ResetTimer()
	for b.Loop() {
		if err := pub.Publish(ctx, "bench", map[string]string{"meeting": "k3m9-x2qa-7hvt-p4dz", "participant": "p_5gq2"}); err != nil {
			b.Fatal(err)
		}
		<-got
	}
}
