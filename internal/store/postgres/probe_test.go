package postgres

import (
	"context"
	"testing"
)

// TestProbeWrite: the readiness probe writes while the database takes
// writes, and fails once the store's connections are gone.
func TestProbeWrite(t *testing.T) {
	s := nodes(t, 1)[0]
	ctx := context.Background()
	for range 2 { // the first inserts the row, the second updates it
		if err := s.ProbeWrite(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM health_probe").Scan(&n); err != nil || n != 1 {
		t.Fatalf("health_probe rows %d, %v", n, err)
	}
	s.Close()
	if err := s.ProbeWrite(ctx); err == nil {
		t.Fatal("probe on a closed store succeeded")
	}
}
