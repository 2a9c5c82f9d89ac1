package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
)

// refusalFlushInterval is how often the summaries of closed coalescing
// windows are written: at most this long after their window closes.
const refusalFlushInterval = time.Minute

// startRefusals returns the coalescer that records refused requests and
// joins for the web API and signalling alike (docs/security.md), writing
// its summaries every refusalFlushInterval until ctx ends. stop writes
// what is still counted; call it once the servers have stopped.
func startRefusals(ctx context.Context, log *audit.Log, logger *slog.Logger) (c *audit.Coalescer, stop func()) {
	c = audit.NewCoalescer(log, audit.CoalesceOptions{Logger: logger})
	go c.Run(ctx, refusalFlushInterval)
	return c, func() {
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := c.FlushAll(fctx); err != nil {
			logger.Error("audit: refusal summaries lost at shutdown", "err", err)
		}
	}
}
