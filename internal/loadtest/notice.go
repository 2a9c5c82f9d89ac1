package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// noticeTimeout bounds fetching the privacy notice before the run.
const noticeTimeout = 10 * time.Second

// acceptNotice fills in cfg.NoticeVersion from the server's
// GET /api/privacy/notice when it is not set. The synthetic participants
// are no people: the operator who starts a load run accepts the notice on
// their behalf (docs/loadtest.md), so each join is recorded in the consent
// ledger like any other. A server without a notice answers 404; the run
// then sends no version.
func acceptNotice(ctx context.Context, cfg *Config) {
	if cfg.NoticeVersion != 0 {
		return
	}
	// The nodes of a cluster share one database: one answers for all.
	target := cfg.URL
	if len(cfg.URLs) > 0 {
		target = cfg.URLs[0]
	}
	v, err := fetchNoticeVersion(ctx, target)
	if err != nil {
		cfg.Logger.Warn("privacy notice not fetched; joining without accepting one", "err", err)
		return
	}
	cfg.Logger.Info("accepting the privacy notice for the synthetic participants", "version", v)
	cfg.NoticeVersion = v
}

// noticeURL turns the websocket URL into the notice endpoint's.
func noticeURL(wsURL string) (string, error) {
	u, err := url.Parse(wsURL)
	if err != nil {
		return "", fmt.Errorf("signalling URL: %w", err)
	}
	switch u.Scheme {
	case "ws":
		u.Scheme = "http"
	case "wss":
		u.Scheme = "https"
	}
	u.Path, u.RawQuery, u.Fragment = "/api/privacy/notice", "", ""
	return u.String(), nil
}

func fetchNoticeVersion(ctx context.Context, wsURL string) (int, error) {
	target, err := noticeURL(wsURL)
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, noticeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return 0, fmt.Errorf("privacy notice request: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("fetch privacy notice: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("fetch privacy notice: status %d", resp.StatusCode)
	}
	var body struct {
		Version int `json:"version"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body); err != nil {
		return 0, fmt.Errorf("decode privacy notice: %w", err)
	}
	return body.Version, nil
}
