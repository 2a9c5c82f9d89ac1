// Package browser holds end-to-end tests: the real conclave binary, started
// the way an operator starts it, driven the way a person uses it through
// Debian's Chromium (chromedp; fake camera, microphone and screen) and
// Debian's Firefox ESR (WebDriver BiDi, bidi_test.go; fake camera and
// microphone).
package browser

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/conclave-meet/conclave/internal/pgtest"
	"github.com/conclave-meet/conclave/internal/testbin"
)

var conclaveBin string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if _, err := exec.LookPath(chromiumPath()); err != nil {
		fmt.Fprintln(os.Stderr, "browser tests need Chromium: apt-get install chromium (./test.sh does this)")
		return 1
	}
	if _, err := exec.LookPath(firefoxPath()); err != nil {
		fmt.Fprintln(os.Stderr, "browser tests need Firefox: apt-get install firefox-esr (./test.sh does this)")
		return 1
	}
	dir, err := os.MkdirTemp("", "conclave-browser-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if conclaveBin, err = testbin.Conclave(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// PostgreSQL, for the cluster test, starts on first use.
	return pgtest.Run(m)
}

func chromiumPath() string {
	if p := os.Getenv("CONCLAVE_CHROMIUM"); p != "" {
		return p
	}
	return "chromium"
}

// server is a running `conclave serve` with one meeting.
type server struct {
	pid        int
	base       string
	meetingID  string
	passcode   string
	meetingURL string
	data       string // the data directory, for further cli commands
}

// The account startServer makes; it hosts the meeting. cli passes the
// password to `conclave user add` as CONCLAVE_PASSWORD.
const (
	hostEmail    = "host@example.org"
	hostName     = "Host"
	hostPassword = "correct horse battery staple"
)

// startServer runs the real binary with a meeting that guests enter at
// once (no waiting room, no need to wait for the host) and where they may
// share the screen. The media and client tests join as guests only; the
// waiting room and roles have their own tests (moderation_test.go).
func startServer(t *testing.T) *server {
	t.Helper()
	return startServerWith(t, "--no-waiting-room", "--join-before-host", "--screen-share", "everyone")
}

// startServerWith runs the real binary on 127.0.0.1 with a fresh data dir:
// an admin and a meeting made with the CLI (meetingFlags are added to
// `conclave meeting create`), media on a free loopback port.
func startServerWith(t *testing.T, meetingFlags ...string) *server {
	t.Helper()
	data := t.TempDir()
	cli(t, data, "user", "add", "--data", data, "--email", hostEmail, "--name", hostName, "--role", "admin")
	var m struct {
		ID       string `json:"id"`
		Passcode string `json:"passcode"`
	}
	args := append([]string{"meeting", "create", "--data", data, "--title", "Browser test", "--json"}, meetingFlags...)
	if err := json.Unmarshal([]byte(cli(t, data, args...)), &m); err != nil {
		t.Fatal(err)
	}
	pid, base := serveData(t, data)
	return &server{pid: pid, base: base, meetingID: m.ID, passcode: m.Passcode, meetingURL: base + "/m/" + m.ID + "#pwd=" + m.Passcode, data: data}
}

// restart runs the server again on the same data directory (after the
// test stopped or killed it) and returns its new base URL.
func (s *server) restart(t *testing.T) string {
	t.Helper()
	s.pid, s.base = serveData(t, s.data)
	s.meetingURL = s.base + "/m/" + s.meetingID + "#pwd=" + s.passcode
	return s.base
}

// serveData runs `conclave serve` on data, on 127.0.0.1 with free ports,
// until the test ends; it returns the process ID and the base URL. The
// host is an administrator, whose role requires a second factor by
// default: unless flags say otherwise (mfa_test.go), none is required, so
// that the other tests sign in with a password alone.
func serveData(t *testing.T, data string, flags ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	if !slices.Contains(flags, "--mfa-roles") {
		flags = append(flags, "--mfa-roles", "none")
	}
	args := append([]string{"serve", "--data", data, "--listen", "127.0.0.1:0",
		"--media-port", "0", "--turn-port", "0", "--log-level", "warn"}, flags...)
	cmd := exec.CommandContext(ctx, conclaveBin, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedLog{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	base := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if mm := re.FindStringSubmatch(sc.Text()); mm != nil {
				base <- mm[1]
			}
		}
	}()
	select {
	case b := <-base:
		return cmd.Process.Pid, b
	case <-time.After(20 * time.Second):
		t.Fatalf("server did not start:\n%s", logs.String())
	}
	return 0, ""
}

func cli(t *testing.T, data string, args ...string) string {
	t.Helper()
	cmd := exec.Command(conclaveBin, args...)
	cmd.Env = append(os.Environ(), "CONCLAVE_PASSWORD="+hostPassword)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("conclave %s: %v\n%s%s", strings.Join(args, " "), err, out, stderrOf(err))
	}
	return string(out)
}

type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newBrowser starts one headless Chromium for the test; participants are
// separate browser contexts (like separate profiles) in it.
// extra options are added (a fake microphone that plays a file, say).
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath()),
		chromedp.Flag("headless", "new"),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("allow-loopback-in-peer-connection", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 800),
	}
	opts = append(opts, extra...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		cancel()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	return ctx
}

// stderrOf is what a failed command printed on stderr.
func stderrOf(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(ee.Stderr)
	}
	return ""
}
