package eventually

import (
	"sync/atomic"
	"testing"
)

func TestTrueWaitsForTheCondition(t *testing.T) {
	var n atomic.Int32
	True(t, "three polls", func() bool { return n.Add(1) >= 3 })
	if n.Load() != 3 {
		t.Fatalf("polled %d times", n.Load())
	}
}
