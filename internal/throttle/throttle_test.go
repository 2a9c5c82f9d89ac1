package throttle

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/testclock"
)

func newClock() *testclock.Clock { return testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) }

var testPolicy = Policy{MaxFailures: 3, Window: 10 * time.Minute, Lockout: 5 * time.Minute, MaxKeys: 100}

func failN(t *testing.T, l *Limiter, n int, keys ...string) {
	t.Helper()
	for i := range n {
		if got := l.Fail(keys...); len(got) != 0 {
			t.Fatalf("failure %d of %d locked %v", i+1, n, got)
		}
	}
}

func expectCheck(t *testing.T, l *Limiter, want time.Duration, keys ...string) {
	t.Helper()
	if got := l.Check(keys...); got != want {
		t.Fatalf("Check(%v) = %v, want %v", keys, got, want)
	}
}

func TestLocksAfterMaxFailuresForLockout(t *testing.T) {
	c := newClock()
	l := New(testPolicy, c.Now)
	expectCheck(t, l, 0, "ip:a")
	failN(t, l, 2, "ip:a")
	expectCheck(t, l, 0, "ip:a")
	if got := l.Fail("ip:a"); !slices.Equal(got, []string{"ip:a"}) {
		t.Fatalf("third failure locked %v, want [ip:a]", got)
	}
	expectCheck(t, l, 5*time.Minute, "ip:a")
	c.Advance(2 * time.Minute)
	expectCheck(t, l, 3*time.Minute, "ip:a")
	c.Advance(3 * time.Minute)
	expectCheck(t, l, 0, "ip:a")
	// The lock-out cleared the count: it takes MaxFailures again.
	failN(t, l, 2, "ip:a")
	if got := l.Fail("ip:a"); len(got) != 1 {
		t.Fatalf("relock: %v", got)
	}
}

func TestFailuresOutsideWindowDoNotCount(t *testing.T) {
	c := newClock()
	l := New(testPolicy, c.Now)
	failN(t, l, 2, "k")
	c.Advance(10 * time.Minute) // both now exactly a window old
	failN(t, l, 2, "k")
	c.Advance(9 * time.Minute) // the last two are still inside
	if got := l.Fail("k"); len(got) != 1 {
		t.Fatalf("three failures within the window did not lock: %v", got)
	}
}

func TestFailureWhileLockedNeitherCountsNorExtends(t *testing.T) {
	c := newClock()
	l := New(testPolicy, c.Now)
	failN(t, l, 2, "k")
	l.Fail("k")
	c.Advance(4 * time.Minute)
	for range 10 {
		if got := l.Fail("k"); len(got) != 0 {
			t.Fatalf("failure while locked reported a new lock-out: %v", got)
		}
	}
	expectCheck(t, l, time.Minute, "k")
	c.Advance(time.Minute)
	expectCheck(t, l, 0, "k")
	failN(t, l, 2, "k") // the ignored failures left no count behind
}

func TestCheckReturnsLongestLockAmongKeys(t *testing.T) {
	c := newClock()
	l := New(testPolicy, c.Now)
	failN(t, l, 2, "a")
	l.Fail("a")
	c.Advance(time.Minute)
	failN(t, l, 2, "b")
	l.Fail("b")
	expectCheck(t, l, 5*time.Minute, "a", "b", "free")
	expectCheck(t, l, 4*time.Minute, "a", "free")
	expectCheck(t, l, 0, "free")
	expectCheck(t, l, 0)
}

func TestFailReturnsOnlyNewlyLockedKeys(t *testing.T) {
	c := newClock()
	l := New(testPolicy, c.Now)
	failN(t, l, 2, "a")
	l.Fail("b")
	if got := l.Fail("a", "b"); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("locked %v, want [a]", got)
	}
	if got := l.Fail("a", "b"); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("locked %v, want [b] (a is already locked)", got)
	}
}

func TestKeyNamedTwiceCountsOnce(t *testing.T) {
	l := New(testPolicy, newClock().Now)
	failN(t, l, 1, "k", "k")
	if got := l.Fail("k", "k"); len(got) != 0 {
		t.Fatalf("duplicates counted twice: %v", got)
	}
	if got := l.Fail("k"); !slices.Equal(got, []string{"k"}) {
		t.Fatalf("locked %v", got)
	}
}

func TestResetForgetsCountAndLock(t *testing.T) {
	c := newClock()
	l := New(testPolicy, c.Now)
	failN(t, l, 2, "a", "b")
	l.Reset("a")
	failN(t, l, 2, "a")
	if got := l.Fail("b"); len(got) != 1 {
		t.Fatalf("Reset(a) touched b: %v", got)
	}
	l.Reset("b", "unknown")
	expectCheck(t, l, 0, "b")
}

func TestScopedPolicies(t *testing.T) {
	c := newClock()
	strict := Policy{MaxFailures: 1, Window: time.Minute, Lockout: time.Hour, MaxKeys: 10}
	l := NewScoped(testPolicy, map[string]Policy{"account": strict}, c.Now)
	if got := l.Fail("account:x", "ip:y", "other"); !slices.Equal(got, []string{"account:x"}) {
		t.Fatalf("locked %v, want only the account", got)
	}
	expectCheck(t, l, time.Hour, "ip:y", "account:x")
	failN(t, l, 1, "ip:y", "other") // default policy: three to lock
	if got := l.Fail("ip:y", "other"); len(got) != 2 {
		t.Fatalf("default policy: %v", got)
	}
}

func TestScope(t *testing.T) {
	for key, want := range map[string]string{"ip:::1": "ip", "account:ab": "account", "plain": "", ":x": ""} {
		if got := Scope(key); got != want {
			t.Errorf("Scope(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestAccountKeyHidesAndNormalisesAddress(t *testing.T) {
	k := AccountKey(" Ada@Example.org ")
	if k != AccountKey("ada@example.org") {
		t.Fatal("case and spaces change the key")
	}
	if k == AccountKey("bob@example.org") {
		t.Fatal("different addresses share a key")
	}
	if strings.Contains(strings.ToLower(k), "ada") || strings.Contains(k, "example") {
		t.Fatalf("key %q leaks the address", k)
	}
	if Scope(k) != ScopeAccount || len(k) != len("account:")+hashedIDLen {
		t.Fatalf("key %q", k)
	}
}

func TestServerPolicies(t *testing.T) {
	c := newClock()
	login := NewLogin(c.Now)
	ip, acct := IPKey("203.0.113.5"), AccountKey("a@example.org")
	failN(t, login, 4, ip, acct)
	if got := login.Fail(ip, acct); !slices.Equal(got, []string{acct}) {
		t.Fatalf("fifth login failure locked %v, want the account", got)
	}
	expectCheck(t, login, 15*time.Minute, ip, acct)
	for i := range 15 {
		login.Fail(ip, AccountKey(fmt.Sprintf("u%d@example.org", i)))
	}
	expectCheck(t, login, 15*time.Minute, ip) // 20 failures for the address

	pass := NewPasscodes(c.Now)
	m := MeetingKey("k3m9-x2qa-7hvt-p4dz")
	for i := range 30 {
		pass.Fail(IPKey(fmt.Sprintf("192.0.2.%d", i)), m)
	}
	expectCheck(t, pass, 10*time.Minute, m)
	expectCheck(t, pass, 0, IPKey("192.0.2.1"))
	failN(t, pass, 9, IPKey("198.51.100.1"))
	expectCheck(t, pass, 0, IPKey("198.51.100.1"))
	pass.Fail(IPKey("198.51.100.1"))
	expectCheck(t, pass, 10*time.Minute, IPKey("198.51.100.1"))
}

func TestInvalidPolicyPanics(t *testing.T) {
	for _, p := range []Policy{{}, {MaxFailures: 1, Window: 1, Lockout: 1}, {MaxFailures: 1, Window: 1, MaxKeys: 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", p)
				}
			}()
			New(p, nil)
		}()
	}
}

func TestNilClockUsesTimeNow(t *testing.T) {
	l := New(testPolicy, nil)
	failN(t, l, 2, "k")
	l.Fail("k")
	if got := l.Check("k"); got <= 0 || got > testPolicy.Lockout {
		t.Fatalf("Check = %v", got)
	}
}
