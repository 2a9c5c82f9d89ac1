package throttle

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

func TestMaxKeysBoundsMemory(t *testing.T) {
	c := newClock()
	p := testPolicy
	p.MaxKeys = 50
	l := NewScoped(p, map[string]Policy{"a": p}, c.Now)
	for i := range 10_000 {
		l.Fail(fmt.Sprintf("a:%d", i), fmt.Sprintf("b:%d", i))
		if n := l.Len(); n > 2*p.MaxKeys {
			t.Fatalf("after %d failures %d keys tracked, cap %d", i+1, n, 2*p.MaxKeys)
		}
	}
}

func TestFullTableKeepsLockedKeys(t *testing.T) {
	c := newClock()
	p := testPolicy
	p.MaxKeys = 10
	l := New(p, c.Now)
	failN(t, l, 2, "victim")
	l.Fail("victim")
	failN(t, l, 2, "counting") // the unlocked key that failed least recently
	c.Advance(time.Second)
	for i := range 1000 {
		l.Fail(fmt.Sprintf("flood:%d", i))
	}
	expectCheck(t, l, p.Lockout-time.Second, "victim")
	if got := l.Fail("counting"); len(got) != 0 {
		t.Fatal("the flood should have evicted the partial count, not the lock")
	}
	if n := l.Len(); n > p.MaxKeys {
		t.Fatalf("%d keys tracked, cap %d", n, p.MaxKeys)
	}
}

func TestFullOfLocksDropsTheSoonestToEnd(t *testing.T) {
	c := newClock()
	p := testPolicy
	p.MaxFailures, p.MaxKeys = 1, 3
	l := New(p, c.Now)
	for _, k := range []string{"first", "second", "third"} {
		l.Fail(k)
		c.Advance(time.Second)
	}
	if got := l.Fail("fourth"); len(got) != 1 {
		t.Fatalf("new key not tracked: %v", got)
	}
	expectCheck(t, l, 0, "first")
	for _, k := range []string{"second", "third", "fourth"} {
		if l.Check(k) == 0 {
			t.Errorf("%s lost its lock", k)
		}
	}
}

func TestExpiredKeysArePurged(t *testing.T) {
	c := newClock()
	l := New(testPolicy, c.Now)
	for i := range 20 {
		l.Fail(fmt.Sprintf("k:%d", i))
	}
	failN(t, l, 2, "locked")
	l.Fail("locked")
	c.Advance(testPolicy.Window)
	l.Fail("new") // a window has passed: sweeps
	if n := l.Len(); n != 1 {
		t.Fatalf("%d keys tracked after the window, want only the new one", n)
	}
}

// TestConcurrentUse runs under -race in the package tests. Every goroutine
// fails once on a shared key, so exactly one of them must see the lock-out
// begin, however the calls interleave.
func TestConcurrentUse(t *testing.T) {
	c := newClock()
	p := Policy{MaxFailures: 10, Window: time.Hour, Lockout: time.Hour, MaxKeys: 64}
	// The churn has a scope of its own, so its evictions cannot touch the
	// shared key's count.
	l := NewScoped(p, map[string]Policy{"churn": p}, c.Now)
	const workers = 50
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		lockers int
	)
	for w := range workers {
		wg.Go(func() {
			own := fmt.Sprintf("own:%d", w)
			for i := range 20 {
				l.Check("shared", own)
				l.Fail(fmt.Sprintf("churn:%d:%d", w, i))
				l.Reset(own)
			}
			if got := l.Fail("shared", own); len(got) > 0 && got[0] == "shared" {
				mu.Lock()
				lockers++
				mu.Unlock()
			}
			c.Advance(time.Millisecond)
		})
	}
	wg.Wait()
	if lockers != 1 {
		t.Fatalf("%d goroutines saw the shared key lock, want 1", lockers)
	}
	if l.Check("shared") == 0 {
		t.Fatal("shared key not locked")
	}
	if n := l.Len(); n > 2*p.MaxKeys {
		t.Fatalf("%d keys tracked, cap %d", n, 2*p.MaxKeys)
	}
}
