package storetest

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// TranscriptStore is what a backend that keeps transcripts implements
// (docs/transcripts.md, "The stored transcript"). It is not part of
// store.Store; the transcript tests are skipped for a backend without it.
type TranscriptStore interface {
	AddTranscriptSegment(ctx context.Context, seg store.TranscriptSegment) error
	TranscriptsOfMeeting(ctx context.Context, meetingID string) ([]store.Transcript, error)
	TranscriptSegments(ctx context.Context, meetingID, transcriptionID string) ([]store.TranscriptSegment, error)
	TranscriptSegmentsOfSubject(ctx context.Context, subjectID string) ([]store.TranscriptSegment, error)
	EraseTranscriptSubject(ctx context.Context, subjectID string) (int, error)
	DeleteTranscriptsOfMeeting(ctx context.Context, meetingID string) (int, error)
	ExpireTranscripts(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error)
}

// transcriptTests are the conformance tests of stored transcripts.
var transcriptTests = map[string]func(*testing.T, store.Store){
	"TranscriptRoundTrip":         testTranscriptRoundTrip,
	"TranscriptUnknownMeeting":    testTranscriptUnknownMeeting,
	"TranscriptOfSubject":         testTranscriptOfSubject,
	"TranscriptEraseSubject":      testTranscriptEraseSubject,
	"TranscriptDeleteOfMeeting":   testTranscriptDeleteOfMeeting,
	"TranscriptExpire":            testTranscriptExpire,
	"TranscriptGoesWithMeeting":   testTranscriptGoesWithMeeting,
	"TranscriptSubjectIDRequired": testTranscriptSubjectIDRequired,
}

// transcriptWorld is chatWorld's two meetings, for a store that keeps
// transcripts.
func transcriptWorld(t *testing.T, s store.Store) TranscriptStore {
	t.Helper()
	ts, ok := s.(TranscriptStore)
	if !ok {
		t.Skip("this store keeps no transcripts")
	}
	chatWorld(t, s)
	return ts
}

func segment(id, meeting, transcription, speaker, user string, start time.Duration, at time.Time) store.TranscriptSegment {
	return store.TranscriptSegment{ID: id, MeetingID: meeting, TranscriptionID: transcription, SpeakerID: speaker,
		SpeakerUser: user, SpeakerName: "Name " + speaker, Start: start, End: start + 1500*time.Millisecond,
		Text: "words of " + id, CreatedAt: at}
}

func mustAddSegments(t *testing.T, ts TranscriptStore, segs ...store.TranscriptSegment) {
	t.Helper()
	for _, seg := range segs {
		if err := ts.AddTranscriptSegment(context.Background(), seg); err != nil {
			t.Fatalf("AddTranscriptSegment(%s): %v", seg.ID, err)
		}
	}
}

func segmentIDs(segs []store.TranscriptSegment) []string {
	out := []string{}
	for _, seg := range segs {
		out = append(out, seg.ID)
	}
	return out
}

func sameSegments(t *testing.T, what string, got []store.TranscriptSegment, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if ids := segmentIDs(got); !reflect.DeepEqual(ids, want) {
		t.Fatalf("%s: %v, want %v", what, ids, want)
	}
}

// testTranscriptRoundTrip: segments read back whole (speaker, name, text,
// offsets, exact time) in the order spoken, whatever order they were
// stored in; a meeting lists its transcriptions with their counts.
func testTranscriptRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	ts := transcriptWorld(t, s)
	late := segment("s_2", chatMeeting, "t_1", "p_ana", "u_ana", 5*time.Second, base.Add(time.Second))
	early := segment("s_1", chatMeeting, "t_1", "p_gus", "", time.Second, base.Add(2*time.Second))
	early.Text = "Grüße, 你好 \u2028 <b>"
	second := segment("s_3", chatMeeting, "t_2", "p_ana", "u_ana", 0, base.Add(time.Hour))
	mustAddSegments(t, ts, late, early, second)
	got, err := ts.TranscriptSegments(ctx, chatMeeting, "t_1")
	if err != nil {
		t.Fatal(err)
	}
	sameSegments(t, "t_1", got, "s_1", "s_2")
	for i, want := range []store.TranscriptSegment{early, late} {
		sameTime(t, "CreatedAt", got[i].CreatedAt, want.CreatedAt)
		got[i].CreatedAt = want.CreatedAt
		if got[i] != want {
			t.Errorf("segment %d: got %+v, want %+v", i, got[i], want)
		}
	}
	list, err := ts.TranscriptsOfMeeting(ctx, chatMeeting)
	if err != nil || len(list) != 2 || list[0].ID != "t_1" || list[0].Segments != 2 || list[1].ID != "t_2" ||
		list[1].Segments != 1 || list[0].MeetingID != chatMeeting {
		t.Fatalf("transcripts of the meeting: %+v, %v", list, err)
	}
	sameTime(t, "First", list[0].First, base.Add(time.Second))
	sameTime(t, "Last", list[0].Last, base.Add(2*time.Second))
	if err := ts.AddTranscriptSegment(ctx, late); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate ID: %v, want ErrConflict", err)
	}
	if got, err := ts.TranscriptSegments(ctx, chatOther, "t_1"); err != nil || len(got) != 0 {
		t.Errorf("t_1 read through another meeting: %v, %v", segmentIDs(got), err)
	}
	if list, err := ts.TranscriptsOfMeeting(ctx, chatOther); err != nil || len(list) != 0 {
		t.Errorf("another meeting lists %+v, %v", list, err)
	}
}

func testTranscriptUnknownMeeting(t *testing.T, s store.Store) {
	ts := transcriptWorld(t, s)
	err := ts.AddTranscriptSegment(context.Background(), segment("s_1", "zzzz-zzzz-zzzz-zzzz", "t_1", "p_ana", "", 0, base))
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown meeting: %v, want ErrNotFound", err)
	}
}

// testTranscriptOfSubject: an account's lines across meetings, a guest's
// by participant ID; nobody else's.
func testTranscriptOfSubject(t *testing.T, s store.Store) {
	ctx := context.Background()
	ts := transcriptWorld(t, s)
	mustAddSegments(t, ts,
		segment("s_1", chatMeeting, "t_1", "p_ana", "u_ana", 0, base),
		segment("s_2", chatMeeting, "t_1", "p_gus", "", time.Second, base),
		segment("s_3", chatOther, "t_2", "p_ana2", "u_ana", 0, base),
	)
	got, err := ts.TranscriptSegmentsOfSubject(ctx, "u_ana")
	if err != nil {
		t.Fatal(err)
	}
	if ids := segmentIDs(got); len(ids) != 2 || !reflect.DeepEqual(slices.Sorted(slices.Values(ids)), []string{"s_1", "s_3"}) {
		t.Fatalf("u_ana's lines: %v", ids)
	}
	got, err = ts.TranscriptSegmentsOfSubject(ctx, "p_gus")
	if err != nil {
		t.Fatal(err)
	}
	sameSegments(t, "p_gus", got, "s_2")
	if got[0].Text != "words of s_2" || got[0].SpeakerName != "Name p_gus" {
		t.Errorf("the guest's line: %+v", got[0])
	}
}

// testTranscriptEraseSubject: the subject's lines go, everyone else's stay.
func testTranscriptEraseSubject(t *testing.T, s store.Store) {
	ctx := context.Background()
	ts := transcriptWorld(t, s)
	mustAddSegments(t, ts,
		segment("s_1", chatMeeting, "t_1", "p_ana", "u_ana", 0, base),
		segment("s_2", chatMeeting, "t_1", "p_gus", "", time.Second, base),
		segment("s_3", chatOther, "t_2", "p_ana2", "u_ana", 0, base),
	)
	if n, err := ts.EraseTranscriptSubject(ctx, "u_ana"); err != nil || n != 2 {
		t.Fatalf("erase u_ana = %d, %v", n, err)
	}
	got, err := ts.TranscriptSegments(ctx, chatMeeting, "t_1")
	if err != nil {
		t.Fatal(err)
	}
	sameSegments(t, "after erasing u_ana", got, "s_2")
	if n, err := ts.EraseTranscriptSubject(ctx, "p_gus"); err != nil || n != 1 {
		t.Fatalf("erase p_gus = %d, %v", n, err)
	}
	if list, err := ts.TranscriptsOfMeeting(ctx, chatMeeting); err != nil || len(list) != 0 {
		t.Fatalf("left: %+v, %v", list, err)
	}
}

func testTranscriptDeleteOfMeeting(t *testing.T, s store.Store) {
	ctx := context.Background()
	ts := transcriptWorld(t, s)
	mustAddSegments(t, ts,
		segment("s_1", chatMeeting, "t_1", "p_ana", "u_ana", 0, base),
		segment("s_2", chatMeeting, "t_2", "p_gus", "", 0, base),
		segment("s_3", chatOther, "t_3", "p_x", "", 0, base),
	)
	if n, err := ts.DeleteTranscriptsOfMeeting(ctx, chatMeeting); err != nil || n != 2 {
		t.Fatalf("DeleteTranscriptsOfMeeting = %d, %v", n, err)
	}
	if list, err := ts.TranscriptsOfMeeting(ctx, chatMeeting); err != nil || len(list) != 0 {
		t.Fatalf("left in the meeting: %+v, %v", list, err)
	}
	if got, err := ts.TranscriptSegments(ctx, chatOther, "t_3"); err != nil || len(got) != 1 {
		t.Fatalf("the other meeting's: %v, %v", segmentIDs(got), err)
	}
}

// testTranscriptExpire: segments older than the cut-off go; a meeting's
// own cut-off replaces it for that meeting's segments.
func testTranscriptExpire(t *testing.T, s store.Store) {
	ctx := context.Background()
	ts := transcriptWorld(t, s)
	mustAddSegments(t, ts,
		segment("s_old", chatMeeting, "t_1", "p_ana", "u_ana", 0, base.Add(-time.Hour)),
		segment("s_new", chatMeeting, "t_1", "p_ana", "u_ana", time.Second, base),
		segment("s_kept", chatOther, "t_2", "p_x", "", 0, base.Add(-time.Hour)),
		segment("s_own", chatOther, "t_2", "p_x", "", time.Second, base.Add(-3*time.Hour)),
	)
	n, err := ts.ExpireTranscripts(ctx, base.Add(-time.Minute), map[string]time.Time{chatOther: base.Add(-2 * time.Hour)})
	if err != nil || n != 2 {
		t.Fatalf("ExpireTranscripts = %d, %v", n, err)
	}
	got, err := ts.TranscriptSegments(ctx, chatMeeting, "t_1")
	if err != nil {
		t.Fatal(err)
	}
	sameSegments(t, "the meeting after expiry", got, "s_new")
	if got, err = ts.TranscriptSegments(ctx, chatOther, "t_2"); err != nil {
		t.Fatal(err)
	}
	sameSegments(t, "the meeting with its own period", got, "s_kept")
}

func testTranscriptGoesWithMeeting(t *testing.T, s store.Store) {
	ctx := context.Background()
	ts := transcriptWorld(t, s)
	deleter, ok := s.(interface {
		DeleteMeetings(ctx context.Context, ids []string) (int, error)
	})
	if !ok {
		t.Skip("this store cannot delete meetings")
	}
	mustAddSegments(t, ts, segment("s_1", chatMeeting, "t_1", "p_ana", "u_ana", 0, base))
	if _, err := deleter.DeleteMeetings(ctx, []string{chatMeeting}); err != nil {
		t.Fatal(err)
	}
	if got, err := ts.TranscriptSegmentsOfSubject(ctx, "u_ana"); err != nil || len(got) != 0 {
		t.Fatalf("after the meeting's deletion: %v %v", segmentIDs(got), err)
	}
}

// testTranscriptSubjectIDRequired: an empty or malformed subject is
// refused rather than matching every guest's lines.
func testTranscriptSubjectIDRequired(t *testing.T, s store.Store) {
	ctx := context.Background()
	ts := transcriptWorld(t, s)
	mustAddSegments(t, ts, segment("s_1", chatMeeting, "t_1", "p_gus", "", 0, base))
	for _, bad := range []string{"", "u_", "p_", "gus"} {
		if got, err := ts.TranscriptSegmentsOfSubject(ctx, bad); err == nil {
			t.Errorf("lines of %q: %v, want an error", bad, segmentIDs(got))
		}
		if n, err := ts.EraseTranscriptSubject(ctx, bad); err == nil {
			t.Errorf("erasing %q: %d, want an error", bad, n)
		}
	}
	if got, err := ts.TranscriptSegments(ctx, chatMeeting, "t_1"); err != nil || len(got) != 1 {
		t.Fatalf("after refusals: %v, %v", segmentIDs(got), err)
	}
}
