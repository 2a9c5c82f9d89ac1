package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/conclave-meet/conclave/internal/loadtest"
)

// runLoadtest runs synthetic participants against a server (docs/loadtest.md).
func runLoadtest(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("loadtest", e)
	base := fs.String("url", "http://127.0.0.1:8080", "server base URL; the websocket is <url>/ws")
	var cfg loadtest.Config
	fs.StringVar(&cfg.MeetingID, "meeting", "", "meeting ID (required; conclave meeting create --json)")
	fs.StringVar(&cfg.Passcode, "passcode", "", "meeting passcode")
	scenario := fs.String("scenario", "meeting", "meeting, webinar or audio")
	fs.IntVar(&cfg.Publishers, "publishers", 0, "publishing participants (0: meeting 4, webinar 1, audio 2)")
	fs.IntVar(&cfg.Subscribers, "subscribers", 0, "subscribe-only participants (0: meeting 0, webinar and audio 10)")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "measured window")
	fs.DurationVar(&cfg.Ramp, "ramp", 5*time.Second, "joins are spread over this time")
	fs.DurationVar(&cfg.Settle, "settle", 2*time.Second, "wait after the last join before measuring")
	fs.IntVar(&cfg.VideoKbps, "video-kbps", 500, "camera top-layer bitrate in kbit/s, low layer a quarter (0: the clips as encoded, about 280/70)")
	fs.BoolVar(&cfg.Simulcast, "simulcast", true, "publish the camera as two layers (640x360 and 320x180)")
	fs.StringVar(&cfg.MetricsURL, "metrics-url", "", "server's Prometheus endpoint, e.g. http://127.0.0.1:9090/metrics (optional)")
	fs.StringVar(&cfg.MetricsToken, "metrics-token", "", "bearer token for --metrics-url [$CONCLAVE_METRICS_TOKEN]")
	jsonOut := fs.String("json", "", "also write the results as JSON to this file")
	verbose := fs.Bool("v", false, "debug logging")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if cfg.MeetingID == "" {
		return usageError{"loadtest: --meeting is required"}
	}
	ws, err := websocketURL(*base)
	if err != nil {
		return usageError{"loadtest: --url: " + err.Error()}
	}
	cfg.URL, cfg.Scenario = ws, loadtest.Scenario(*scenario)
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
