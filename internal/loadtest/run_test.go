package loadtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/loadtest"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// testServer runs signalling with a real media engine on 127.0.0.1 plus the
// metrics endpoint, and returns the ws:// URL and the metrics URL.
func testServer(t *testing.T) (wsURL, metricsURL string) {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{})
	return srv.WS, srv.Metrics
}

func TestScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a media server and synthetic participants")
	}
	cases := []struct {
		name      string
		scenario  loadtest.Scenario
		pub, sub  int
		receivers int
		kbps      int
		simulcast bool
	}{
		{"meeting", loadtest.ScenarioMeeting, 3, 0, 3, 300, true},
		{"webinar", loadtest.ScenarioWebinar, 1, 4, 4, 300, true},
		{"audio", loadtest.ScenarioAudio, 2, 3, 5, 0, true},
		{"one layer as encoded", loadtest.ScenarioMeeting, 2, 0, 2, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wsURL, metricsURL := testServer(t)
			log := testserver.Logger(t, slog.LevelInfo)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			res, err := loadtest.Run(ctx, loadtest.Config{
				URL: wsURL, MeetingID: testserver.MeetingID, Passcode: testserver.Passcode, Scenario: tc.scenario,
				Publishers: tc.pub, Subscribers: tc.sub,
				Duration: 3 * time.Second, Ramp: 500 * time.Millisecond, Settle: time.Second,
				VideoKbps: tc.kbps, Simulcast: tc.simulcast, MetricsURL: metricsURL, Logger: log,
			})
			if err != nil {
				t.Fatal(err)
			}
			var table bytes.Buffer
			if err := loadtest.WriteTable(&table, res); err != nil {
				t.Fatal(err)
			}
			t.Logf("\n%s", table.String())
			checkResult(t, res, tc.receivers)
			checkJSON(t, res)
		})
	}
}

// checkResult asserts sane figures, with bounds generous enough for a
// loaded 2-core machine and the race detector.
func checkResult(t *testing.T, res *loadtest.Result, receivers int) {
	t.Helper()
	if res.Joined != res.Publishers+res.Subscribers || len(res.JoinErrors) > 0 {
		t.Fatalf("joined %d of %d: %v", res.Joined, res.Publishers+res.Subscribers, res.JoinErrors)
	}
	if res.Disconnected > 0 {
		t.Fatalf("%d participants disconnected during the run", res.Disconnected)
	}
	if len(res.Receivers) != receivers {
		t.Fatalf("%d receivers, want %d", len(res.Receivers), receivers)
	}
	for _, rr := range res.Receivers {
		if rr.VideoStreams != rr.ExpectedVideo || rr.AudioStreams != rr.ExpectedAudio {
			t.Errorf("%s got video from %d of %d and audio from %d of %d publishers",
				rr.Name, rr.VideoStreams, rr.ExpectedVideo, rr.AudioStreams, rr.ExpectedAudio)
		}
		if rr.FirstMedia == nil {
			t.Errorf("%s never got its first %s", rr.Name, res.FirstMediaKind)
		}
		if rr.Foreign > 0 {
			t.Errorf("%s: %d packets without a trailer", rr.Name, rr.Foreign)
		}
		if rr.LossRatio > 0.05 {
			t.Errorf("%s lost %.1f%% of packets", rr.Name, rr.LossRatio*100)
		}
	}
	if res.Sent.Packets == 0 || res.Received.Packets == 0 || res.Sent.BitsPerSec <= 0 {
		t.Fatalf("no traffic: sent %+v received %+v", res.Sent, res.Received)
	}
	l := res.Latency
	if l.Count == 0 || l.P50 <= 0 || l.P50 > l.P99 || l.P99 > l.Max || l.Max > 5000 {
		t.Errorf("latency not sane: %+v", l)
	}
	f := res.FirstMedia
	if f.Count != uint64(receivers) || f.P50 > f.P99 || f.P99 > f.Max || f.Max > 20000 {
		t.Errorf("join to first media not sane: %+v", f)
	}
	checkServer(t, res.Server)
}

func checkServer(t *testing.T, s *loadtest.ServerMetrics) {
	t.Helper()
	if s == nil || s.Failures > 0 {
		t.Fatalf("server metrics: %+v", s)
	}
	// The metrics come from this test process, which also runs the
	// participants: only their presence and signs can be checked.
	for name, v := range map[string]*float64{
		"cpu seconds": s.CPUSeconds, "peak RSS": s.PeakRSSBytes,
		"forwarded packets": s.ForwardedPackets, "participants": s.Participants,
	} {
		if v == nil || *v <= 0 {
			t.Errorf("server %s: %v", name, v)
		}
	}
}

func checkJSON(t *testing.T, res *loadtest.Result) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "result.json")
	if err := loadtest.WriteJSON(path, res); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back loadtest.Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Sent != res.Sent || back.Latency != res.Latency || len(back.Receivers) != len(res.Receivers) {
		t.Fatalf("JSON round trip changed the result")
	}
}

// TestSeveralMeetingsAndURLs: two meetings at once, participants spread
// over two signalling URLs and two metrics endpoints (here the same
// server twice). Each receiver expects media from its own meeting only,
// and the per-meeting figures add up to the totals.
func TestSeveralMeetingsAndURLs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a media server and synthetic participants")
	}
	wsURL, metricsURL := testServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := loadtest.Run(ctx, loadtest.Config{
		URLs:     []string{wsURL, wsURL + "?second"},
		Meetings: []loadtest.Meeting{{ID: testserver.MeetingID, Passcode: testserver.Passcode}, {ID: testserver.OtherMeetingID, Passcode: testserver.Passcode}},
		Scenario: loadtest.ScenarioMeeting, Publishers: 2,
		Duration: 2 * time.Second, Ramp: 500 * time.Millisecond, Settle: time.Second,
		VideoKbps: 200, Simulcast: true, MetricsURLs: []string{metricsURL, metricsURL},
		Logger: testserver.Logger(t, slog.LevelInfo),
	})
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := loadtest.WriteTable(&table, res); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", table.String())
	if res.Joined != 4 || len(res.Meetings) != 2 || res.URLs != 2 || res.Server == nil || res.Server.Nodes != 2 {
		t.Fatalf("joined %d, %d meetings, %d URLs, server %+v", res.Joined, len(res.Meetings), res.URLs, res.Server)
	}
	var packets uint64
	for _, m := range res.Meetings {
		if m.Joined != 2 || m.Received.Packets == 0 || m.FirstMedia.Count != 2 {
			t.Errorf("meeting %s: %+v", m.ID, m)
		}
		packets += m.Received.Packets
	}
	if packets != res.Received.Packets {
		t.Errorf("meetings received %d packets, the total says %d", packets, res.Received.Packets)
	}
	for _, rr := range res.Receivers {
		if rr.ExpectedVideo != 1 || rr.VideoStreams != 1 {
			t.Errorf("%s expected video from %d and got it from %d publishers, want 1: one other in its meeting", rr.Name, rr.ExpectedVideo, rr.VideoStreams)
		}
	}
	if !strings.Contains(table.String(), "2 meetings") || !strings.Contains(table.String(), testserver.OtherMeetingID) {
		t.Errorf("table lacks the spread or the per-meeting lines")
	}
}
