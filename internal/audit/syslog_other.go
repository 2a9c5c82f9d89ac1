//go:build windows || plan9

package audit

import (
	"context"
	"errors"
)

// SyslogSink is unavailable where Go has no log/syslog.
type SyslogSink struct{}

// DialSyslogSink fails: this platform has no syslog.
func DialSyslogSink(string, string) (*SyslogSink, error) {
	return nil, errors.New("audit: syslog is not available on this platform")
}

// Name names the sink.
func (s *SyslogSink) Name() string { return "syslog" }

// Publish never runs: DialSyslogSink fails.
func (s *SyslogSink) Publish(context.Context, SealedHead) error {
	return errors.New("audit: syslog is not available on this platform")
}

// Close does nothing.
func (s *SyslogSink) Close() error { return nil }
