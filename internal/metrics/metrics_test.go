package metrics_test

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// server starts signalling and media on 127.0.0.1 and returns the websocket
// URL and the metrics endpoint.
func server(t *testing.T, token string) (ws string, metricsURL string) {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{MetricsToken: token})
	return srv.WS, srv.Metrics
}

func scrape(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func value(body, name string) float64 {
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		return -1
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

func TestMetricsCountRealTrafficWithoutPersonalData(t *testing.T) {
	ws, url := server(t, "")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, err := client.Dial(ctx, ws, client.Hello{MeetingID: testserver.MeetingID, Passcode: testserver.Passcode, Name: "Ada Lovelace"}, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := client.Dial(ctx, ws, client.Hello{MeetingID: testserver.MeetingID, Passcode: testserver.Passcode, Name: "Bob Builder"}, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	go a.Pump(ctx, client.PumpOptions{})
	go b.Pump(ctx, client.PumpOptions{})

	body := scrapeUntil(t, url, "counters did not rise", func(body string) bool {
		return value(body, "conclave_forwarded_packets_total") > 200 && value(body, "conclave_forward_latency_seconds_count") > 0
	})
	for name, want := range map[string]float64{"conclave_meetings": 1, "conclave_participants": 2, "conclave_tracks": 4} {
		if got := value(body, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	for _, name := range []string{"conclave_received_packets_total", "conclave_received_bytes_total", "conclave_forwarded_bytes_total",
		"conclave_keyframe_requests_total", "go_goroutines", "process_resident_memory_bytes", "process_cpu_seconds_total"} {
		if value(body, name) <= 0 {
			t.Errorf("%s missing or zero", name)
		}
	}
	// The media socket's batching: each call sent one datagram or more.
	if sent, calls := value(body, "conclave_udp_sent_datagrams_total"), value(body, "conclave_udp_send_calls_total"); calls <= 0 || calls > sent {
		t.Errorf("udp sent %v datagrams in %v calls", sent, calls)
	}
	for _, personal := range []string{"Ada", "Bob", a.ID(), b.ID(), "m1", "127.0.0.1"} {
		if strings.Contains(body, personal) {
			t.Errorf("metrics reveal %q", personal)
		}
	}

	// Counters survive participants leaving.
	before := value(body, "conclave_forwarded_packets_total")
	b.Close()
	body = scrapeUntil(t, url, "Bob's leaving did not show", func(body string) bool {
		return value(body, "conclave_participants") == 1
	})
	if after := value(body, "conclave_forwarded_packets_total"); after < before {
		t.Errorf("forwarded packets fell from %v to %v after a participant left", before, after)
	}
}

// scrapeUntil scrapes until done accepts the body, polling every 20 ms
// for at most 10 s, and returns that body.
func scrapeUntil(t *testing.T, url, what string, done func(body string) bool) string {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(10 * time.Second)
	for {
		code, body := scrape(t, url, "")
		if code != http.StatusOK {
			t.Fatalf("scrape status %d", code)
		}
		if done(body) {
			return body
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s within 10 s:\n%s", what, grepConclave(body))
		}
	}
}

func TestMetricsToken(t *testing.T) {
	_, url := server(t, "s3cret")
	if code, _ := scrape(t, url, ""); code != http.StatusUnauthorized {
		t.Fatalf("no token: status %d", code)
	}
	if code, _ := scrape(t, url, "wrong"); code != http.StatusUnauthorized {
		t.Fatalf("wrong token: status %d", code)
	}
	if code, body := scrape(t, url, "s3cret"); code != http.StatusOK || !strings.Contains(body, "conclave_meetings 0") {
		t.Fatalf("right token: status %d", code)
	}
}

func grepConclave(body string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, "conclave_") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestMetricsNotCompressed: the page comes uncompressed even to a scraper
// that offers gzip (Handler says why).
func TestMetricsNotCompressed(t *testing.T) {
	_, url := server(t, "")
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if enc := resp.Header.Get("Content-Encoding"); enc != "" || !strings.Contains(string(b), "conclave_meetings 0") {
		t.Fatalf("Content-Encoding %q; body starts %q", enc, b[:min(len(b), 40)])
	}
}
