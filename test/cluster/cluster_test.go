// Package cluster_test runs Conclave as a cluster of separate processes:
// three `conclave serve` nodes on loopback ports sharing one PostgreSQL
// (docs/operations.md, "Several nodes"), and kills one with SIGKILL in the
// middle of a meeting.
package cluster_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/clustertest"
	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/pgtest"
	"github.com/conclave-meet/conclave/internal/testbin"
)

var bin string // the conclave binary, built once

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "conclave-cluster")
	if err == nil {
		bin, err = testbin.Conclave(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := pgtest.Run(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

const password = "cluster-test-password-1"

// cluster is one database and the settings its nodes share.
type cluster struct {
	t     testing.TB
	dsn   string
	env   []string
	admin *http.Client
}

// newCluster provisions the database and what the nodes share
// (clustertest.Env).
func newCluster(t testing.TB) *cluster {
	t.Helper()
	dsn := pgtest.New(t)
	env := append(os.Environ(), "CONCLAVE_PASSWORD="+password)
	for k, v := range clustertest.Env(t, dsn) {
		if k != "CONCLAVE_NODE_URL" { // given to serve as a flag
			env = append(env, k+"="+v)
		}
	}
	return &cluster{t: t, dsn: dsn, env: env}
}

// node is one `conclave serve` process.
type node struct {
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:port
	metrics string // http://127.0.0.1:port/metrics, with withMetrics
	errs    *lines
}

// withMetrics is the start option that serves Prometheus metrics, for
// the load benchmark.
var withMetrics = []string{"--metrics-listen", "127.0.0.1:0"}

// start runs a node on loopback ports chosen by the system, with extra
// serve flags; it returns once the node listens and has joined the
// cluster's signals.
func (c *cluster) start(extra ...string) *node {
	t := c.t
	t.Helper()
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--node-url", "http://127.0.0.1:0",
		"--data", filepath.Join(t.TempDir(), "data"), "--media-addr", "127.0.0.1", "--media-port", "0",
		"--turn-port", "0", "--mfa-roles", "none", "--log-level", "info"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = c.env
	cmd.Stdin = strings.NewReader("")
	// The node dies with the test binary, whatever ends it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &node{cmd: cmd, errs: collect(stderr)}
	out := collect(stdout)
	t.Cleanup(func() { n.kill() })
	n.base = out.await(t, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`))
	n.errs.await(t, regexp.MustCompile(`msg="?cluster signals"?`))
	if slices.Contains(extra, "--metrics-listen") {
		n.metrics = "http://" + n.errs.await(t, regexp.MustCompile(`msg="metrics listening" addr=(127\.0\.0\.1:\d+)`)) + "/metrics"
	}
	return n
}

// stop ends the node cleanly (SIGTERM), as an upgrade does.
func (n *node) stop() {
	_ = n.cmd.Process.Signal(syscall.SIGTERM)
	_ = n.cmd.Wait()
}

// kill ends the node at once, as a crash or power loss would.
func (n *node) kill() {
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	_ = n.cmd.Wait()
}

// lines collects a process's output and finds lines in it.
type lines struct {
	mu   sync.Mutex
	text []string
}

func collect(r io.Reader) *lines {
	l := &lines{}
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() { // drained to the end, so the process never blocks
			l.mu.Lock()
			l.text = append(l.text, sc.Text())
			l.mu.Unlock()
		}
	}()
	return l
}

func (l *lines) find(re *regexp.Regexp) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.text {
		if m := re.FindStringSubmatch(s); m != nil {
			if len(m) > 1 {
				return m[1], true
			}
			return m[0], true
		}
	}
	return "", false
}

func (l *lines) await(t testing.TB, re *regexp.Regexp) string {
	t.Helper()
	var got string
	eventually.True(t, "output matching "+re.String(), func() bool {
		var ok bool
		got, ok = l.find(re)
		return ok
	})
	return got
}

// setUp creates the first administrator through node n's set-up link.
func (c *cluster) setUp(n *node) {
	t := c.t
	t.Helper()
	token := n.errs.await(t, regexp.MustCompile(`/setup#token=([A-Za-z0-9_-]{43})`))
	jar, _ := cookiejar.New(nil)
	c.admin = &http.Client{Jar: jar, Timeout: 20 * time.Second}
	c.post(n.base+"/api/setup", `{"token":"`+token+`","email":"admin@example.org","name":"Admin","password":"`+password+`"}`, http.StatusCreated)
}

func (c *cluster) post(url, body string, want int) []byte {
	t := c.t
	t.Helper()
	resp, err := c.admin.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d %s, want %d", url, resp.StatusCode, b, want)
	}
	return b
}

type meeting struct{ ID, Passcode string }

// meeting creates a meeting that admits at once and keeps chat history.
func (c *cluster) meeting(base, title string) meeting {
	var m meeting
	body := `{"title":"` + title + `","waiting_room":false,"join_before_host":true,"chat_history":true}`
	if err := json.Unmarshal(c.post(base+"/api/meetings", body, http.StatusCreated), &m); err != nil {
		c.t.Fatal(err)
	}
	return m
}

// holder is the node URL of the meeting's live lease ("" when none).
func (c *cluster) holder(meetingID string) string {
	conn, err := pgx.Connect(context.Background(), c.dsn)
	if err != nil {
		c.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var url string
	_ = conn.QueryRow(context.Background(), `SELECT n.url FROM meeting_leases m JOIN cluster_nodes n ON n.id = m.node_id
		WHERE m.meeting_id = $1 AND m.expires_at > now()`, meetingID).Scan(&url)
	return url
}

// verifyAudit runs `conclave audit verify` on the cluster's database.
func (c *cluster) verifyAudit() string {
	t := c.t
	t.Helper()
	cmd := exec.Command(bin, "audit", "verify", "--data", filepath.Join(t.TempDir(), "data"))
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("audit verify: %v\n%s", err, out)
	}
	return string(out)
}
