package sealed

import (
	"context"
	"errors"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

func TestFileRoundTrip(t *testing.T) {
	ctx := context.Background()
	k := newKeyring(t)
	f := store.SharedFile{ID: "f_1", MeetingID: "k3m9-x2qa-7hvt-p4dz", UploaderID: "p_1", Name: "salaries 2026.xlsx",
		Key: []byte("content key of the salaries file"), Size: 10, Type: "application/pdf", Scan: "clean", CreatedAt: when}
	r, err := SealFile(ctx, k, f)
	if err != nil {
		t.Fatal(err)
	}
	noPlain(t, "the name", r.NameSealed, f.Name)
	noPlain(t, "the key", r.KeySealed, string(f.Key))
	if r.Name != "" || r.Key != nil {
		t.Fatalf("the row holds the plain name or key: %+v", r.SharedFile)
	}
	got, err := r.Open(ctx, k)
	if err != nil || got.Name != f.Name || string(got.Key) != string(f.Key) || got.Size != 10 || got.UploaderID != "p_1" {
		t.Fatalf("got %+v, %v", got, err)
	}
	moved := r
	moved.ID = "f_2"
	if _, err := moved.Open(ctx, k); err == nil {
		t.Error("a file's name opened as another file's")
	}
	if err := k.Shred(ctx, MeetingOwner(f.MeetingID)); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Open(ctx, k); !errors.Is(err, store.ErrErased) {
		t.Errorf("a shredded meeting's file: %v, want ErrErased", err)
	}
}
