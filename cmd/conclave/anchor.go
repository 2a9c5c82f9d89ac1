package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/config"
)

// startAnchorer publishes the audit log's sealed head to the server log and
// the configured sinks at start-up, on schedule and every so many entries
// (docs/security.md). A sink that cannot be set up stops the start: the
// operator asked for it. stop publishes the shutdown head and waits; call
// it after everything else that appends has stopped.
func startAnchorer(ctx context.Context, cfg config.Config, auditLog *audit.Log, logger *slog.Logger) (stop func(), err error) {
	sinks, closeSinks, err := anchorSinks(cfg)
	if err != nil {
		return nil, err
	}
	if anchorFileInDataDir(cfg) {
		logger.Warn("audit_anchor_file is inside the data directory: whoever can change the database " +
			"can change it too; put it on another volume")
	}
	a := audit.NewAnchorer(auditLog, audit.AnchorOptions{
		Sinks: sinks, Interval: cfg.AuditAnchorInterval, Every: int64(cfg.AuditAnchorEvery), Logger: logger,
	})
	// Not ctx: the anchorer must outlive the request handlers that append
	// while the server drains, to publish the head after them.
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Run(runCtx)
	}()
	return func() {
		cancel()
		<-done
		closeSinks()
	}, nil
}

// anchorSinks opens the sinks the configuration names, and returns a
// function closing them.
func anchorSinks(cfg config.Config) ([]audit.Sink, func(), error) {
	var sinks []audit.Sink
	var closers []io.Closer
	closeAll := func() {
		for _, c := range closers {
			c.Close()
		}
	}
	if cfg.AuditAnchorFile != "" {
		f, err := audit.OpenFileSink(cfg.AuditAnchorFile)
		if err != nil {
			return nil, nil, err
		}
		sinks, closers = append(sinks, f), append(closers, f)
	}
	if cfg.AuditAnchorSyslog {
		s, err := audit.DialSyslogSink("", "")
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		sinks, closers = append(sinks, s), append(closers, s)
	}
	if cfg.AuditAnchorWebhook != "" {
		w, err := audit.NewWebhookSink(cfg.AuditAnchorWebhook)
		if err != nil {
			closeAll()
			return nil, nil, err
		}
		sinks = append(sinks, w)
	}
	return sinks, closeAll, nil
}

// anchorFileInDataDir reports whether the anchor file sits in the data
// dir, where it shares the fate of the database it is meant to check.
func anchorFileInDataDir(cfg config.Config) bool {
	if cfg.AuditAnchorFile == "" {
		return false
	}
	dir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(dir, cfg.AuditAnchorFile)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// parseAnchorFlag reads --anchor: a plain SEQ:HASH or a sealed head as the
// server log prints it (anchor=...). nil when not given.
func parseAnchorFlag(text string) (*audit.SealedHead, error) {
	if text == "" {
		return nil, nil
	}
	h, err := audit.ParseHead(text)
	if err != nil {
		return nil, usageError{"audit verify: --anchor: " + err.Error()}
	}
	return &h, nil
}

// publishedAnchors gathers what verify checks the log against: the --anchor
// value, whose seal must hold when it has one, and every head in the anchor
// file (--anchor-file, else audit_anchor_file of the configuration). A
// configured file that cannot be read is an error, not an unchecked pass.
func publishedAnchors(auditLog *audit.Log, cfg config.Config, given *audit.SealedHead, file string, w io.Writer) ([]audit.Anchor, error) {
	if file == "" {
		file = cfg.AuditAnchorFile
	}
	if (given != nil && given.Seal != nil) || file != "" {
		if _, err := audit.LoadKey(cfg.AuditKeyPath()); err != nil {
			return nil, fmt.Errorf("published heads cannot be checked without the audit key: %w", err)
		}
	}
	var anchors []audit.Anchor
	if given != nil {
		if given.Seal != nil && !auditLog.CheckHead(*given) {
			return nil, errors.New("--anchor: head seal does not match (forged, or sealed under another key)")
		}
		anchors = append(anchors, given.Anchor())
	}
	if file == "" {
		return anchors, nil
	}
	p, err := auditLog.ReadHeadFile(file)
	if err != nil {
		return nil, err
	}
	if len(p.Heads) == 0 {
		fmt.Fprintf(w, "anchor file %s holds no published heads\n", file)
		return anchors, nil
	}
	fmt.Fprintf(w, "checking against %d published head(s) from %s; newest %s, published %s\n",
		len(p.Heads), file, p.Newest.Anchor(), p.Newest.Time.Format("2006-01-02 15:04:05 UTC"))
	return append(anchors, p.Anchors()...), nil
}
