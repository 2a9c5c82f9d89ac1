package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/testlog"
)

// serveWith runs serve on dir with extra flags and an empty environment,
// and returns its base URL, its log and a function that stops it and
// waits for it to exit.
func serveWith(t *testing.T, dir string, extra ...string) (string, *testlog.Buffer, func()) {
	t.Helper()
	var out, errb testlog.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data", dir, "--turn-port", "0", "--media-port", "0",
		"--mfa-roles", "none"}, extra...) // the setup admin signs in with a password alone
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, e) }()
	base := waitFor(t, &out, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`))
	return base, &errb, func() {
		cancel()
		awaitExit(t, done, &errb)
	}
}

type versionAnswer struct {
	Version string `json:"version"`
	Update  struct {
		Status string `json:"status"`
		Feed   string `json:"feed"`
		Latest *struct {
			Version string `json:"version"`
		} `json:"latest"`
		Security bool `json:"security"`
	} `json:"update"`
}

func adminVersion(t *testing.T, c *http.Client, base string) versionAnswer {
	t.Helper()
	resp, err := c.Get(base + "/api/admin/version")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v versionAnswer
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&v) != nil {
		t.Fatalf("GET /api/admin/version: %d", resp.StatusCode)
	}
	return v
}

// TestServeReleaseFeed: a server configured without a release feed never
// contacts one (the feed below fails the test if it is asked anything
// then), and says so to the administrator; the same server given the
// feed fetches it at start and reports the newer release, which shows
// that the first half would have noticed a request.
func TestServeReleaseFeed(t *testing.T) {
	old := version
	version = "v1.4.0"
	t.Cleanup(func() { version = old })
	var hits atomic.Int32
	var configured atomic.Bool
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if !configured.Load() {
			t.Errorf("release feed contacted by a server configured without one: %s %s", r.Method, r.URL)
		}
		if r.Header.Get("User-Agent") != "Conclave" || r.Header.Get("Cookie") != "" || r.URL.RawQuery != "token=s3cret" {
			t.Errorf("feed request %s with headers %v", r.URL, r.Header)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"releases":[{"version":"1.5.0","date":"2026-11-30","url":"https://conclave.example.org/1.5.0","security":true}]}`))
	}))
	defer feed.Close()
	dir := t.TempDir()

	base, log, stop := serveWith(t, dir)
	token := waitFor(t, log, regexp.MustCompile(`/setup#token=([A-Za-z0-9_-]{43})`))
	admin := jarClient(t)
	post(t, admin, base+"/api/setup", `{"token":"`+token+`","email":"admin@example.org","name":"Admin","password":"`+testPassword+`"}`, http.StatusCreated)
	if v := adminVersion(t, admin, base); v.Version != "v1.4.0" || v.Update.Status != "not_configured" || v.Update.Feed != "" {
		t.Fatalf("without a feed: %+v", v)
	}
	stop()
	if n := hits.Load(); n != 0 {
		t.Fatalf("%d requests to the feed from a server configured without one", n)
	}

	configured.Store(true)
	base, log, stop = serveWith(t, dir, "--release-feed", feed.URL+"/feed.json?token=s3cret")
	defer stop()
	admin = jarClient(t)
	post(t, admin, base+"/api/login", `{"email":"admin@example.org","password":"`+testPassword+`"}`, http.StatusOK)
	eventually.True(t, "the feed's verdict", func() bool { return adminVersion(t, admin, base).Update.Status == "available" })
	v := adminVersion(t, admin, base)
	if v.Update.Latest == nil || v.Update.Latest.Version != "1.5.0" || !v.Update.Security || v.Update.Feed != strings.TrimPrefix(feed.URL, "http://") {
		t.Fatalf("with a feed: %+v", v)
	}
	if hits.Load() != 1 {
		t.Fatalf("%d fetches at start, want 1", hits.Load())
	}
	if strings.Contains(log.String(), "s3cret") {
		t.Fatalf("the feed's token reached the log:\n%s", log.String())
	}
}
