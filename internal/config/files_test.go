package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// filesKeys are the TOML keys of files.go's options, by flag.
var filesKeys = map[string]string{"clamd-socket": "clamd_socket", "file-max-mb": "file_max_mb"}

// TestFilesDefaults: files are not scanned unless a clamd socket is
// configured, and the size limit is 25 MiB.
func TestFilesDefaults(t *testing.T) {
	cfg := mustLoad(t, nil, noEnv)
	if cfg.ClamdSocket != "" || cfg.FileMaxMB != DefaultFileMaxMB || cfg.FileMaxBytes() != 25<<20 {
		t.Fatalf("defaults: %+v", cfg.Files)
	}
	if cfg.FilesDir() != filepath.Join(cfg.DataDir, "files") {
		t.Fatalf("files dir %s", cfg.FilesDir())
	}
}

func TestValidateFiles(t *testing.T) {
	for _, tc := range []struct {
		socket string
		mb     int
		want   string // "" for valid
	}{
		{"", 25, ""},
		{"/run/clamav/clamd.ctl", 1, ""},
		{"unix:/run/clamav/clamd.ctl", MaxFileMaxMB, ""},
		{"127.0.0.1:3310", 25, ""},
		{"tcp:clamav:3310", 25, ""},
		{"clamd.ctl", 25, "clamd_socket"},
		{"unix:relative.sock", 25, "clamd_socket"},
		{"", 0, "file_max_mb"},
		{"", MaxFileMaxMB + 1, "file_max_mb"},
	} {
		cfg := valid()
		cfg.ClamdSocket, cfg.FileMaxMB = tc.socket, tc.mb
		err := cfg.Validate()
		if (tc.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("%q %d: %v, want %q", tc.socket, tc.mb, err, tc.want)
		}
	}
}
