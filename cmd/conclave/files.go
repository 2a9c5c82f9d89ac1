package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/files"
)

// newFileService opens the shared-file store (docs/privacy.md, "Files"),
// scanning uploads with clamd when clamd_socket is set. A configured
// scanner that does not answer at start is logged, not fatal: uploads fail
// closed until it answers.
func newFileService(cfg config.Config, st serverStore, log *audit.Log, logger *slog.Logger) (*files.Service, error) {
	scanner, err := files.ClamdScanner(cfg.ClamdSocket)
	if err != nil {
		return nil, fmt.Errorf("clamd_socket: %w", err)
	}
	svc, err := files.New(files.Options{Dir: cfg.FilesDir(), Store: st, Scanner: scanner, Audit: log,
		MaxBytes: cfg.FileMaxBytes(), MinFree: cfg.MinFreeBytes(), Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("shared files: %w", err)
	}
	on, what := svc.Scanning()
	logger.Info("shared files", "scanned", on, "scanner", what)
	if on {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := svc.CheckScanner(ctx); err != nil {
			logger.Warn("virus scanner not answering: uploads are refused until it does", "err", err)
		}
	}
	return svc, nil
}

// storedFiles opens the shared files for the CLI's privacy commands
// (export, erasure, report), which read and delete but never upload, so
// no scanner is needed.
func storedFiles(cfg config.Config, st serverStore, log *audit.Log) (*files.Service, error) {
	svc, err := files.New(files.Options{Dir: cfg.FilesDir(), Store: st, Audit: log,
		MaxBytes: cfg.FileMaxBytes(), MinFree: cfg.MinFreeBytes()})
	if err != nil {
		return nil, fmt.Errorf("shared files: %w", err)
	}
	return svc, nil
}
