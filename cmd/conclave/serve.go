package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/notice"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/records"
	"github.com/conclave-meet/conclave/internal/release"
	"github.com/conclave-meet/conclave/internal/web"
)

// Shutdown budget for each phase: the conference first (so participants
// get a clean goodbye), then the HTTP server.
const (
	conferenceShutdownTimeout = 10 * time.Second
	httpShutdownTimeout       = 10 * time.Second
	sessionCleanupInterval    = time.Hour
	// readinessInterval: the readiness check also runs unprompted, so the
	// not-ready warning reaches the log without a probe or scrape.
	readinessInterval = 30 * time.Second
)

func runServe(ctx context.Context, args []string, e env) error {
	cfg, err := config.Load(args, e.getenv)
	if errors.Is(err, flag.ErrHelp) {
		config.PrintUsage(e.stdout)
		return err
	}
	if errors.Is(err, config.ErrUsage) {
		e.flags.fs = config.FlagSet()
		_, detail, _ := strings.Cut(err.Error(), ": ")
		return usageError{"serve: " + detail}
	}
	if err != nil {
		return err
	}
	logger := newLogger(cfg, e.stderr)
	slog.SetDefault(logger)
	if err := cfg.EnsureDataDir(); err != nil {
		return err
	}
	if err := cfg.CheckDataDirPerms(); err != nil {
		logger.Warn("data directory is not private", "err", err)
	}
	// Refuses to start without the master key once data keys exist, or
	// with a master key file that group or others can read.
	st, err := openStore(ctx, cfg, e)
	if err != nil {
		return err
	}
	defer st.Close()
	logger.Info("store", "backend", cfg.StoreKind(), "database", cfg.StoreName())
	// Bound before anything reads the public URL: with port 0 the system
	// picks the port, and the setup link, OIDC redirect URIs and origin
	// checks must name the real one.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	defer ln.Close() // a start that fails later; closed again by the server otherwise
	return serve(ctx, cfg.Bound(ln.Addr().String()), ln, st, logger, e)
}

// newLogger builds the process logger on w (stderr) from the config.
func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.SlogLevel()}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func serve(ctx context.Context, cfg config.Config, ln net.Listener, st serverStore, logger *slog.Logger, e env) error {
	hasher := auth.NewHasher(auth.DefaultParams, auth.DefaultConcurrency)
	accounts, sessions, factors, err := newAccountSecurity(cfg, st, hasher, logger)
	if err != nil {
		return err
	}
	setup := auth.NewSetup(st, accounts, nil)
	meetings := &meeting.Service{Store: st, Policy: meetingPolicy(cfg)}
	auditLog, err := openAuditLog(st, cfg)
	if err != nil {
		return err
	}
	logAuditHead(ctx, auditLog, logger)
	stopAnchorer, err := startAnchorer(ctx, cfg, auditLog, logger)
	if err != nil {
		return err
	}
	defer stopAnchorer() // deferred first, so it runs last: the shutdown head follows every entry
	sharedFiles, err := newFileService(cfg, st, auditLog, logger)
	if err != nil {
		return err
	}
	recs, err := newRecordingService(ctx, cfg, st, logger)
	if err != nil {
		return err
	}
	defer recs.Close()
	pdeps := privacyDeps{Config: cfg, Store: st, Audit: auditLog, Files: sharedFiles, Recordings: recs}
	registry, err := newPrivacyRegistry(pdeps)
	if err != nil {
		return err
	}
	// Until an administrator publishes a notice, the one in force is
	// generated from the configuration (docs/privacy.md).
	notices := &notice.Service{Store: st, Audit: auditLog,
		Default: records.NoticeMarkdown(records.Inputs{Config: cfg, Registry: registry})}
	if _, err := notices.EnsureDefault(ctx); err != nil {
		return err
	}
	if err := announceSetup(ctx, setup, cfg, e.stderr); err != nil {
		return err
	}
	ready := web.NewReadiness(web.ReadinessOptions{Store: st, DataDir: cfg.DataDir, MinFree: cfg.MinFreeBytes(), Logger: logger})
	go ready.Watch(ctx, readinessInterval)
	refusals, stopRefusals := startRefusals(ctx, auditLog, logger)
	defer stopRefusals() // after listenAndServe has drained the servers
	build := release.ReadBuild(version)
	updates, err := startUpdates(ctx, cfg, build, logger)
	if err != nil {
		return err
	}
	live := &liveRooms{}
	// One passcode budget for joining and for the pre-join check; every
	// limiter is shared with the cluster's other nodes, if any.
	lim := newLimiters(cfg)
	bus, err := startCluster(ctx, cfg, lim, live, logger)
	if err != nil {
		return err
	}
	node, err := startNode(ctx, cfg, bus, logger)
	if err != nil {
		return err
	}
	passcodes := lim.Passcodes
	control := &controlRoutes{}
	transcribing, err := liveTranscriptions(cfg, st, logger)
	if err != nil {
		return err
	}
	ws, stopConference, err := newConference(ctx, conferenceDeps{
		Config: cfg, Store: st, Sessions: sessions, Meetings: meetings, Audit: auditLog, Logger: logger,
		Notices: notices, Ready: ready.Gauges, Refusals: refusals, Live: live, Chat: st, Control: control,
		FileSharing: true, GuestProofs: guestProofs{newPrivacyService(pdeps, registry)},
		Recordings:     liveRecordings(cfg, st, recs, auditLog, logger),
		Transcriptions: transcribing,
		Passcodes:      passcodes,
		Joins:          lim.Joins,
		Node:           node,
	})
	if err != nil {
		return fmt.Errorf("start conference server: %w", err)
	}
	loginThrottle := lim.Login
	singleSignOn, err := newSSO(cfg, st, ssoDeps{sessions, factors, auditLog, loginThrottle}, logger)
	if err != nil {
		return err
	}
	handler := web.New(web.Options{
		Store: st, Sessions: sessions, Accounts: accounts, Setup: setup,
		Factors:  factors,
		Meetings: meetings, Audit: auditLog, Config: cfg, Logger: logger, WS: ws,
		LoginThrottle: loginThrottle,
		Passcodes:     passcodes,
		GuestThrottle: lim.GuestRequests,
		SSO:           singleSignOn,
		Refusals:      refusals,
		Notices:       notices,
		Privacy:       newPrivacyService(pdeps, registry),
		Requests:      &privacy.Requests{Store: st},
		Version:       versionString(),
		Measures:      securityMeasures(cfg),
		Ready:         ready,
		Live:          live,
		Build:         build,
		Updates:       updates,
		Chat:          st,
		Files:         sharedFiles.Handler(ws),
		ControlAgent:  control.agent(),
		ControlInput:  control.input(),
		SharedFiles:   sharedFiles,
		Recordings:    recs,
		Transcripts:   st,
	})
	if node != nil {
		// A meeting's socket and files go to the node that runs it.
		if handler, err = node.route(handler); err != nil {
			return err
		}
	}
	go sessions.RunCleanup(ctx, sessionCleanupInterval)
	startRetention(ctx, cfg, st, auditLog, registry, logger)
	return listenAndServe(ctx, cfg, ln, handler, stopConference, logger, e.stdout)
}

// logAuditHead logs the audit log's latest entry at start, so that log
// shipping keeps a copy of the chain head outside the data directory: a
// later rewrite of the log cannot match it (see docs/security.md).
func logAuditHead(ctx context.Context, log *audit.Log, logger *slog.Logger) {
	head, ok, err := log.Head(ctx)
	switch {
	case err != nil:
		logger.Error("audit log head", "err", err)
	case ok:
		a := audit.Anchor{Seq: head.Seq, Hash: head.Hash}
		logger.Info("audit log", "entries", head.Seq, "head", a.String())
	default:
		logger.Info("audit log", "entries", 0)
	}
}

// announceSetup prints the one-time setup link on a server without
// accounts. It goes to stderr with fmt, not slog, so log shippers that
// collect structured logs do not capture a credential.
func announceSetup(ctx context.Context, setup *auth.Setup, cfg config.Config, w io.Writer) error {
	token, needed, err := setup.EnsureSetupToken(ctx)
	if err != nil || !needed {
		return err
	}
	fmt.Fprintf(w, "\nConclave has no accounts yet. Open this one-time link within 24 hours\n"+
		"to create the first administrator:\n\n    %s/setup#token=%s\n\n"+
		"It works once. Restarting the server before setup is complete prints a new\n"+
		"link and invalidates this one.\n\n", cfg.PublicURL, token)
	return nil
}

// listenAndServe runs the HTTP(S) server on ln (and, with ACME, the
// port-80 challenge server) until ctx ends or a server fails, then shuts
// down.
func listenAndServe(ctx context.Context, cfg config.Config, ln net.Listener, h http.Handler, stopConference func(context.Context), logger *slog.Logger, out io.Writer) error {
	srv := newHTTPServer(h, defaultHTTPTimeouts, logger)
	tlsCfg, challenge, err := tlsSetup(cfg)
	if err != nil {
		return err
	}
	srv.TLSConfig = tlsCfg
	errc := make(chan error, 2)
	go func() { errc <- serveOn(srv, ln) }()
	var acmeSrv *http.Server
	if challenge != nil {
		acmeSrv = startChallengeServer(cfg, challenge, logger, errc)
	}
	fmt.Fprintf(out, "conclave %s listening on %s://%s (public URL %s)\n", versionString(), scheme(tlsCfg), ln.Addr(), cfg.PublicURL)
	logger.Info("server started", "listen", ln.Addr().String(), "tls", tlsCfg != nil, "public_url", cfg.PublicURL)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
	}
	logger.Info("shutting down")
	shutdown(srv, acmeSrv, stopConference, logger)
	logger.Info("stopped")
	return serveErr
}

func serveOn(srv *http.Server, ln net.Listener) error {
	var err error
	if srv.TLSConfig != nil {
		err = srv.ServeTLS(ln, "", "") // certificates come from TLSConfig
	} else {
		err = srv.Serve(ln)
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("http server: %w", err)
}

func scheme(tlsCfg *tls.Config) string {
	if tlsCfg != nil {
		return "https"
	}
	return "http"
}

// shutdown stops the conference first so participants are told to leave
// while the HTTP server still runs, then drains HTTP requests.
func shutdown(srv, acmeSrv *http.Server, stopConference func(context.Context), logger *slog.Logger) {
	cctx, cancel := context.WithTimeout(context.Background(), conferenceShutdownTimeout)
	stopConference(cctx)
	cancel()
	hctx, cancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
	defer cancel()
	for _, s := range []*http.Server{srv, acmeSrv} {
		if s == nil {
			continue
		}
		if err := s.Shutdown(hctx); err != nil {
			logger.Warn("http shutdown incomplete", "err", err)
		}
	}
}

// tlsSetup returns nil for plain HTTP (loopback only, see config), a
// certificate-pair config, or an ACME config plus the handler for the
// http-01 challenge.
func tlsSetup(cfg config.Config) (*tls.Config, http.Handler, error) {
	switch {
	case cfg.ACMEDomain != "":
		m := &autocert.Manager{
			Prompt:     autocert.AcceptTOS,
			Cache:      autocert.DirCache(cfg.ACMECacheDir()),
			HostPolicy: autocert.HostWhitelist(cfg.ACMEDomain),
			Email:      cfg.ACMEEmail,
		}
		tc := m.TLSConfig()
		tc.MinVersion = tls.VersionTLS12
		return tc, m.HTTPHandler(nil), nil
	case cfg.TLSCert != "":
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil, nil
	default:
		return nil, nil, nil
	}
}

// startChallengeServer answers ACME http-01 challenges on port 80 of the
// listen host and redirects everything else to HTTPS.
func startChallengeServer(cfg config.Config, h http.Handler, logger *slog.Logger, errc chan<- error) *http.Server {
	host, _, _ := net.SplitHostPort(cfg.Listen)
	srv := newHTTPServer(h, defaultHTTPTimeouts, logger)
	srv.Addr = net.JoinHostPort(host, "80")
	go func() {
		err := srv.ListenAndServe()
		if !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("ACME challenge server on %s: %w", srv.Addr, err)
		}
	}()
	return srv
}
