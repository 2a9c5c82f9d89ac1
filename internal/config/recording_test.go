package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// recordingKeys are the TOML keys of recording.go's options, by flag.
var recordingKeys = map[string]string{"recording": "recording", "max-recordings": "max_recordings",
	"recording-min-free-mb": "recording_min_free_mb", "ffmpeg": "ffmpeg"}

// TestRecordingDefaults: recording is off, two at once, 1 GiB kept free,
// ffmpeg from PATH.
func TestRecordingDefaults(t *testing.T) {
	cfg := mustLoad(t, nil, noEnv)
	if cfg.Recording != (Recording{MaxRecordings: 2, RecordingMinFreeMB: 1024}) || cfg.RecordingMinFreeBytes() != 1<<30 {
		t.Fatalf("defaults: %+v", cfg.Recording)
	}
	if cfg.RecordingsDir() != filepath.Join(cfg.DataDir, "recordings") {
		t.Fatalf("recordings dir %s", cfg.RecordingsDir())
	}
}

func TestLoadRecordingEverySource(t *testing.T) {
	want := Recording{Recording: true, MaxRecordings: 5, RecordingMinFreeMB: 2048, FFmpeg: "/usr/bin/ffmpeg"}
	flags := mustLoad(t, []string{"--recording", "true", "--max-recordings", "5", "--recording-min-free-mb", "2048",
		"--ffmpeg", "/usr/bin/ffmpeg"}, noEnv)
	env := mustLoad(t, nil, env(map[string]string{"CONCLAVE_RECORDING": "1", "CONCLAVE_MAX_RECORDINGS": "5",
		"CONCLAVE_RECORDING_MIN_FREE_MB": "2048", "CONCLAVE_FFMPEG": "/usr/bin/ffmpeg"}))
	path := writeFile(t, "recording = true\nmax_recordings = 5\nrecording_min_free_mb = 2048\nffmpeg = \"/usr/bin/ffmpeg\"\n")
	file := mustLoad(t, []string{"--config", path}, noEnv)
	for name, cfg := range map[string]Config{"flags": flags, "env": env, "file": file} {
		if cfg.Recording != want {
			t.Errorf("%s: %+v, want %+v", name, cfg.Recording, want)
		}
	}
}

func TestValidateRecording(t *testing.T) {
	for _, tc := range []struct {
		max, free int
		ffmpeg    string
		want      string // "" for valid
	}{
		{2, 1024, "", ""},
		{1, 0, "off", ""},
		{MaxMaxRecordings, 1, "/opt/ffmpeg/bin/ffmpeg", ""},
		{2, 1024, "ffmpeg5", ""},
		{0, 1024, "", "max_recordings"},
		{MaxMaxRecordings + 1, 1024, "", "max_recordings"},
		{2, -1, "", "recording_min_free_mb"},
		{2, 1024, "bin/ffmpeg", "ffmpeg"},
		{2, 1024, "ffmpeg -y", "ffmpeg"},
	} {
		cfg := valid()
		cfg.MaxRecordings, cfg.RecordingMinFreeMB, cfg.FFmpeg = tc.max, tc.free, tc.ffmpeg
		err := cfg.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%+v: %v, want %q", tc, err, tc.want)
		}
	}
}
