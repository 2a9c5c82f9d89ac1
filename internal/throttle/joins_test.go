package throttle

import (
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAttemptCountsUntilLockedThenRefuses(t *testing.T) {
	c := newClock()
	l := New(testPolicy, c.Now)
	for i := range testPolicy.MaxFailures - 1 {
		if wait, locked := l.Attempt("ip:a", "meeting:m"); wait != 0 || len(locked) != 0 {
			t.Fatalf("attempt %d: wait %v locked %v", i+1, wait, locked)
		}
	}
	// The attempt that reaches the limit proceeds and locks both keys.
	wait, locked := l.Attempt("ip:a", "meeting:m")
	if wait != 0 || !slices.Equal(locked, []string{"ip:a", "meeting:m"}) {
		t.Fatalf("attempt at the limit: wait %v locked %v", wait, locked)
	}
	if wait, locked := l.Attempt("ip:a", "meeting:other"); wait != testPolicy.Lockout || locked != nil {
		t.Fatalf("attempt while locked: wait %v locked %v", wait, locked)
	}
	// A refused attempt counts against no key: the other meeting is clean.
	expectCheck(t, l, 0, "meeting:other")
	c.Advance(testPolicy.Lockout)
	if wait, _ := l.Attempt("ip:a"); wait != 0 {
		t.Fatalf("after the lock-out: wait %v", wait)
	}
}

// TestAttemptParallel: however many attempts race, exactly MaxFailures
// proceed and exactly one of them reports the lock-out.
func TestAttemptParallel(t *testing.T) {
	l := New(Policy{MaxFailures: 10, Window: time.Hour, Lockout: time.Hour, MaxKeys: 10}, newClock().Now)
	var passed, lockers atomic.Int32
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			wait, locked := l.Attempt("ip:a")
			if wait == 0 {
				passed.Add(1)
			}
			if len(locked) > 0 {
				lockers.Add(1)
			}
		})
	}
	wg.Wait()
	if passed.Load() != 10 || lockers.Load() != 1 {
		t.Fatalf("%d attempts passed and %d saw the lock-out, want 10 and 1", passed.Load(), lockers.Load())
	}
}

func TestNewJoinsPolicies(t *testing.T) {
	l := NewJoins(newClock().Now)
	ip, meeting := JoinIPPolicy().MaxFailures, JoinMeetingPolicy().MaxFailures
	if ip >= meeting {
		t.Fatalf("per-address limit %d not below the per-meeting one %d", ip, meeting)
	}
	for range ip {
		l.Attempt(IPKey("192.0.2.1"))
	}
	if l.Check(IPKey("192.0.2.1")) == 0 {
		t.Fatalf("%d joins from one address did not lock it", ip)
	}
	for range ip {
		l.Attempt(MeetingKey("m"))
	}
	if l.Check(MeetingKey("m")) != 0 {
		t.Fatalf("%d joins locked the meeting, limit %d", ip, meeting)
	}
}

func TestNewJoinsLimitedRaisesTheAddressLimit(t *testing.T) {
	l := NewJoinsLimited(nil, 100, 0)
	for i := range 100 {
		if wait, _ := l.Attempt(IPKey("198.51.100.7")); wait > 0 {
			t.Fatalf("join %d refused under a limit of 100", i+1)
		}
	}
	if wait, _ := l.Attempt(IPKey("198.51.100.7")); wait == 0 {
		t.Fatal("join 101 accepted over a limit of 100")
	}
	// The meeting limit keeps its default.
	m := NewJoinsLimited(nil, 100, 0)
	for i := range JoinMeetingPolicy().MaxFailures {
		if wait, _ := m.Attempt(MeetingKey("m")); wait > 0 {
			t.Fatalf("meeting join %d refused", i+1)
		}
	}
	if wait, _ := m.Attempt(MeetingKey("m")); wait == 0 {
		t.Fatal("meeting limit lost its default")
	}
}
