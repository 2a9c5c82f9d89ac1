package files

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestUploadDiskFillsMidway stores the content on a 4 MiB tmpfs and uploads
// 8 MiB with the free-space check fooled: the disk fills while the file is
// written, the upload fails with ErrNoSpace, and the partial file is gone.
func TestUploadDiskFillsMidway(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size=4m,mode=0700"); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root with CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() { _ = syscall.Unmount(dir, syscall.MNT_DETACH) })
	e := newEnv(t, func(o *Options) { o.Dir = filepath.Join(dir, "files") })
	content := text(8 << 20)
	_, err := e.svc.Upload(context.Background(), Upload{MeetingID: testMeeting, From: alice, Name: "big.txt",
		Body: bytes.NewReader(content), Length: int64(len(content))})
	if !errors.Is(err, ErrNoSpace) {
		t.Fatalf("%v, want ErrNoSpace", err)
	}
	e.assertStored(t, 0)
	// The space is free again: a small file fits.
	e.mustUpload(t, alice, "small.txt", text(1<<20))
	entries, _ := os.ReadDir(e.svc.opts.Dir)
	if len(entries) != 1 {
		t.Fatalf("%d entries", len(entries))
	}
}
