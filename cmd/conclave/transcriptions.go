package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/records"
	"github.com/conclave-meet/conclave/internal/signal"
	"github.com/conclave-meet/conclave/internal/transcribe"
	"github.com/conclave-meet/conclave/internal/transcribe/endpoint"
	"github.com/conclave-meet/conclave/internal/transcribe/pocketsphinx"
	"github.com/conclave-meet/conclave/internal/transcribe/remote"
	"github.com/conclave-meet/conclave/internal/transcribe/whisper"
	"github.com/conclave-meet/conclave/internal/transcriptions"
)

// liveTranscriptions is what signalling starts when a host transcribes;
// nil where the organisation does not allow transcription. A missing
// PocketSphinx is logged and refuses each start with the reason, so that
// hosts are told why (docs/transcripts.md); a whisper.cpp server or worker
// that cannot be configured (an unreadable token or CA file) stops the
// server, since the operator asked for it by name.
func liveTranscriptions(cfg config.Config, st serverStore, logger *slog.Logger) (signal.Transcriptions, error) {
	if !cfg.Transcription.Transcription {
		return nil, nil
	}
	o := transcriptions.Options{EngineText: records.TranscriptionEngineText(cfg),
		Language: "en", Logger: logger, Store: st,
		Retention: func(ctx context.Context, meetingID string) time.Duration {
			own, err := st.MeetingRetention(ctx, meetingID)
			if d, ok := own["transcript"]; err == nil && ok {
				return d
			}
			return cfg.RetentionTranscript
		}}
	eng, err := newSpeechEngine(cfg, logger)
	switch {
	case errors.Is(err, transcribe.ErrNotInstalled):
		logger.Warn("transcription is allowed but its speech engine is missing: hosts cannot start it", "engine", cfg.TranscriptionEngine, "err", err)
	case err != nil:
		return nil, err
	default:
		o.Engine = eng
	}
	// The host is the engine's address, never its token.
	logger.Info("transcription", "allowed", true, "engine", cfg.TranscriptionEngine, "host", cfg.TranscriptionHost(), "installed", err == nil)
	return transcriptions.New(o), nil
}

// newSpeechEngine builds the engine transcription_engine names. It does
// not contact a remote one: a server that is down fails each stream's
// start, with the reason, and recovers when it is back.
func newSpeechEngine(cfg config.Config, logger *slog.Logger) (transcribe.Engine, error) {
	switch cfg.TranscriptionEngine {
	case config.EngineWhisper:
		token, err := endpoint.ReadToken(cfg.WhisperTokenFile)
		if err != nil {
			return nil, fmt.Errorf("whisper_token_file: %w", err)
		}
		eng, err := whisper.New(whisper.Config{URL: cfg.WhisperURL, CAFile: cfg.WhisperCAFile, Token: token, Log: logger})
		if err != nil {
			return nil, fmt.Errorf("transcription_engine whisper: %w", err)
		}
		return eng, nil
	case config.EngineRemote:
		token, err := endpoint.ReadToken(cfg.TranscriptionWorkerTokenFile)
		if err != nil {
			return nil, fmt.Errorf("transcription_worker_token_file: %w", err)
		}
		eng, err := remote.New(remote.Config{URL: cfg.TranscriptionWorkerURL, CAFile: cfg.TranscriptionWorkerCAFile, Token: token, Log: logger})
		if err != nil {
			return nil, fmt.Errorf("transcription_engine remote: %w", err)
		}
		return eng, nil
	default:
		eng, err := pocketsphinx.New(pocketsphinx.Config{Log: logger})
		if err != nil {
			return nil, fmt.Errorf("transcription_engine pocketsphinx: %w", err)
		}
		return eng, nil
	}
}
