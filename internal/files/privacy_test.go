package files

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
)

// The shared_file privacy kind over a real Service and store: export holds
// the files themselves, erasure deletes uploads and keeps received files
// for their uploaders, expiry applies the periods and sweeps leftovers.

func TestKindExportAndErase(t *testing.T) {
	e := newEnv(t, nil)
	kind := privacy.SharedFileKind{Files: e.svc}
	ctx := context.Background()
	fromAlice := e.mustUpload(t, alice, "alice.txt", []byte("from alice to bob\n"), bob)
	e.clock.Advance(time.Second) // export lists oldest first
	toAlice := e.mustUpload(t, bob, "bob.txt", []byte("from bob to alice\n"), alice, carol)
	e.mustUpload(t, carol, "all.txt", []byte("from carol to everyone\n"))

	items, err := kind.Export(ctx, privacy.Subject{ID: "u_alice"})
	if err != nil || len(items) != 2 {
		t.Fatalf("export: %d items, %v", len(items), err)
	}
	for i, role := range []string{`"role":"uploader"`, `"role":"recipient"`} {
		b, err := json.Marshal(items[i].Record)
		if err != nil || !bytes.Contains(b, []byte(role)) || !bytes.Contains(b, []byte(`"name":`)) {
			t.Fatalf("record %d: %s, %v", i, b, err)
		}
	}
	if !bytes.Equal(items[0].File, []byte("from alice to bob\n")) || !bytes.Equal(items[1].File, []byte("from bob to alice\n")) {
		t.Fatalf("exported files %q %q", items[0].File, items[1].File)
	}
	if guest, _ := kind.Export(ctx, privacy.Subject{ID: "p_carol"}); len(guest) != 2 {
		t.Fatalf("carol's export: %d items", len(guest))
	}

	erased, err := kind.Erase(ctx, privacy.Subject{ID: "u_alice"})
	if err != nil || erased.Deleted != 1 || erased.Shredded != 1 || erased.Pseudonymous != 1 {
		t.Fatalf("erase: %+v, %v", erased, err)
	}
	if _, err := os.Stat(e.svc.path(fromAlice.ID)); !os.IsNotExist(err) {
		t.Fatalf("alice's upload is still on disk: %v", err)
	}
	if _, err := e.svc.File(ctx, testMeeting, fromAlice.ID); err == nil {
		t.Fatal("alice's upload still has a row")
	}
	kept, err := e.svc.File(ctx, testMeeting, toAlice.ID)
	want := []store.FileRecipient{{ParticipantID: store.ErasedRecipient}, {ParticipantID: "p_carol"}}
	if err != nil || !slices.Equal(kept.To, want) {
		t.Fatalf("bob's file after alice's erasure: %+v, %v", kept.To, err)
	}
	if items, _ := kind.Export(ctx, privacy.Subject{ID: "u_alice"}); len(items) != 0 {
		t.Fatalf("alice's export after erasure: %d items", len(items))
	}
	if items, _ := kind.Export(ctx, privacy.Subject{ID: "u_bob"}); len(items) != 1 {
		t.Fatalf("bob lost his file: %d items", len(items))
	}
	// The erased recipient's participant ID no longer downloads it.
	if mayDownload(alice, kept) {
		t.Fatal("an erased recipient may still download")
	}
	e.assertStored(t, 2)
}

func TestKindExpire(t *testing.T) {
	e := newEnv(t, nil)
	kind := privacy.SharedFileKind{Files: e.svc}
	ctx := context.Background()
	old := e.mustUpload(t, alice, "old.txt", text(100))
	e.clock.Advance(48 * time.Hour)
	recent := e.mustUpload(t, alice, "recent.txt", text(100))
	other, err := e.svc.Upload(ctx, Upload{MeetingID: otherMeeting, From: bob, Name: "other.txt",
		Body: bytes.NewReader(text(100)), Length: 100})
	if err != nil {
		t.Fatal(err)
	}
	now := e.clock.Now()

	// The other meeting keeps its files for a week; the rest a day.
	n, err := kind.ExpireMeetings(ctx, now.Add(-24*time.Hour), map[string]time.Time{otherMeeting: now.Add(-7 * 24 * time.Hour)})
	if err != nil || n != 1 {
		t.Fatalf("expire: %d, %v", n, err)
	}
	for id, want := range map[string]bool{old.ID: false, recent.ID: true, other.ID: true} {
		if _, err := os.Stat(e.svc.path(id)); (err == nil) != want {
			t.Errorf("%s: content kept %v, want %v", id, err == nil, want)
		}
	}
	e.assertStored(t, 2)

	// Leftovers: content whose row went with its meeting, and an upload a
	// crash interrupted; removed once older than the grace period.
	if _, err := e.st.DeleteMeetings(ctx, []string{otherMeeting}); err != nil {
		t.Fatal(err)
	}
	crashed := filepath.Join(e.svc.opts.Dir, tempPrefix+"123")
	if err := os.WriteFile(crashed, []byte("ciphertext"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := kind.Expire(ctx, now.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(e.svc.path(other.ID)); err != nil {
		t.Fatal("a recent orphan was removed within the grace period")
	}
	e.clock.Advance(2 * orphanGrace)
	for _, p := range []string{crashed, e.svc.path(other.ID), e.svc.path(recent.ID)} {
		past := e.clock.Now().Add(-2 * orphanGrace)
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := kind.Expire(ctx, now.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{crashed: false, e.svc.path(other.ID): false, e.svc.path(recent.ID): true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s kept %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}
