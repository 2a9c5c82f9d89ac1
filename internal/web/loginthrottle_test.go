package web

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testclock"
	"github.com/conclave-meet/conclave/internal/throttle"
)

const wrongPassword = "wrong password!"

// throttledEnv is a test server whose login throttle runs on a fake clock,
// with a handler that can be called as if from any client address.
type throttledEnv struct {
	*testEnv
	clock   *testclock.Clock
	handler http.Handler
}

func newThrottledEnv(t *testing.T) *throttledEnv {
	t.Helper()
	c := testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	e := newTestEnv(t, func(o *Options) { o.LoginThrottle = throttle.NewLogin(c.Now) })
	return &throttledEnv{testEnv: e, clock: c, handler: New(e.opts)}
}

// login posts a sign-in from addr (an IP address without port).
func (e *throttledEnv) login(addr, email, pw string) *httptest.ResponseRecorder {
	body := `{"email":"` + email + `","password":"` + pw + `"}`
	req := httptest.NewRequest("POST", "/api/login", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.RemoteAddr = net.JoinHostPort(addr, "40000")
	rec := httptest.NewRecorder()
	e.handler.ServeHTTP(rec, req)
	return rec
}

func (e *throttledEnv) expectLogin(t *testing.T, want int, addr, email, pw string) *httptest.ResponseRecorder {
	t.Helper()
	rec := e.login(addr, email, pw)
	if rec.Code != want {
		t.Fatalf("login %s from %s: status %d, want %d; body %s", email, addr, rec.Code, want, rec.Body)
	}
	return rec
}

func expectTooMany(t *testing.T, rec *httptest.ResponseRecorder, retryAfter string) {
	t.Helper()
	if rec.Code != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429; body %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("Retry-After"); got != retryAfter {
		t.Errorf("Retry-After %q, want %q", got, retryAfter)
	}
	if !strings.Contains(rec.Body.String(), `"code":"too_many_attempts"`) {
		t.Errorf("body %s lacks the error code", rec.Body)
	}
	if c := rec.Header().Values("Set-Cookie"); len(c) != 0 {
		t.Errorf("refused login set cookies %v", c)
	}
}

// countActions counts the audit entries of each action.
func (e *throttledEnv) countActions(t *testing.T) map[string]int {
	t.Helper()
	n := map[string]int{}
	for _, en := range e.entries(t) {
		n[en.Action]++
	}
	return n
}

func (e *throttledEnv) lockouts(t *testing.T) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for _, en := range e.entries(t) {
		if en.Action == string(audit.AuthLockout) {
			out = append(out, en)
		}
	}
	return out
}

func expectLockout(t *testing.T, got []audit.Entry, scope, target, addr string) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("%d lock-out entries, want 1: %+v", len(got), got)
	}
	en := got[0]
	if en.Details["scope"] != scope || en.Target != target || en.Actor != "" ||
		en.Outcome != string(audit.Denied) || en.ClientAddr != addr {
		t.Fatalf("lock-out entry %+v, want scope %s target %q from %s", en, scope, target, addr)
	}
}

func TestLoginLocksAccountAfterFiveFailures(t *testing.T) {
	e := newThrottledEnv(t)
	a := e.user(t, "a@example.org", store.RoleMember)
	e.user(t, "b@example.org", store.RoleMember)
	const attacker, other = "192.0.2.1", "2001:db8::7"

	for range 5 {
		e.expectLogin(t, http.StatusUnauthorized, attacker, "a@example.org", wrongPassword)
	}
	// Locked: even the right password, even from elsewhere, in any case.
	expectTooMany(t, e.login(attacker, "a@example.org", password), "900")
	expectTooMany(t, e.login(other, " A@Example.org", password), "900")
	// Other accounts are unaffected, from the attacker's address too (5 of 20).
	e.expectLogin(t, http.StatusOK, other, "b@example.org", password)
	e.expectLogin(t, http.StatusOK, attacker, "b@example.org", password)

	expectLockout(t, e.lockouts(t), "account", a.ID, attacker)
	if n := e.countActions(t); n["auth.login.failure"] != 5 || n["auth.login.success"] != 2 {
		t.Fatalf("refused attempts must record nothing: %v", n)
	}

	e.clock.Advance(10 * time.Minute)
	expectTooMany(t, e.login(other, "a@example.org", password), "300")
	e.clock.Advance(5 * time.Minute)
	e.expectLogin(t, http.StatusOK, other, "a@example.org", password)
	if n := len(e.lockouts(t)); n != 1 {
		t.Fatalf("%d lock-out entries after the lock-out ended", n)
	}
}

func TestSuccessfulLoginResetsOnlyTheAccount(t *testing.T) {
	e := newThrottledEnv(t)
	e.user(t, "a@example.org", store.RoleMember)
	const addr = "192.0.2.1"
	for range 4 {
		for range 4 {
			e.expectLogin(t, http.StatusUnauthorized, addr, "a@example.org", wrongPassword)
		}
		// Without the reset the account would lock in round 2; the
		// address keeps counting and locks at its 20th failure.
		e.expectLogin(t, http.StatusOK, addr, "a@example.org", password)
	}
	for range 3 {
		e.expectLogin(t, http.StatusUnauthorized, addr, "a@example.org", wrongPassword)
	}
	e.expectLogin(t, http.StatusUnauthorized, addr, "a@example.org", wrongPassword) // the 20th
	expectTooMany(t, e.login(addr, "a@example.org", password), "900")
	if got := e.lockouts(t); len(got) != 1 || got[0].Details["scope"] != "ip" {
		t.Fatalf("lock-outs %+v, want the address only", got)
	}
}

func TestLoginLocksAddressAfterTwentyFailures(t *testing.T) {
	e := newThrottledEnv(t)
	a := e.user(t, "a@example.org", store.RoleMember)
	e.user(t, "b@example.org", store.RoleMember)
	const attacker, other = "192.0.2.1", "198.51.100.7"

	for i := range 19 {
		e.expectLogin(t, http.StatusUnauthorized, attacker, fmt.Sprintf("nobody%d@example.org", i), wrongPassword)
	}
	e.expectLogin(t, http.StatusUnauthorized, attacker, "a@example.org", wrongPassword)
	expectTooMany(t, e.login(attacker, "b@example.org", password), "900")
	e.expectLogin(t, http.StatusOK, other, "b@example.org", password)
	e.expectLogin(t, http.StatusOK, other, "a@example.org", password)
	expectLockout(t, e.lockouts(t), "ip", a.ID, attacker)

	e.clock.Advance(15 * time.Minute)
	e.expectLogin(t, http.StatusOK, attacker, "b@example.org", password)
}

func TestUnknownAccountLocksLikeAKnownOne(t *testing.T) {
	e := newThrottledEnv(t)
	const addr = "192.0.2.1"
	for range 5 {
		e.expectLogin(t, http.StatusUnauthorized, addr, "ghost@example.org", wrongPassword)
	}
	expectTooMany(t, e.login(addr, "ghost@example.org", wrongPassword), "900")
	expectLockout(t, e.lockouts(t), "account", "", addr)
	// The refused attempt was not checked, so it is no recorded failure.
	if n := e.countActions(t)["auth.login.failure"]; n != 5 {
		t.Fatalf("%d failures recorded, want 5", n)
	}
}

func TestDefaultLoginThrottle(t *testing.T) {
	e := newTestEnv(t) // no LoginThrottle: New builds the default
	c := e.client(t)
	for range 5 {
		do(t, c, "POST", e.srv.URL+"/api/login", `{"email":"x@example.org","password":"`+wrongPassword+`"}`)
	}
	r := do(t, c, "POST", e.srv.URL+"/api/login", `{"email":"x@example.org","password":"`+wrongPassword+`"}`)
	expectError(t, r, http.StatusTooManyRequests, "too_many_attempts")
}

func TestRetryAfterSeconds(t *testing.T) {
	for d, want := range map[time.Duration]int{
		time.Nanosecond: 1, time.Second: 1, time.Second + 1: 2, 15 * time.Minute: 900,
	} {
		if got := retryAfterSeconds(d); got != want {
			t.Errorf("retryAfterSeconds(%v) = %d, want %d", d, got, want)
		}
	}
}
