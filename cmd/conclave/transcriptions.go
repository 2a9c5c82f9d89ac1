package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/signal"
	"github.com/conclave-meet/conclave/internal/transcribe/pocketsphinx"
	"github.com/conclave-meet/conclave/internal/transcriptions"
)

// liveTranscriptions is what signalling starts when a host transcribes;
// nil where the organisation does not allow transcription. A missing
// engine is logged and refuses each start with the reason, so that hosts
// are told why (docs/transcripts.md).
func liveTranscriptions(cfg config.Config, st serverStore, logger *slog.Logger) signal.Transcriptions {
	if !cfg.Transcription.Transcription {
		return nil
	}
	o := transcriptions.Options{EngineText: "PocketSphinx, a speech engine on this server: the audio never leaves it",
		Language: "en", Logger: logger, Store: st,
		Retention: func(ctx context.Context, meetingID string) time.Duration {
			own, err := st.MeetingRetention(ctx, meetingID)
			if d, ok := own["transcript"]; err == nil && ok {
				return d
			}
			return cfg.RetentionTranscript
		}}
	eng, err := pocketsphinx.New(pocketsphinx.Config{Log: logger})
	if err != nil {
		logger.Warn("transcription is allowed but its speech engine is missing: hosts cannot start it", "engine", cfg.TranscriptionEngine, "err", err)
	} else {
		o.Engine = eng
	}
	logger.Info("transcription", "allowed", true, "engine", cfg.TranscriptionEngine, "installed", err == nil)
	return transcriptions.New(o)
}

// WithdrawTranscription leaves the account out of every running
// transcription (web: a withdrawal of transcription consent).
func (l *liveRooms) WithdrawTranscription(userID string) int {
	if l.rooms == nil {
		return 0
	}
	return l.rooms.WithdrawTranscription(userID)
}
