package main

import (
	"context"
	"log/slog"

	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/release"
	"github.com/conclave-meet/conclave/internal/web"
)

// startUpdates starts the release checker when the operator named a
// release feed. Without one it returns nil and nothing is ever fetched:
// Conclave does not call out on its own (docs/operations.md, "Updates").
// The checker stops with ctx.
func startUpdates(ctx context.Context, cfg config.Config, build release.Build, logger *slog.Logger) (web.UpdateStatus, error) {
	if cfg.ReleaseFeed == "" {
		return nil, nil
	}
	f, err := release.NewFetcher(cfg.ReleaseFeed, 0)
	if err != nil {
		return nil, err
	}
	c := release.NewChecker(release.Options{Current: build.Version, Fetch: f.Fetch, Feed: f.Host(), Logger: logger})
	go c.Run(ctx)
	// The host only: the URL's path or query may hold a token.
	logger.Info("release feed configured", "feed", f.Host())
	return c, nil
}
