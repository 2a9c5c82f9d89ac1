package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/pgtest"
	"github.com/conclave-meet/conclave/internal/testlog"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// servedNode is one `conclave serve` sharing a PostgreSQL store.
type servedNode struct {
	base string
	out  *testlog.Buffer
	errb *testlog.Buffer
}

// startNode runs serve with vars until the test ends.
func startServedNode(t *testing.T, vars map[string]string) servedNode {
	t.Helper()
	n := servedNode{out: &testlog.Buffer{}, errb: &testlog.Buffer{}}
	ctx, cancel := context.WithCancel(context.Background())
	e := env{stdin: strings.NewReader(""), stdout: n.out, stderr: n.errb, getenv: func(k string) string { return vars[k] }}
	done := make(chan int, 1)
	dir := filepath.Join(t.TempDir(), "data")
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--data", dir, "--turn-port", "0", "--media-port", "0",
			"--mfa-roles", "none"}, e)
	}()
	t.Cleanup(func() { cancel(); awaitExit(t, done, n.errb) })
	n.base = waitMatch(t, n.out, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`))
	waitMatch(t, n.errb, regexp.MustCompile(`msg="?cluster signals"? node=(\S+)`))
	return n
}

// TestPasscodeGuessesSharedAcrossNodes: wrong passcodes sent to one node
// lock the guesser out of every node sharing the database (issue 18:
// throttling holds across nodes).
func TestPasscodeGuessesSharedAcrossNodes(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	vars := map[string]string{
		"CONCLAVE_STORE":      pgURL(t, pgtest.New(t)),
		"CONCLAVE_MASTER_KEY": base64.StdEncoding.EncodeToString(key),
		"CONCLAVE_PASSWORD":   testPassword,
	}
	a := startServedNode(t, vars)
	token := waitMatch(t, a.errb, regexp.MustCompile(`/setup#token=([A-Za-z0-9_-]{43})`))
	host := jarClient(t)
	post(t, host, a.base+"/api/setup", `{"token":"`+token+`","email":"admin@example.org","name":"Admin","password":"`+testPassword+`"}`, http.StatusCreated)
	b := startServedNode(t, vars) // after set-up: a node that finds no administrator offers its own set-up link
	var m struct{ ID, Passcode string }
	if err := json.Unmarshal(post(t, host, a.base+"/api/meetings", `{"title":"Board"}`, http.StatusCreated), &m); err != nil {
		t.Fatal(err)
	}
	joinInfo := func(base, passcode string) int {
		resp, err := http.Post(base+"/api/meetings/"+m.ID+"/join-info", "application/json",
			strings.NewReader(`{"passcode":"`+passcode+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := joinInfo(b.base, m.Passcode); got != http.StatusOK {
		t.Fatalf("node b, right passcode: %d", got)
	}
	for i := range throttle.PasscodePolicy().MaxFailures {
		if got := joinInfo(a.base, "wrong-passcode"); got != http.StatusNotFound {
			t.Fatalf("node a, wrong passcode %d: %d, want 404 until the limit", i, got)
		}
	}
	if got := joinInfo(a.base, m.Passcode); got != http.StatusTooManyRequests {
		t.Fatalf("node a after the limit: %d, want 429", got)
	}
	// The right passcode is not a failure: asking node b with it changes
	// no count, and is refused once a's failures have reached b.
	eventually.True(t, "node b refuses the address locked out on node a", func() bool {
		return joinInfo(b.base, m.Passcode) == http.StatusTooManyRequests
	})
}
