package privacy

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// transcriptWorld is newWorld with a transcript of meeting m-1: alice
// (p_alice, u_alice) and a guest (p_guest) speak, alice twice.
func transcriptWorld(t *testing.T) (world, time.Time) {
	t.Helper()
	w := newWorld(t)
	at := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	for i, seg := range []store.TranscriptSegment{
		{ID: "s_1", SpeakerID: "p_alice", SpeakerUser: "u_alice", SpeakerName: "Alice", Text: "good morning everyone"},
		{ID: "s_2", SpeakerID: "p_guest", SpeakerName: "Gus", Text: "morning alice"},
		{ID: "s_3", SpeakerID: "p_alice", SpeakerUser: "u_alice", SpeakerName: "Alice", Text: "let us begin"},
	} {
		seg.MeetingID, seg.TranscriptionID, seg.CreatedAt = "m-1", "t_1", at
		seg.Start, seg.End = time.Duration(i)*2*time.Second, time.Duration(i)*2*time.Second+time.Second
		at = at.Add(time.Minute)
		must(t, w.st.AddTranscriptSegment(context.Background(), seg))
	}
	return w, at
}

func TestTranscriptKindDeclaration(t *testing.T) {
	d := TranscriptKind{}.Declare()
	if err := d.Validate(); err != nil || d.Category != CatTranscript || d.Name != "transcript" {
		t.Fatalf("declaration %+v: %v", d, err)
	}
	sealed := 0
	for _, f := range d.Fields {
		if strings.HasSuffix(f, "(sealed)") {
			sealed++
		}
	}
	if sealed != 2 {
		t.Fatalf("text and speaker name must be declared sealed: %v", d.Fields)
	}
}

// TestTranscriptKindExport: a subject's export holds their own lines,
// with text and name, and nobody else's.
func TestTranscriptKindExport(t *testing.T) {
	w, _ := transcriptWorld(t)
	k := TranscriptKind{Store: w.st}
	items, err := k.Export(context.Background(), Subject{ID: "u_alice"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(items)
	if len(items) != 2 || !strings.Contains(string(b), "good morning everyone") || !strings.Contains(string(b), "let us begin") ||
		strings.Contains(string(b), "morning alice") || strings.Contains(string(b), "Gus") {
		t.Fatalf("alice's export: %s", b)
	}
	items, err = k.Export(context.Background(), Subject{ID: "p_guest"})
	if err != nil || len(items) != 1 || items[0].Record.(transcriptRecord).Text != "morning alice" {
		t.Fatalf("the guest's export: %+v, %v", items, err)
	}
}

// TestTranscriptKindErase: the subject's lines go, the others' stay; a
// subject of no recognised form is refused.
func TestTranscriptKindErase(t *testing.T) {
	ctx := context.Background()
	w, _ := transcriptWorld(t)
	k := TranscriptKind{Store: w.st}
	if _, err := k.Erase(ctx, Subject{ID: ""}); err == nil {
		t.Fatal("an empty subject was erased")
	}
	got, err := k.Erase(ctx, Subject{ID: "u_alice"})
	if err != nil || got.Deleted != 2 {
		t.Fatalf("erase = %+v, %v", got, err)
	}
	left, err := w.st.TranscriptSegments(ctx, "m-1", "t_1")
	if err != nil || len(left) != 1 || left[0].SpeakerID != "p_guest" {
		t.Fatalf("left after erasure: %+v, %v", left, err)
	}
}

// TestTranscriptKindExpire: lines older than the cut-off go, and a
// meeting's own period applies to its lines.
func TestTranscriptKindExpire(t *testing.T) {
	ctx := context.Background()
	w, end := transcriptWorld(t)
	k := TranscriptKind{Store: w.st}
	n, err := k.Expire(ctx, end.Add(-90*time.Second))
	if err != nil || n != 2 {
		t.Fatalf("expired %d, %v; want the two older lines", n, err)
	}
	n, err = k.ExpireMeetings(ctx, end, map[string]time.Time{"m-1": end.Add(-time.Hour)})
	if err != nil || n != 0 {
		t.Fatalf("with the meeting's own longer period: %d, %v", n, err)
	}
	if n, err = k.Expire(ctx, end); err != nil || n != 1 {
		t.Fatalf("the last line: %d, %v", n, err)
	}
}
