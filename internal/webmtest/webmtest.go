// Package webmtest reads back what a recording wrote, for tests: the
// blocks of a one-track WebM file (a file cut by a crash included), and a
// scan proving that nothing of the plain media reached a directory.
package webmtest

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/at-wat/ebml-go"
	"github.com/at-wat/ebml-go/webm"
)

// Frame is one block read back.
type Frame struct {
	TC   int64 // ms from the recording's start
	Key  bool
	Data []byte
}

// Track is a one-track WebM file read back.
type Track struct {
	Entry  webm.TrackEntry
	Frames []Frame
	// Cut: the file ends inside its last cluster, as one a crash cut
	// does (sizes are left open, as in a live stream); the blocks before
	// the cut are read.
	Cut bool
}

// Decode parses plain as a one-track WebM file, failing t otherwise.
func Decode(t testing.TB, plain []byte) Track {
	t.Helper()
	var doc struct {
		Header  webm.EBMLHeader `ebml:"EBML"`
		Segment webm.Segment    `ebml:"Segment"`
	}
	err := ebml.Unmarshal(bytes.NewReader(plain), &doc)
	cut := errors.Is(err, io.ErrUnexpectedEOF)
	if err != nil && !cut {
		t.Fatalf("WebM does not parse: %v", err)
	}
	if doc.Header.DocType != "webm" || len(doc.Segment.Tracks.TrackEntry) != 1 {
		t.Fatalf("not a one-track WebM (%d bytes): %+v", len(plain), doc.Header)
	}
	d := Track{Entry: doc.Segment.Tracks.TrackEntry[0], Cut: cut}
	for _, c := range doc.Segment.Cluster {
		for _, b := range c.SimpleBlock {
			if b.TrackNumber != 1 || len(b.Data) != 1 {
				t.Fatalf("unexpected block %+v", b)
			}
			d.Frames = append(d.Frames, Frame{TC: int64(c.Timecode) + int64(b.Timecode), Key: b.Keyframe, Data: b.Data[0]})
		}
	}
	return d
}

// EBMLMagic starts every WebM file.
var EBMLMagic = []byte{0x1a, 0x45, 0xdf, 0xa3}

// ScanPlain fails t when a file under dir holds the EBML magic or one of
// patterns: nothing plain may reach the disk. It returns how many files
// it read.
func ScanPlain(t testing.TB, dir string, patterns ...string) int {
	t.Helper()
	n := 0
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if bytes.Contains(b, EBMLMagic) {
			t.Errorf("%s holds the EBML magic in the clear", path)
		}
		for _, p := range patterns {
			if bytes.Contains(b, []byte(p)) {
				t.Errorf("%s holds %q in the clear", path, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}
