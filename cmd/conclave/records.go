package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/records"
	"github.com/conclave-meet/conclave/internal/retention"
)

// startRetention sweeps expired data of every registered kind once before
// the server takes requests, so that nothing past its period is served
// after a long downtime, then every retention_sweep until ctx ends. A
// failed sweep is logged and retried at the next interval: it must not
// keep the service down.
func startRetention(ctx context.Context, cfg config.Config, st serverStore, auditLog *audit.Log, reg *privacy.Registry, logger *slog.Logger) {
	s := &retention.Sweeper{Registry: reg, Policy: retention.FromConfig(cfg.Privacy), Overrides: st, Audit: auditLog, Logger: logger}
	if _, err := s.Sweep(ctx); err != nil {
		logger.Error("retention sweep", "err", err)
	}
	go s.Run(ctx, cfg.RetentionSweep, nil)
}

// securityMeasures are the measures in force that the configuration alone
// does not show, for the records of processing.
func securityMeasures(cfg config.Config) []string {
	files := "The data directory is created with mode 0700 and the database with mode 0600; the server warns at start when they are readable by others."
	if cfg.StoreKind() == config.StorePostgres {
		files = "The data directory (key files, shared files, recordings) is created with mode 0700; the server warns at start when it is readable by others."
	}
	return []string{
		"Personal data in the database is encrypted at rest with per-subject data keys wrapped by a master key kept outside the database (conclave keys status).",
		files,
	}
}

// runPrivacyReport writes the records of processing for the configuration
// and data dir the flags name: conclave privacy report [--format md|html].
func runPrivacyReport(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("privacy report", e)
	var cf cliFlags
	cf.register(fs, false)
	format := fs.String("format", "md", "md or html")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *format != "md" && *format != "html" {
		return usageError{fmt.Sprintf("privacy report: --format must be md or html, not %q", *format)}
	}
	cfg, st, err := cf.openExisting(ctx, e)
	if err != nil {
		return err
	}
	defer st.Close()
	auditLog, err := openAuditLog(st, cfg)
	if err != nil {
		return err
	}
	shared, err := storedFiles(cfg, st, auditLog)
	if err != nil {
		return err
	}
	recs, err := newRecordingService(ctx, cfg, st, nil)
	if err != nil {
		return err
	}
	reg, err := newPrivacyRegistry(privacyDeps{Config: cfg, Store: st, Audit: auditLog, Files: shared, Recordings: recs})
	if err != nil {
		return err
	}
	if err := recordCLI(ctx, auditLog, audit.Event{Action: audit.PrivacyReport, Details: map[string]string{"format": *format}}); err != nil {
		return fmt.Errorf("record privacy report: %w", err)
	}
	doc := records.Report(records.Inputs{Config: cfg, Registry: reg, Now: time.Now(), Version: versionString(), Measures: securityMeasures(cfg)})
	if *format == "html" {
		return doc.HTML(e.stdout)
	}
	return doc.Markdown(e.stdout)
}
