// Package bench holds the media server's target benchmarks: the real
// conclave binary under load from the project's load tester, reporting the
// figures docs/performance.md sets targets for. They run only with -bench:
//
//	go test -run XXX -bench . -benchtime 1x ./test/bench
package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/loadtest"
	"github.com/conclave-meet/conclave/internal/testbin"
)

var window = flag.Duration("window", 30*time.Second, "measured window per scenario")

// serverEnv lets a run vary the server's runtime settings alone (the load
// tester runs in this process and keeps its own), e.g. GOMAXPROCS=1 or
// GOMEMLIMIT=40MiB.
var serverEnv = flag.String("server-env", "", "extra environment for the server only, comma-separated KEY=VALUE")

var bin string

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run()) // no benchmark asked for: nothing to build
	}
	dir, err := os.MkdirTemp("", "conclave-bench")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if bin, err = testbin.Conclave(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type server struct {
	ws, metrics, meeting, passcode string
}

// start runs `conclave serve` with metrics on 127.0.0.1 and one meeting.
func start(b *testing.B) server {
	b.Helper()
	data := b.TempDir()
	run := func(args ...string) []byte {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "CONCLAVE_PASSWORD=benchmark-password-1")
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("%v: %v", args, err)
		}
		return out
	}
	run("user", "add", "--data", data, "--email", "bench@example.org", "--name", "Bench", "--role", "admin")
	var m struct{ ID, Passcode string }
	if err := json.Unmarshal(run("meeting", "create", "--data", data, "--title", "Bench", "--json", "--no-waiting-room", "--join-before-host", "--screen-share", "everyone"), &m); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "serve", "--data", data, "--listen", "127.0.0.1:0", "--media-port", "0",
		"--turn-port", "0", "--metrics-listen", "127.0.0.1:0", "--log-level", "info", "--max-participants", "500")
	cmd.Env = os.Environ()
	if *serverEnv != "" {
		cmd.Env = append(cmd.Env, strings.Split(*serverEnv, ",")...)
	}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	stdout, _ := cmd.StdoutPipe()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { cancel(); _ = cmd.Wait() })
	base := scan(b, stdout, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`))
	metrics := scan(b, stderr, regexp.MustCompile(`msg="metrics listening" addr=(127\.0\.0\.1:\d+)`))
	return server{ws: "ws" + strings.TrimPrefix(base, "http") + "/ws", metrics: "http://" + metrics + "/metrics", meeting: m.ID, passcode: m.Passcode}
}

func scan(b *testing.B, r interface{ Read([]byte) (int, error) }, re *regexp.Regexp) string {
	b.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		sent := false
		for sc.Scan() { // keep draining so the server never blocks on a pipe
			if m := re.FindStringSubmatch(sc.Text()); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
	}()
	select {
	case s := <-found:
		return s
	case <-time.After(20 * time.Second):
		b.Fatalf("server never printed %s", re)
	}
	return ""
}

// BenchmarkTargets runs each scenario once and reports the target figures:
// forwarded packets per server CPU-second, loss, the server's p99 forwarding
// latency and the p99 time from join to first media.
func BenchmarkTargets(b *testing.B) {
	cases := []struct {
		name string
		cfg  loadtest.Config
	}{
		{"meeting-6", loadtest.Config{Scenario: loadtest.ScenarioMeeting, Publishers: 6}},
		{"webinar-1to20", loadtest.Config{Scenario: loadtest.ScenarioWebinar, Publishers: 1, Subscribers: 20}},
		{"audio-2to40", loadtest.Config{Scenario: loadtest.ScenarioAudio, Publishers: 2, Subscribers: 40}},
		// The comparison topologies of the media-core issue (publishers also
		// subscribe to each other), measured against other SFUs.
		{"webinar-4to12", loadtest.Config{Scenario: loadtest.ScenarioWebinar, Publishers: 4, Subscribers: 12}},
		{"webinar-2to30", loadtest.Config{Scenario: loadtest.ScenarioWebinar, Publishers: 2, Subscribers: 30}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				report(b, runScenario(b, c.cfg))
			}
		})
	}
}

// runScenario runs cfg's scenario against a fresh server: 500 kbit/s
// simulcast video, a 5 s ramp and 3 s settle, then the -window.
func runScenario(b *testing.B, cfg loadtest.Config) *loadtest.Result {
	b.Helper()
	srv := start(b)
	cfg.URL, cfg.MeetingID, cfg.Passcode, cfg.MetricsURL = srv.ws, srv.meeting, srv.passcode, srv.metrics
	cfg.Duration, cfg.Ramp, cfg.Settle, cfg.Simulcast, cfg.VideoKbps = *window, 5*time.Second, 3*time.Second, true, 500
	res, err := loadtest.Run(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	return res
}

func report(b *testing.B, r *loadtest.Result) {
	b.ReportMetric(r.LossRatio*100, "loss-%")
	b.ReportMetric(r.FirstMedia.P99, "join-to-first-p99-ms")
	b.ReportMetric(r.Latency.P99, "end-to-end-p99-ms")
	if s := r.Server; s != nil {
		if s.ForwardedPacketsPerCPUSecond != nil {
			b.ReportMetric(*s.ForwardedPacketsPerCPUSecond, "fwd-pkts/cpu-s")
		}
		if s.CPUCores != nil {
			b.ReportMetric(*s.CPUCores, "server-cores")
		}
		if s.ForwardLatency != nil {
			b.ReportMetric(s.ForwardLatency.P99, "server-fwd-p99-ms")
		}
		if s.PeakRSSBytes != nil {
			b.ReportMetric(*s.PeakRSSBytes/(1<<20), "peak-rss-MiB")
		}
		if s.AllocsPerForwardedPacket != nil {
			b.ReportMetric(*s.AllocsPerForwardedPacket, "allocs/fwd-pkt")
		}
	}
	b.ReportMetric(0, "ns/op") // one scenario per op: wall time says nothing
}
