package bench

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"testing"

	"github.com/conclave-meet/conclave/internal/loadtest"
)

var scalingOut = flag.String("scaling-out", "", "append one JSON line per BenchmarkScaling run to this file (test/bench/plot draws them)")

// Point is one BenchmarkScaling run, as test/bench/plot reads it.
type Point struct {
	Series       string   `json:"series"` // "webinar" (two publishers) or "meeting" (everyone publishes)
	Participants int      `json:"participants"`
	FwdPerCPUSec *float64 `json:"fwd_pkts_per_cpu_s"`
	PeakRSSMiB   *float64 `json:"peak_rss_mib"`
	LossPercent  float64  `json:"loss_percent"`
}

// BenchmarkScaling measures forwarded packets per server CPU-second and
// peak memory against the number of participants: a webinar with two
// publishers (who also receive each other) and 0 to 48 subscribers, and a
// meeting where everyone publishes, 2 to 12. test/bench/scaling.sh runs it
// and draws docs/scaling.svg from the results.
func BenchmarkScaling(b *testing.B) {
	type run struct {
		series string
		cfg    loadtest.Config
		n      int
	}
	var runs []run
	for _, n := range []int{2, 5, 10, 20, 30, 40, 50} {
		runs = append(runs, run{"webinar", loadtest.Config{Scenario: loadtest.ScenarioWebinar, Publishers: 2, Subscribers: n - 2}, n})
	}
	for _, n := range []int{2, 4, 8, 12} {
		runs = append(runs, run{"meeting", loadtest.Config{Scenario: loadtest.ScenarioMeeting, Publishers: n}, n})
	}
	for _, r := range runs {
		b.Run(fmt.Sprintf("%s-%d", r.series, r.n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				res := runScenario(b, r.cfg)
				report(b, res)
				p := Point{Series: r.series, Participants: r.n, LossPercent: res.LossRatio * 100}
				if s := res.Server; s != nil {
					p.FwdPerCPUSec = s.ForwardedPacketsPerCPUSecond
					if s.PeakRSSBytes != nil {
						mib := *s.PeakRSSBytes / (1 << 20)
						p.PeakRSSMiB = &mib
					}
				}
				appendPoint(b, p)
			}
		})
	}
}

func appendPoint(b *testing.B, p Point) {
	if *scalingOut == "" {
		return
	}
	line, err := json.Marshal(p)
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.OpenFile(*scalingOut, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(append(line, '\n')); err != nil {
		b.Fatal(err)
	}
}
