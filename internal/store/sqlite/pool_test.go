package sqlite

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

// A burst of concurrent queries never holds more than maxOpenConns
// connections, and leaves at most maxIdleConns open behind it.
func TestPoolBoundedUnderBurst(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	const n = 4 * maxOpenConns
	var holding, peak atomic.Int64
	release := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			rows, err := s.db.QueryContext(ctx, "SELECT 1")
			if err != nil {
				errs <- err
				return
			}
			defer rows.Close()
			h := holding.Add(1)
			for p := peak.Load(); h > p && !peak.CompareAndSwap(p, h); p = peak.Load() {
			}
			<-release
			holding.Add(-1)
		})
	}
	// Hold every connection until all queries run at once or the pool
	// makes one wait: either shows the bound.
	for holding.Load() < n && s.db.Stats().WaitCount == 0 && len(errs) == 0 {
		runtime.Gosched()
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st := s.db.Stats()
	if p := peak.Load(); p > maxOpenConns || st.MaxOpenConnections != maxOpenConns {
		t.Fatalf("%d queries held connections at once (pool limit %d), want at most %d", p, st.MaxOpenConnections, maxOpenConns)
	}
	if st.OpenConnections > maxIdleConns {
		t.Fatalf("%d connections stay open after the burst, want at most %d", st.OpenConnections, maxIdleConns)
	}
}

func TestProbeWrite(t *testing.T) {
	s := openTemp(t)
	defer s.Close()
	ctx := context.Background()
	for range 2 {
		if err := s.ProbeWrite(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM health_probe").Scan(&n); err != nil || n != 1 {
		t.Fatalf("health_probe has %d rows (%v), want 1", n, err)
	}
	s.Close()
	if err := s.ProbeWrite(ctx); err == nil {
		t.Fatal("probe on a closed store succeeded")
	}
}
