package privacy

import (
	"archive/zip"
	"bytes"
	"context"
	"testing"
)

// TestArchiveEntriesDatedAtExport: every entry, data.json included, bears
// the export's time rather than the zip epoch of a zero time (1980).
func TestArchiveEntriesDatedAtExport(t *testing.T) {
	f, svc := newFixture()
	f.add(t, "meeting", CatMeeting, func(k *recKind) {
		k.items = []Item{{Record: map[string]string{"title": "Standup"}}, {Name: "notes.txt", File: []byte("x")}}
	})
	exp, err := svc.Export(context.Background(), Subject{ID: "u_abc"})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteArchive(&buf, exp); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if !zf.Modified.Equal(fixedNow) {
			t.Errorf("%s dated %v, want %v", zf.Name, zf.Modified, fixedNow)
		}
	}
}
