package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/loadtest"
)

// runLoadtest runs synthetic participants against a server (docs/loadtest.md).
func runLoadtest(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("loadtest", e)
	base := fs.String("url", "http://127.0.0.1:8080", "server base URL; the websocket is <url>/ws; several, comma-separated (a cluster's nodes): participants take them in turn")
	var cfg loadtest.Config
	meetings := fs.String("meeting", "", "meeting ID (required; conclave meeting create --json); several, comma-separated: each gets the scenario's full set of participants")
	passcodes := fs.String("passcode", "", "meeting passcode; with several meetings, one per meeting, comma-separated")
	scenario := fs.String("scenario", "meeting", "meeting, webinar or audio")
	fs.IntVar(&cfg.Publishers, "publishers", 0, "publishing participants (0: meeting 4, webinar 1, audio 2)")
	fs.IntVar(&cfg.Subscribers, "subscribers", 0, "subscribe-only participants (0: meeting 0, webinar and audio 10)")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "measured window")
	fs.DurationVar(&cfg.Ramp, "ramp", 5*time.Second, "joins are spread over this time")
	fs.DurationVar(&cfg.Settle, "settle", 2*time.Second, "wait after the last join before measuring")
	fs.IntVar(&cfg.VideoKbps, "video-kbps", 500, "camera top-layer bitrate in kbit/s, low layer a quarter (0: the clips as encoded, about 280/70)")
	fs.BoolVar(&cfg.Simulcast, "simulcast", true, "publish the camera as two layers (640x360 and 320x180)")
	metrics := fs.String("metrics-url", "", "server's Prometheus endpoint, e.g. http://127.0.0.1:9090/metrics (optional); several, comma-separated, one per node: the figures are summed")
	fs.StringVar(&cfg.MetricsToken, "metrics-token", "", "bearer token for --metrics-url [$CONCLAVE_METRICS_TOKEN]")
	jsonOut := fs.String("json", "", "also write the results as JSON to this file")
	verbose := fs.Bool("v", false, "debug logging")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := loadtestTargets(&cfg, *base, *meetings, *passcodes, *metrics); err != nil {
		return usageError{"loadtest: " + err.Error()}
	}
	cfg.Scenario = loadtest.Scenario(*scenario)
	if cfg.MetricsToken == "" {
		cfg.MetricsToken = e.getenv("CONCLAVE_METRICS_TOKEN")
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	cfg.Logger = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	res, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if err := loadtest.WriteTable(e.stdout, res); err != nil {
		return err
	}
	if *jsonOut != "" {
		return loadtest.WriteJSON(*jsonOut, res)
	}
	return nil
}

// loadtestTargets fills the configuration's URLs, meetings and metrics
// endpoints from the comma-separated flags. One of each keeps the single
// fields, so that a plain run is configured as it always was.
func loadtestTargets(cfg *loadtest.Config, urls, meetings, passcodes, metrics string) error {
	if meetings == "" {
		return errors.New("--meeting is required")
	}
	for _, u := range splitList(urls) {
		ws, err := websocketURL(u)
		if err != nil {
			return fmt.Errorf("--url: %w", err)
		}
		cfg.URLs = append(cfg.URLs, ws)
	}
	ids, codes := splitList(meetings), splitList(passcodes)
	if passcodes == "" {
		codes = make([]string, len(ids)) // no passcodes at all
	}
	if len(codes) != len(ids) {
		return fmt.Errorf("%d meetings but %d passcodes: give one passcode per meeting, in the same order", len(ids), len(codes))
	}
	for i, id := range ids {
		if id == "" {
			return fmt.Errorf("--meeting: meeting %d of %q is empty", i+1, meetings)
		}
		cfg.Meetings = append(cfg.Meetings, loadtest.Meeting{ID: id, Passcode: codes[i]})
	}
	if metrics != "" {
		cfg.MetricsURLs = splitList(metrics)
	}
	if len(cfg.URLs) == 1 && len(cfg.Meetings) == 1 && len(cfg.MetricsURLs) <= 1 {
		cfg.URL, cfg.MeetingID, cfg.Passcode = cfg.URLs[0], ids[0], codes[0]
		cfg.MetricsURL = strings.Join(cfg.MetricsURLs, "")
		cfg.URLs, cfg.Meetings, cfg.MetricsURLs = nil, nil, nil
	}
	return nil
}

// splitList splits a comma-separated flag value, trimming spaces around
// each item.
func splitList(s string) []string {
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.TrimSpace(p)
	}
	return parts
}

// websocketURL derives the signalling endpoint from the server's URL: http
// becomes ws, https becomes wss, and the path is /ws.
func websocketURL(base string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("parse %q: %w", base, err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("%q: scheme must be http or https", base)
	}
	if u.Host == "" {
		return "", fmt.Errorf("%q has no host", base)
	}
	// The server has one websocket endpoint, at the root like the web
	// client's pages; any path given (a join link) is not part of it.
	u.Path, u.RawPath, u.RawQuery, u.Fragment = "/ws", "", "", ""
	return u.String(), nil
}
