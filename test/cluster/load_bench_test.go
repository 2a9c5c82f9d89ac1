package cluster_test

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/loadtest"
)

// The load benchmark runs only with -bench (docs/performance.md, "Three
// nodes"):
//
//	go test -run XXX -bench BenchmarkCluster -benchtime 1x ./test/cluster -window 15s
var (
	window          = flag.Duration("window", 30*time.Second, "BenchmarkCluster: measured window")
	benchMeetings   = flag.Int("meetings", 3, "BenchmarkCluster: meetings, each with the scenario's participants")
	benchPublishers = flag.Int("publishers", 4, "BenchmarkCluster: publishers per meeting")
)

// BenchmarkCluster runs the same load, several meetings of the meeting
// scenario, against one node and against three nodes sharing a database,
// with the participants reaching their meetings through every node in
// turn. It reports how the meetings spread over the nodes, forwarded
// packets per server CPU-second (summed over the nodes), loss, the p99
// time from join to first media, and the summed peak RSS.
func BenchmarkCluster(b *testing.B) {
	for _, nodes := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes-%d", nodes), func(b *testing.B) {
			for range b.N {
				benchCluster(b, nodes)
			}
		})
	}
}

func benchCluster(b *testing.B, count int) {
	c := newCluster(b)
	nodes := []*node{c.start(withMetrics...)}
	c.setUp(nodes[0])
	for len(nodes) < count {
		nodes = append(nodes, c.start(withMetrics...))
	}
	cfg := loadtest.Config{Scenario: loadtest.ScenarioMeeting, Publishers: *benchPublishers,
		Duration: *window, Settle: 3 * time.Second, Simulcast: true, VideoKbps: 500,
		// Meetings join one after another (loadtest.Config.roles); about
		// 3.5 s between two meetings' first joins lets the 2 s heartbeats
		// report one meeting's participants before the next is placed.
		Ramp:   time.Duration(*benchMeetings) * 3500 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	for _, n := range nodes {
		cfg.URLs = append(cfg.URLs, "ws"+strings.TrimPrefix(n.base, "http")+"/ws")
		cfg.MetricsURLs = append(cfg.MetricsURLs, n.metrics)
	}
	var ids []string
	for i := range *benchMeetings {
		m := c.meeting(nodes[0].base, fmt.Sprintf("Load %d", i+1))
		cfg.Meetings = append(cfg.Meetings, loadtest.Meeting{ID: m.ID, Passcode: m.Passcode})
		ids = append(ids, m.ID)
	}
	// The nodes' own cost with no meeting, over the same span as the
	// window: what the load's figures include besides forwarding.
	b.ReportMetric(idleCores(b, nodes, *window), "idle-server-cores")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stop := c.watchHolders(ctx, ids)
	res, err := loadtest.Run(ctx, cfg)
	holders := stop()
	if err != nil {
		b.Fatal(err)
	}
	reportSpread(b, nodes, ids, holders)
	reportLoad(b, res)
}

// idleCores is the CPU the nodes use together while idle, in cores, over
// span.
func idleCores(b *testing.B, nodes []*node, span time.Duration) float64 {
	before, start := cpuSeconds(b, nodes), time.Now()
	<-time.After(span) // a measured span, not a wait for a condition
	return (cpuSeconds(b, nodes) - before) / time.Since(start).Seconds()
}

// cpuSeconds sums process_cpu_seconds_total over the nodes.
func cpuSeconds(b *testing.B, nodes []*node) float64 {
	total := 0.0
	for _, n := range nodes {
		resp, err := http.Get(n.metrics)
		if err != nil {
			b.Fatalf("scrape %s: %v", n.metrics, err)
		}
		fams, err := loadtest.ParseMetrics(resp.Body)
		resp.Body.Close()
		if err != nil || fams["process_cpu_seconds_total"] == nil {
			b.Fatalf("scrape %s: %v, or no process_cpu_seconds_total", n.metrics, err)
		}
		for _, m := range fams["process_cpu_seconds_total"].GetMetric() {
			total += m.GetCounter().GetValue()
		}
	}
	return total
}

// watchHolders samples the lease table during the run, for the node
// that holds each meeting: the leases are released when the meetings
// end, so they must be read while they are live. The returned function
// stops the sampling and gives the last holder seen per meeting.
func (c *cluster) watchHolders(ctx context.Context, ids []string) func() map[string]string {
	ctx, cancel := context.WithCancel(ctx)
	seen := map[string]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			got, err := liveHolders(ctx, c.dsn, ids)
			if err != nil && ctx.Err() == nil {
				c.t.Logf("lease table: %v", err)
			}
			mu.Lock()
			for id, url := range got {
				seen[id] = url
			}
			mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	})
	return func() map[string]string {
		cancel()
		wg.Wait()
		return seen
	}
}

// liveHolders is the node URL of each meeting's live lease.
func liveHolders(ctx context.Context, dsn string, ids []string) (map[string]string, error) {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT m.meeting_id, n.url FROM meeting_leases m JOIN cluster_nodes n ON n.id = m.node_id
		WHERE m.meeting_id = ANY($1) AND m.expires_at > now()`, ids)
	if err != nil {
		return nil, fmt.Errorf("query leases: %w", err)
	}
	out := map[string]string{}
	for rows.Next() {
		var id, url string
		if err := rows.Scan(&id, &url); err != nil {
			return nil, fmt.Errorf("scan lease: %w", err)
		}
		out[id] = url
	}
	return out, rows.Err()
}

// reportSpread reports how many meetings each node ran; a meeting never
// seen live fails the benchmark.
func reportSpread(b *testing.B, nodes []*node, ids []string, holders map[string]string) {
	per := map[string]int{}
	for _, n := range nodes {
		per[n.base] = 0
	}
	for _, id := range ids {
		url, ok := holders[id]
		if !ok {
			b.Fatalf("meeting %s was never seen running on a node", id)
		}
		per[url]++
	}
	var counts []int
	for _, n := range per {
		counts = append(counts, n)
	}
	sort.Sort(sort.Reverse(sort.IntSlice(counts)))
	b.Logf("meetings per node: %v", counts)
	b.ReportMetric(float64(counts[0]), "max-meetings/node")
	used := 0
	for _, n := range counts {
		if n > 0 {
			used++
		}
	}
	b.ReportMetric(float64(used), "nodes-used")
}

// reportLoad reports the load tester's totals and the servers' sums.
func reportLoad(b *testing.B, r *loadtest.Result) {
	if r.Joined != (r.Publishers+r.Subscribers)*max(len(r.Meetings), 1) || r.Disconnected > 0 {
		b.Errorf("joined %d, disconnected %d: %v", r.Joined, r.Disconnected, r.JoinErrors)
	}
	for _, rr := range r.Receivers {
		if rr.VideoStreams != rr.ExpectedVideo || rr.AudioStreams != rr.ExpectedAudio {
			b.Errorf("%s got video from %d of %d and audio from %d of %d publishers",
				rr.Name, rr.VideoStreams, rr.ExpectedVideo, rr.AudioStreams, rr.ExpectedAudio)
		}
	}
	b.ReportMetric(r.LossRatio*100, "loss-%")
	b.ReportMetric(r.FirstMedia.P99, "join-to-first-p99-ms")
	b.ReportMetric(r.Latency.P99, "end-to-end-p99-ms")
	b.ReportMetric(r.Received.PacketsPerSec, "recv-pkts/s")
	if s := r.Server; s != nil {
		for unit, v := range map[string]*float64{"fwd-pkts/cpu-s": s.ForwardedPacketsPerCPUSecond, "server-cores": s.CPUCores} {
			if v != nil {
				b.ReportMetric(*v, unit)
			}
		}
		if s.PeakRSSBytes != nil {
			b.ReportMetric(*s.PeakRSSBytes/(1<<20), "peak-rss-MiB")
		}
		if s.Failures > 0 {
			b.Errorf("%d of %d scrapes failed: %s", s.Failures, s.Scrapes, s.LastError)
		}
	}
	for _, m := range r.Meetings {
		b.Logf("meeting %s: joined %d, %.0f packets/s received, loss %.3f%%, first media p99 %.0f ms",
			m.ID, m.Joined, m.Received.PacketsPerSec, m.LossRatio*100, m.FirstMedia.P99)
	}
	b.ReportMetric(0, "ns/op") // one run per op: wall time says nothing
}
