package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/chat"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/metrics"
	"github.com/conclave-meet/conclave/internal/notice"
	"github.com/conclave-meet/conclave/internal/room"
	"github.com/conclave-meet/conclave/internal/sfu"
	"github.com/conclave-meet/conclave/internal/signal"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/throttle"
	"github.com/conclave-meet/conclave/internal/turn"
)

// conferenceDeps are what the conference needs from the rest of the server.
type conferenceDeps struct {
	Config   config.Config
	Store    store.Store
	Sessions *auth.Sessions
	Meetings *meeting.Service
	Audit    *audit.Log
	Logger   *slog.Logger
	// Notices is the privacy notice every participant accepts.
	Notices *notice.Service
	// Ready feeds the readiness gauges (web.Readiness.Gauges).
	Ready func(context.Context) (bool, int64)
	// Refusals records refused joins, coalesced (shared with the web API).
	Refusals *audit.Coalescer
	// Live, when set, is given the room manager, so that the web API can
	// end a meeting it deletes.
	Live *liveRooms
	// Control, when set, is given remote control's input path, for the
	// web server's /api/control routes.
	Control *controlRoutes
	// Chat keeps chat messages (sealed) before they are delivered
	// (docs/privacy.md, "Chat"); both stores implement it.
	Chat chat.Store
	// FileSharing hands participants the capability for the file routes,
	// which the returned handler answers for (files.Access).
	FileSharing bool
	// GuestProofs issues guests their proof for data-subject requests.
	GuestProofs signal.GuestProofs
	// Recordings starts recordings (nil: none); consents to them go into
	// the ledger through Audit.
	Recordings signal.Recordings
	// Transcriptions starts transcriptions (nil: none); consents to them
	// go into the ledger through Audit.
	Transcriptions signal.Transcriptions
	// Passcodes counts wrong meeting passcodes; shared with the web API's
	// pre-join check (POST /api/meetings/{id}/join-info).
	Passcodes *throttle.Limiter
	// Joins counts joins per address and meeting (nil: a limiter of
	// this process alone, from the configuration).
	Joins *throttle.Limiter
	// Node, in a cluster, places meetings on nodes (nil: one node).
	Node *clusterNode
}

// newConference starts the media server (and the embedded TURN server unless
// disabled) and returns the signalling websocket handler and a shutdown
// function that ends every meeting cleanly and releases the sockets.
func newConference(ctx context.Context, d conferenceDeps) (ws *signal.Handler, shutdown func(context.Context), err error) {
	cfg := d.Config
	ip := net.ParseIP(cfg.MediaAddr)
	var public net.IP
	if cfg.PublicIP != "" {
		public = net.ParseIP(cfg.PublicIP)
	}
	engine, err := sfu.NewEngine(sfu.Config{IP: ip, Port: cfg.MediaPort, PublicIP: public, Logger: d.Logger})
	if err != nil {
		return nil, nil, err
	}
	d.Logger.Info("media server listening", "udp", engine.UDPAddr().String())

	var turnSrv *turn.Server
	if cfg.TURNPort != 0 {
		turnSrv, err = startTURN(cfg, engine.UDPAddr(), public, d.Logger)
		if err != nil {
			engine.Close()
			return nil, nil, err
		}
	}
	rooms := room.NewManager(engine, cfg.MaxParticipants, d.Logger)
	rooms.SetBanStore(d.Store) // bans outlive the live meeting
	rooms.SetOrgPolicy(withRemoteControl(room.OrgPolicy{ScreenShare: cfg.LockScreenShare, ChatOff: cfg.LockChatOff,
		PrivateChatOff: cfg.LockPrivateChatOff, ChatPresenters: cfg.LockChatPresenters, Recording: cfg.Recording.Recording,
		Transcription: cfg.Transcription.Transcription, RequireE2EE: cfg.RequireE2EE}, cfg))
	if d.Live != nil {
		d.Live.rooms = rooms
	}
	var placement signal.Placer
	if d.Node != nil {
		if placement, err = d.Node.attach(ctx, rooms); err != nil {
			engine.Close()
			return nil, nil, err
		}
	}
	src := metrics.Sources{Media: engine, Live: rooms.Count, Ready: d.Ready}
	if turnSrv != nil {
		src.Relay = turnSrv.Stats
	}
	stopMetrics, err := startMetrics(cfg, metrics.New(src), d.Logger)
	if err != nil {
		if turnSrv != nil {
			_ = turnSrv.Close()
		}
		engine.Close()
		return nil, nil, err
	}
	handler := signal.NewHandler(signal.Options{
		Meetings:       d.Meetings,
		Users:          d.Sessions,
		Rooms:          rooms,
		Audit:          d.Audit,
		Relay:          turnRelay(turnSrv),
		Joins:          joinsLimiter(d.Joins, cfg),
		Passcodes:      d.Passcodes,
		Notices:        noticeChecker(d.Notices),
		Refusals:       d.Refusals,
		Chat:           d.Chat,
		FileSharing:    d.FileSharing,
		GuestProofs:    d.GuestProofs,
		Recordings:     d.Recordings,
		Consents:       d.Audit,
		Transcriptions: d.Transcriptions,
		Placement:      placement,
		// 0 in the configuration turns resume off; the handler reads 0 as
		// its default and a negative grace as off.
		ResumeGrace: resumeGrace(cfg.ResumeGrace),
		Logger:      d.Logger,
		// A TLS-terminating proxy serves the pages from the public URL.
		PublicOrigin: cfg.PublicURL,
	})
	startRemoteControl(rooms, handler, d.Audit, d.Logger, d.Control)
	shutdown = func(ctx context.Context) {
		if err := rooms.Shutdown(ctx); err != nil {
			d.Logger.Warn("meetings did not end in time", "err", err)
		}
		// The engines finish what they heard (their child processes end).
		if w, ok := d.Transcriptions.(interface{ Wait(context.Context) error }); ok {
			if err := w.Wait(ctx); err != nil {
				d.Logger.Warn("transcriptions did not finish in time", "err", err)
			}
		}
		stopMetrics(ctx)
		if turnSrv != nil {
			_ = turnSrv.Close()
		}
		_ = engine.Close()
	}
	return handler, shutdown, nil
}

// startMetrics serves Prometheus metrics on their own listener (never the
// public one). It returns a function that stops it.
func startMetrics(cfg config.Config, reg *metrics.Registry, log *slog.Logger) (func(context.Context), error) {
	if cfg.MetricsListen == "" {
		return func(context.Context) {}, nil
	}
	ln, err := net.Listen("tcp", cfg.MetricsListen)
	if err != nil {
		return nil, fmt.Errorf("listen for metrics on %s: %w", cfg.MetricsListen, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", reg.Handler(cfg.MetricsToken))
	// Profiles for operators measuring the server under load, behind the
	// same listener and token as the metrics.
	mux.Handle("GET /debug/pprof/", reg.Protect(cfg.MetricsToken, http.HandlerFunc(pprof.Index)))
	mux.Handle("GET /debug/pprof/profile", reg.Protect(cfg.MetricsToken, http.HandlerFunc(pprof.Profile)))
	srv := newHTTPServer(mux, defaultHTTPTimeouts, log)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server", "err", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String(), "token", cfg.MetricsToken != "")
	return func(ctx context.Context) { _ = srv.Shutdown(ctx) }, nil
}

// startTURN runs the embedded TURN server, relaying only to the media
// server's UDP socket (on its own address and, behind 1:1 NAT, its public
// one).
func startTURN(cfg config.Config, media *net.UDPAddr, public net.IP, log *slog.Logger) (*turn.Server, error) {
	load := turn.LoadOrCreateSecret
	if cfg.TURNSecretFile != "" {
		load = turn.LoadSecret // the cluster's: never created here
	}
	secret, err := load(cfg.TURNSecretPath())
	if err != nil {
		return nil, fmt.Errorf("turn secret: %w", err)
	}
	mediaAP := media.AddrPort()
	peers := []netip.AddrPort{mediaAP}
	if ip, ok := netip.AddrFromSlice(public); ok && public != nil {
		peers = append(peers, netip.AddrPortFrom(ip.Unmap(), mediaAP.Port()))
	}
	srv, err := turn.Start(turn.Config{
		IP: media.IP, Port: cfg.TURNPort, PublicIP: public, Peers: peers, Secret: secret, Logger: log,
		MaxPerCredential: cfg.TURNMaxPerCredential, MaxPerAddress: cfg.TURNMaxPerAddress,
	})
	if err != nil {
		return nil, fmt.Errorf("start TURN: %w", err)
	}
	log.Info("TURN server listening", "addr", srv.Addr())
	return srv, nil
}

// turnRelay keeps a nil server a nil interface, which signal reads as "no
// ICE servers", instead of a non-nil interface holding nil.
func turnRelay(srv *turn.Server) signal.Relay {
	if srv == nil {
		return nil
	}
	return srv
}

// noticeChecker keeps a nil service a nil interface, which signal reads as
// "no notice required", instead of a non-nil interface holding nil.
func noticeChecker(n *notice.Service) signal.NoticeChecker {
	if n == nil {
		return nil
	}
	return n
}

// resumeGrace maps the configured grace (0: off) to signal's (negative: off).
func resumeGrace(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

func joinsLimiter(l *throttle.Limiter, cfg config.Config) *throttle.Limiter {
	if l != nil {
		return l
	}
	return throttle.NewJoinsLimited(nil, cfg.JoinsPerAddress, cfg.JoinsPerMeeting)
}
