package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/conclave-meet/conclave/internal/cluster"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/signal"
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
// (several nodes may share it) and shares through them the limiters, so
// that guesses spread over nodes count as on one, and the web API's
// actions on live meetings, which may run on any node. With SQLite there
// is one node and nothing to share. It returns when the bus listens.
func startCluster(ctx context.Context, cfg config.Config, lim limiters, live *liveRooms, logger *slog.Logger) (*cluster.Bus, error) {
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
	live.share(bus, logger)
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

// clusterNode is this node's part in placing meetings (node_url set):
// its leases, and once the conference runs, the placement that keeps
// them and the router that passes a meeting's requests to its node.
type clusterNode struct {
	cfg    config.Config
	log    *slog.Logger
	pool   *pgxpool.Pool
	leases *cluster.Leases
	key    []byte // forwarding key (cluster.ForwardKey)
	// placement exists once attach has the room manager.
	placement *cluster.Placement
}

// startNode opens the leases of a clustered node, named as on its bus;
// nil without node_url.
func startNode(ctx context.Context, cfg config.Config, bus *cluster.Bus, logger *slog.Logger) (*clusterNode, error) {
	if !cfg.Clustered() || bus == nil {
		return nil, nil
	}
	id := bus.Node()
	auditKey, err := loadAuditKey(cfg)
	if err != nil {
		return nil, err
	}
	key, err := cluster.ForwardKey(auditKey)
	if err != nil {
		return nil, err
	}
	pcfg, err := pgxpool.ParseConfig(cfg.Store)
	if err != nil {
		return nil, fmt.Errorf("cluster leases: database address: %w", err)
	}
	pcfg.MaxConns = 4
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("cluster leases: connect: %w", err)
	}
	leases, err := cluster.NewLeases(pool, cluster.LeaseOptions{Node: id, URL: strings.TrimSuffix(cfg.NodeURL, "/")})
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &clusterNode{cfg: cfg, log: logger, pool: pool, leases: leases, key: key}, nil
}

// attach starts placing meetings on rooms: the heartbeat and renewal
// loop runs until ctx ends, then leaves the cluster and gives this
// node's leases back.
func (n *clusterNode) attach(ctx context.Context, rooms *room.Manager) (signal.Placer, error) {
	// A node that stops (an upgrade, node by node) hands its meetings
	// over: its participants join again, elsewhere, on their own.
	rooms.SetShutdownMoves()
	cpu := newCPUSampler()
	p, err := cluster.NewPlacement(n.leases, cluster.PlacementOptions{Rooms: rooms, Log: n.log,
		Load: func() cluster.Load {
			_, participants := rooms.Count()
			return cluster.Load{Participants: participants, CPUMilli: cpu.sample()}
		}})
	if err != nil {
		return nil, err
	}
	n.placement = p
	p.Step(ctx) // the first heartbeat before any join can ask for placement
	go func() {
		p.Run(ctx)
		n.pool.Close()
	}()
	return placer{p}, nil
}

// route puts the cluster's router in front of this node's handler
// (after attach).
func (n *clusterNode) route(h http.Handler) (http.Handler, error) {
	return cluster.NewRouter(h, cluster.RouterOptions{Holders: n.placement, Key: n.key, Log: n.log})
}

// placer adapts cluster.Placement to signal.Placer.
type placer struct{ p *cluster.Placement }

func (pl placer) Place(ctx context.Context, meetingID string) (bool, time.Time, error) {
	w, err := pl.p.Place(ctx, meetingID)
	return w.Local, w.Started, err
}

// cpuSampler measures this process's CPU use between samples, in
// thousandths of the machine (1000: every core busy), for the heartbeat.
type cpuSampler struct {
	wall time.Time
	cpu  time.Duration
}

func newCPUSampler() *cpuSampler {
	return &cpuSampler{wall: time.Now(), cpu: processCPU()}
}

func (s *cpuSampler) sample() int {
	now, cpu := time.Now(), processCPU()
	wall := now.Sub(s.wall)
	used := cpu - s.cpu
	s.wall, s.cpu = now, cpu
	if wall <= 0 {
		return 0
	}
	return int(1000 * used / (wall * time.Duration(runtime.NumCPU())))
}

// processCPU is the user and system time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
