package recordings

import (
	"fmt"
	"syscall"
)

// freeSpace returns the bytes an unprivileged writer may still use on the
// file system holding dir (f_bavail: root's reserve does not help a server
// that should not run as root), as internal/web's readiness check reads it.
func freeSpace(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}
