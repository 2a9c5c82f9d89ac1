//go:build !windows && !plan9

package audit

import (
	"context"
	"fmt"
	"log/syslog"
)

// SyslogSink sends every head to syslog (and so to journald where it
// collects syslog), facility daemon, tag "conclave". The system log is
// typically owned by root and shipped off the machine, out of reach of
// someone who can only write the database.
type SyslogSink struct {
	w *syslog.Writer
}

// DialSyslogSink connects to the local syslog daemon when network and
// raddr are empty, else to raddr over network ("udp", "tcp").
func DialSyslogSink(network, raddr string) (*SyslogSink, error) {
	w, err := syslog.Dial(network, raddr, syslog.LOG_INFO|syslog.LOG_DAEMON, "conclave")
	if err != nil {
		return nil, fmt.Errorf("audit: connect to syslog: %w", err)
	}
	return &SyslogSink{w: w}, nil
}

// Name names the sink.
func (s *SyslogSink) Name() string { return "syslog" }

// Publish writes "audit head anchor=SEQ:HASH:TIME:SEAL" at level info.
func (s *SyslogSink) Publish(_ context.Context, h SealedHead) error {
	if err := s.w.Info("audit head anchor=" + h.String()); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}

// Close closes the connection.
func (s *SyslogSink) Close() error { return s.w.Close() }
