package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/conclave-meet/conclave/internal/clamav"
)

// Files holds the settings of file sharing in meetings (docs/operations.md,
// "Shared files"). It is embedded in Config, so its keys sit at the top
// level of the TOML file.
type Files struct {
	// ClamdSocket is clamd's socket: an absolute path (unix socket) or
	// host:port (TCP). Empty: shared files are not scanned for malware.
	ClamdSocket string `toml:"clamd_socket"`
	// FileMaxMB is the size limit of one shared file, in MiB.
	FileMaxMB int `toml:"file_max_mb"`
}

// DefaultFileMaxMB is the size limit of a shared file unless configured;
// MaxFileMaxMB bounds it (a shared file is held whole in an export, and
// clamd's StreamMaxLength must cover it).
const (
	DefaultFileMaxMB = 25
	MaxFileMaxMB     = 1024
)

// DefaultFiles returns the file-sharing settings used when nothing is set.
func DefaultFiles() Files { return Files{FileMaxMB: DefaultFileMaxMB} }

// filesOptions: load.go appends these to options.
var filesOptions = []option{
	{"clamd-socket", "CONCLAVE_CLAMD_SOCKET", "clamd socket to scan shared files for malware: an absolute path (unix) or host:port (TCP) (default off: files are not scanned)",
		str(func(c *Config) *string { return &c.ClamdSocket })},
	{"file-max-mb", "CONCLAVE_FILE_MAX_MB", "size limit of one file shared in a meeting, in MiB (default " + strconv.Itoa(DefaultFileMaxMB) + ")",
		num(func(c *Config) *int { return &c.FileMaxMB })},
}

// FileMaxBytes is FileMaxMB in bytes.
func (c Config) FileMaxBytes() int64 { return int64(c.FileMaxMB) << 20 }

// FilesDir holds the shared files' encrypted content.
func (c Config) FilesDir() string { return filepath.Join(c.contentDir(), "files") }

func (c Config) validateFiles() error {
	var errs []error
	if c.FileMaxMB < 1 || c.FileMaxMB > MaxFileMaxMB {
		errs = append(errs, fmt.Errorf("file_max_mb %d out of range 1-%d", c.FileMaxMB, MaxFileMaxMB))
	}
	if c.ClamdSocket != "" {
		if _, _, err := clamav.ParseSocket(c.ClamdSocket); err != nil {
			errs = append(errs, fmt.Errorf("clamd_socket %w", err))
		}
	}
	return errors.Join(errs...)
}
