package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"

	"github.com/conclave-meet/conclave/internal/cluster"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/throttle"
)

// limiters are the failure counters a node shares with the other nodes
// of its cluster (docs/operations.md, "Several nodes").
type limiters struct {
	Passcodes, Login, Joins, GuestRequests *throttle.Limiter
}

func newLimiters(cfg config.Config) limiters {
	return limiters{
		Passcodes:     throttle.NewPasscodes(nil),
		Login:         throttle.NewLogin(nil),
		Joins:         throttle.NewJoinsLimited(nil, cfg.JoinsPerAddress, cfg.JoinsPerMeeting),
		GuestRequests: throttle.NewGuestRequests(nil),
	}
}

// startCluster joins the cluster's signals when the store is PostgreSQL
// (several nodes may share it) and shares the limiters through them, so
// that guesses spread over nodes count as on one. With SQLite there is
// one node and nothing to share. It returns when the bus listens.
func startCluster(ctx context.Context, cfg config.Config, lim limiters, logger *slog.Logger) (*cluster.Bus, error) {
	if cfg.StoreKind() != config.StorePostgres {
		return nil, nil
	}
	node, err := nodeID()
	if err != nil {
		return nil, err
	}
	bus, err := cluster.Open(ctx, cfg.Store, cluster.Options{Node: node, Log: logger})
	if err != nil {
		return nil, fmt.Errorf("cluster signals: %w", err)
	}
	for name, l := range map[string]*throttle.Limiter{"passcodes": lim.Passcodes, "login": lim.Login,
		"joins": lim.Joins, "guest_requests": lim.GuestRequests} {
		cluster.ShareLimiter(ctx, bus, name, l)
	}
	go func() {
		if err := bus.Run(ctx); err != nil {
			logger.Error("cluster signals stopped", "err", err)
		}
		bus.Close()
	}()
	select {
	case <-bus.Ready():
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	logger.Info("cluster signals", "node", node)
	return bus, nil
}

// nodeID names this process among the nodes: the host name (for the
// operator reading logs) and a random suffix (two processes on one host,
// or a restarted node, are different nodes).
func nodeID() (string, error) {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("node ID: %w", err)
	}
	return host + "-" + hex.EncodeToString(b), nil
}
