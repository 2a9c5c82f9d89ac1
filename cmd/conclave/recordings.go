package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/recordings"
	"github.com/conclave-meet/conclave/internal/signal"
)

// newRecordingService opens the recordings catalog (docs/privacy.md,
// "Recordings") and ends the recordings a previous run left running.
// logger may be nil (the CLI's privacy commands, which read and delete
// but never record).
func newRecordingService(ctx context.Context, cfg config.Config, st serverStore, logger *slog.Logger) (*recordings.Service, error) {
	svc, err := recordings.New(recordings.Options{Dir: cfg.RecordingsDir(), Store: st, Enabled: cfg.Recording.Recording,
		Max: cfg.MaxRecordings, MinFree: cfg.RecordingMinFreeBytes(), FFmpeg: cfg.FFmpeg, Logger: logger})
	if err != nil {
		return nil, fmt.Errorf("recordings: %w", err)
	}
	if logger == nil {
		return svc, nil
	}
	n, err := svc.Recover(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		logger.Warn("recordings left running by the last run were ended as interrupted", "recordings", n)
	}
	ok, what := svc.FFmpeg()
	logger.Info("recordings", "allowed", cfg.Recording.Recording, "max", cfg.MaxRecordings, "composite", ok, "ffmpeg", what)
	return svc, nil
}

// liveRecordings is what signalling starts when a host records; nil where
// the organisation does not allow recording.
// (An interface, so that "none" is a nil interface, not a nil *Live.)
func liveRecordings(cfg config.Config, st serverStore, recs *recordings.Service, log *audit.Log, logger *slog.Logger) signal.Recordings {
	if !cfg.Recording.Recording {
		return nil
	}
	return recordings.NewLive(recs, recordings.LiveOptions{Audit: log, Logger: logger,
		Retention: func(ctx context.Context, meetingID string) time.Duration {
			own, err := st.MeetingRetention(ctx, meetingID)
			if d, ok := own["recording"]; err == nil && ok {
				return d
			}
			return cfg.RetentionRecording
		}})
}
