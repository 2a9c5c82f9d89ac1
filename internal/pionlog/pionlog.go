// Package pionlog routes the logs of Pion (WebRTC, ICE, TURN) into slog at
// levels an operator can live with.
package pionlog

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// factory routes Pion's logs into slog. Pion reports routine teardown
// (closed pipes, late packets) as errors, so its errors become warnings, its
// warnings and info become debug lines, and its debug/trace output is
// dropped: per-packet chatter must not reach production logs.
type factory struct{ log *slog.Logger }

// Factory returns a Pion logger factory writing to log.
func Factory(log *slog.Logger) logging.LoggerFactory { return factory{log} }

// NewLogger implements logging.LoggerFactory.
func (p factory) NewLogger(scope string) logging.LeveledLogger {
	return pionScope{p.log.With("pion", scope)}
}

type pionScope struct{ log *slog.Logger }

func (s pionScope) emit(level slog.Level, msg string) {
	if s.log.Enabled(context.Background(), level) {
		s.log.Log(context.Background(), level, msg)
	}
}

func (pionScope) Trace(string)          {}
func (pionScope) Tracef(string, ...any) {}
func (pionScope) Debug(string)          {}
func (pionScope) Debugf(string, ...any) {}
func (s pionScope) Info(m string)       { s.emit(slog.LevelDebug, m) }
func (s pionScope) Infof(f string, a ...any) {
	s.emit(slog.LevelDebug, fmt.Sprintf(f, a...))
}
func (s pionScope) Warn(m string) { s.emit(slog.LevelDebug, m) }
func (s pionScope) Warnf(f string, a ...any) {
	s.emit(slog.LevelDebug, fmt.Sprintf(f, a...))
}
func (s pionScope) Error(m string) { s.emit(slog.LevelWarn, m) }
func (s pionScope) Errorf(f string, a ...any) {
	s.emit(slog.LevelWarn, fmt.Sprintf(f, a...))
}
