package sqlite

import (
	"context"
	"path/filepath"
	"testing"
)

// TestMeetingTranscriptionMigration: transcription becomes a meeting
// option of its own (00028); meetings created recordable before, whose
// recording option covered transcription, stay transcribable, and the
// others do not become so.
func TestMeetingTranscriptionMigration(t *testing.T) {
	const before, version = 27, 28
	ctx := context.Background()
	db, p := openRaw(t, filepath.Join(t.TempDir(), "conclave.db"), before)
	for _, q := range []string{
		`INSERT INTO users (id, role, password_hash, created_at) VALUES ('u_a', 'admin', 'h', 5)`,
		`INSERT INTO meetings (id, title_sealed, passcode_sealed, host_id, created_at, recording) VALUES ('rec', x'00', x'00', 'u_a', 6, 1)`,
		`INSERT INTO meetings (id, title_sealed, passcode_sealed, host_id, created_at, recording) VALUES ('plain', x'00', x'00', 'u_a', 7, 0)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]int{"rec": 1, "plain": 0} {
		var got int
		if err := db.QueryRow("SELECT transcription FROM meetings WHERE id = ?", id).Scan(&got); err != nil || got != want {
			t.Fatalf("meeting %s: transcription %d (%v), want %d", id, got, err, want)
		}
	}
	if _, err := p.DownTo(ctx, before); err != nil {
		t.Fatal(err)
	}
	if _, err := p.UpTo(ctx, version); err != nil {
		t.Fatalf("up again: %v", err)
	}
}
