package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// Recording holds the settings of meeting recordings (docs/operations.md,
// "Recordings"). It is embedded in Config, so its keys sit at the top
// level of the TOML file.
type Recording struct {
	// Recording: the organisation allows recording at all. Off by
	// default: recording is personal data nobody should collect by
	// accident.
	Recording bool `toml:"recording"`
	// MaxRecordings is how many recordings the server runs at once.
	MaxRecordings int `toml:"max_recordings"`
	// RecordingMinFreeMB is the free space, in MiB, below which no
	// recording starts and no track file is added.
	RecordingMinFreeMB int `toml:"recording_min_free_mb"`
	// FFmpeg is ffmpeg's path for the composite export; empty finds it in
	// PATH, "off" turns the export off.
	FFmpeg string `toml:"ffmpeg"`
}

// Defaults and bounds of the recording settings.
const (
	DefaultMaxRecordings      = 2
	MaxMaxRecordings          = 100
	DefaultRecordingMinFreeMB = 1024
)

// DefaultRecording returns the recording settings used when nothing is set.
func DefaultRecording() Recording {
	return Recording{MaxRecordings: DefaultMaxRecordings, RecordingMinFreeMB: DefaultRecordingMinFreeMB}
}

// recordingOptions: load.go appends these to options.
var recordingOptions = []option{
	{"recording", "CONCLAVE_RECORDING", "true: hosts may record meetings, with each participant's consent (default false)",
		boolean(func(c *Config) *bool { return &c.Recording.Recording })},
	{"max-recordings", "CONCLAVE_MAX_RECORDINGS", "recordings the server runs at once (default " + strconv.Itoa(DefaultMaxRecordings) + ")",
		num(func(c *Config) *int { return &c.MaxRecordings })},
	{"recording-min-free-mb", "CONCLAVE_RECORDING_MIN_FREE_MB", "free MiB below which no recording starts (default " + strconv.Itoa(DefaultRecordingMinFreeMB) + ")",
		num(func(c *Config) *int { return &c.RecordingMinFreeMB })},
	{"ffmpeg", "CONCLAVE_FFMPEG", "ffmpeg for the recordings' composite export: a path, or off (default: ffmpeg found in PATH)",
		str(func(c *Config) *string { return &c.FFmpeg })},
}

// RecordingMinFreeBytes is RecordingMinFreeMB in bytes.
func (c Config) RecordingMinFreeBytes() uint64 { return uint64(max(c.RecordingMinFreeMB, 0)) << 20 }

// RecordingsDir holds the recordings' sealed files.
func (c Config) RecordingsDir() string { return filepath.Join(c.contentDir(), "recordings") }

func (c Config) validateRecording() error {
	var errs []error
	if c.MaxRecordings < 1 || c.MaxRecordings > MaxMaxRecordings {
		errs = append(errs, fmt.Errorf("max_recordings %d out of range 1-%d", c.MaxRecordings, MaxMaxRecordings))
	}
	if c.RecordingMinFreeMB < 0 {
		errs = append(errs, fmt.Errorf("recording_min_free_mb %d must not be negative", c.RecordingMinFreeMB))
	}
	if c.FFmpeg != "" && c.FFmpeg != "off" && !strings.Contains(c.FFmpeg, "/") && strings.ContainsAny(c.FFmpeg, " \t") {
		errs = append(errs, fmt.Errorf("ffmpeg %q must be a path, a command name or off", c.FFmpeg))
	}
	if c.FFmpeg != "" && strings.Contains(c.FFmpeg, "/") && !filepath.IsAbs(c.FFmpeg) {
		errs = append(errs, fmt.Errorf("ffmpeg %q must be an absolute path", c.FFmpeg))
	}
	return errors.Join(errs...)
}
