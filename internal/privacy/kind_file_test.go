package privacy

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// fakeFiles is SharedFiles in memory: files by ID with their content.
type fakeFiles struct {
	files    map[string]store.SharedFile
	content  map[string][]byte
	expired  time.Time
	cutoffs  map[string]time.Time
	readFail bool
}

func newFakeFiles() *fakeFiles {
	f := &fakeFiles{files: map[string]store.SharedFile{}, content: map[string][]byte{}}
	add := func(sf store.SharedFile, content string) {
		f.files[sf.ID], f.content[sf.ID] = sf, []byte(content)
	}
	add(store.SharedFile{ID: "f_1", MeetingID: "m-1", UploaderID: "p_alice", UploaderUser: "u_alice", Name: "a.pdf", Size: 3},
		"aaa")
	add(store.SharedFile{ID: "f_2", MeetingID: "m-1", UploaderID: "p_bob", UploaderUser: "u_bob", Name: "b.pdf", Size: 3,
		To: []store.FileRecipient{{ParticipantID: "p_alice", UserID: "u_alice"}}}, "bbb")
	add(store.SharedFile{ID: "f_3", MeetingID: "m-1", UploaderID: "p_guest", Name: "g.txt", Size: 3}, "ggg")
	return f
}

func (f *fakeFiles) involved(sf store.SharedFile, subject string) bool {
	if sf.UploaderID == subject || sf.UploaderUser == subject {
		return true
	}
	return slices.ContainsFunc(sf.To, func(r store.FileRecipient) bool { return r.ParticipantID == subject || r.UserID == subject })
}

func (f *fakeFiles) SharedFilesOfSubject(_ context.Context, subject string) ([]store.SharedFile, error) {
	var out []store.SharedFile
	for _, id := range []string{"f_1", "f_2", "f_3"} {
		if sf, ok := f.files[id]; ok && f.involved(sf, subject) {
			out = append(out, sf)
		}
	}
	return out, nil
}

func (f *fakeFiles) ReadSharedFile(_ context.Context, sf store.SharedFile) ([]byte, error) {
	if f.readFail {
		return nil, errors.New("content damaged")
	}
	return f.content[sf.ID], nil
}

func (f *fakeFiles) SharedFileIDsByUploader(_ context.Context, subject string) ([]string, error) {
	var out []string
	for id, sf := range f.files {
		if sf.UploaderID == subject || sf.UploaderUser == subject {
			out = append(out, id)
		}
	}
	return out, nil
}

func (f *fakeFiles) DeleteSharedFiles(_ context.Context, ids []string) (int, error) {
	n := 0
	for _, id := range ids {
		if _, ok := f.files[id]; ok {
			delete(f.files, id)
			delete(f.content, id)
			n++
		}
	}
	return n, nil
}

func (f *fakeFiles) EraseFileRecipient(_ context.Context, subject string) (int, error) {
	n := 0
	for id, sf := range f.files {
		to := slices.Clone(sf.To)
		for i, r := range to {
			if r.ParticipantID == subject || r.UserID == subject {
				to[i] = store.FileRecipient{ParticipantID: store.ErasedRecipient}
				n++
			}
		}
		sf.To = to
		f.files[id] = sf
	}
	return n, nil
}

func (f *fakeFiles) ExpireSharedFiles(_ context.Context, before time.Time, cutoffs map[string]time.Time) (int, error) {
	f.expired, f.cutoffs = before, cutoffs
	return 2, nil
}

func TestSharedFileKind(t *testing.T) {
	ctx := context.Background()
	files := newFakeFiles()
	k := SharedFileKind{Files: files}
	if err := NewRegistry().Register(k); err != nil {
		t.Fatal(err)
	}
	if d := k.Declare(); d.Category != CatFile || d.Name != "shared_file" {
		t.Fatalf("declaration %+v", d)
	}

	items, err := k.Export(ctx, Subject{ID: "u_alice"})
	if err != nil || len(items) != 2 {
		t.Fatalf("export: %d, %v", len(items), err)
	}
	up, got := items[0].Record.(sharedFileRecord), items[1].Record.(sharedFileRecord)
	if up.Role != "uploader" || up.Recipients != "everyone" || string(items[0].File) != "aaa" || items[0].Name != "f_1-a.pdf" {
		t.Fatalf("upload: %+v %q", up, items[0].File)
	}
	if got.Role != "recipient" || got.Recipients != "" || string(items[1].File) != "bbb" {
		t.Fatalf("received: %+v", got)
	}
	if items, _ := k.Export(ctx, Subject{ID: "u_bob"}); len(items) != 1 || items[0].Record.(sharedFileRecord).Recipients != "1" {
		t.Fatalf("bob: %+v", items)
	}

	files.readFail = true
	if _, err := k.Export(ctx, Subject{ID: "u_alice"}); err == nil {
		t.Fatal("a file that cannot be read made a partial export")
	}
	files.readFail = false

	erased, err := k.Erase(ctx, Subject{ID: "u_alice"})
	if err != nil || erased != (Erased{Deleted: 1, Shredded: 1, Pseudonymous: 1, Note: erased.Note}) || erased.Note == "" {
		t.Fatalf("erase: %+v, %v", erased, err)
	}
	if _, ok := files.files["f_1"]; ok {
		t.Fatal("alice's upload kept")
	}
	if to := files.files["f_2"].To; len(to) != 1 || to[0].ParticipantID != store.ErasedRecipient {
		t.Fatalf("bob's file: %+v", to)
	}
	if erased, err := k.Erase(ctx, Subject{ID: "p_guest"}); err != nil || erased.Deleted != 1 || erased.Pseudonymous != 0 {
		t.Fatalf("guest: %+v, %v", erased, err)
	}

	before := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if n, err := k.Expire(ctx, before); err != nil || n != 2 || !files.expired.Equal(before) || files.cutoffs != nil {
		t.Fatalf("expire: %d, %v", n, err)
	}
	cut := map[string]time.Time{"m-1": before.Add(-time.Hour)}
	if _, err := k.ExpireMeetings(ctx, before, cut); err != nil || files.cutoffs["m-1"] != cut["m-1"] {
		t.Fatalf("expire meetings: %v", err)
	}
}
