package storetest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// recordingTests are the conformance tests of recordings (a backend that
// implements store.RecordingStore), run by Run.
var recordingTests = map[string]func(*testing.T, store.Store){
	"RecordingRoundTrip":       testRecordingRoundTrip,
	"RecordingTracks":          testRecordingTracks,
	"RecordingsForAccount":     testRecordingsForAccount,
	"RecordingTracksOfSubject": testRecordingTracksOfSubject,
	"RecordingEraseSubject":    testRecordingEraseSubject,
	"RecordingExpire":          testRecordingExpire,
	"RecordingDelete":          testRecordingDelete,
	"RecordingsGoWithMeeting":  testRecordingsGoWithMeeting,
}

const (
	recMeeting = "k3m9-x2qa-7hvt-p4dr"
	recOther   = "aaaa-bbbb-cccc-dddr"
)

// recordingWorld is two meetings, one hosted by u_host and one by u_other.
func recordingWorld(t *testing.T, s store.Store) store.RecordingStore {
	t.Helper()
	rs, ok := s.(store.RecordingStore)
	if !ok {
		t.Skip("this store keeps no recordings")
	}
	mustCreateUser(t, s, user("u_host", "host@example.org", store.RoleMember, base))
	mustCreateUser(t, s, user("u_other", "other@example.org", store.RoleMember, base))
	mustCreateUser(t, s, user("u_ana", "ana@example.org", store.RoleMember, base))
	mustCreateMeeting(t, s, meeting(recMeeting, "u_host", base))
	mustCreateMeeting(t, s, meeting(recOther, "u_other", base))
	return rs
}

func recording(id, meetingID string, at time.Time) store.Recording {
	return store.Recording{ID: id, MeetingID: meetingID, StartedBy: "u_host", Purpose: "minutes of " + id, StartedAt: at,
		State: store.RecordingActive}
}

func mustAddRecording(t *testing.T, rs store.RecordingStore, r store.Recording) {
	t.Helper()
	if err := rs.AddRecording(context.Background(), r); err != nil {
		t.Fatalf("AddRecording(%s): %v", r.ID, err)
	}
}

func track(id, recordingID, owner, subject string, offset time.Duration) store.RecordingTrack {
	return store.RecordingTrack{ID: id, RecordingID: recordingID, Owner: owner, Subject: subject, OwnerName: "Name " + owner,
		Source: "camera", Kind: store.TrackVideo, Codec: "VP8", Offset: offset, Key: bytes.Repeat([]byte{byte(len(id))}, 32),
		CreatedAt: base.Add(offset)}
}

func mustAddTrack(t *testing.T, rs store.RecordingStore, tr store.RecordingTrack) {
	t.Helper()
	if err := rs.AddRecordingTrack(context.Background(), tr); err != nil {
		t.Fatalf("AddRecordingTrack(%s): %v", tr.ID, err)
	}
}

func recordingIDs(rs []store.Recording) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID)
	}
	return out
}

func trackIDs(ts []store.RecordingTrack) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.ID)
	}
	return out
}

func testRecordingRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	rs := recordingWorld(t, s)
	want := recording("r_1", recMeeting, base)
	mustAddRecording(t, rs, want)
	if err := rs.AddRecording(ctx, want); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate: %v, want ErrConflict", err)
	}
	if err := rs.AddRecording(ctx, recording("r_2", "zzzz-zzzz-zzzz-zzzz", base)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown meeting: %v, want ErrNotFound", err)
	}
	got, err := rs.Recording(ctx, "r_1")
	if err != nil {
		t.Fatal(err)
	}
	sameTime(t, "StartedAt", got.StartedAt, base)
	if got.Purpose != want.Purpose || got.State != store.RecordingActive || !got.EndedAt.IsZero() || got.StartedBy != "u_host" {
		t.Fatalf("got %+v", got)
	}
	if ids, err := rs.ActiveRecordingIDs(ctx); err != nil || !slices.Equal(ids, []string{"r_1"}) {
		t.Fatalf("active: %v %v", ids, err)
	}
	end := base.Add(time.Hour)
	if err := rs.EndRecording(ctx, "r_1", end, "stopped"); err != nil {
		t.Fatal(err)
	}
	// Ending again changes nothing: the first end stands.
	if err := rs.EndRecording(ctx, "r_1", end.Add(time.Hour), "meeting_ended"); err != nil {
		t.Fatal(err)
	}
	if err := rs.EndRecording(ctx, "r_9", end, "stopped"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("end unknown: %v, want ErrNotFound", err)
	}
	got, err = rs.Recording(ctx, "r_1")
	if err != nil || got.State != store.RecordingEnded || got.EndReason != "stopped" {
		t.Fatalf("ended: %+v %v", got, err)
	}
	sameTime(t, "EndedAt", got.EndedAt, end)
	if ids, err := rs.ActiveRecordingIDs(ctx); err != nil || len(ids) != 0 {
		t.Fatalf("active after end: %v %v", ids, err)
	}
	if _, err := rs.Recording(ctx, "r_9"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
}

func testRecordingTracks(t *testing.T, s store.Store) {
	ctx := context.Background()
	rs := recordingWorld(t, s)
	mustAddRecording(t, rs, recording("r_1", recMeeting, base))
	mustAddRecording(t, rs, recording("r_2", recMeeting, base))
	late := track("t_late", "r_1", "p_b", "p_b", 3*time.Second)
	late.Kind, late.Source, late.Codec = store.TrackAudio, "microphone", "opus"
	mustAddTrack(t, rs, late)
	mustAddTrack(t, rs, track("t_early", "r_1", "p_a", "u_ana", 1500*time.Millisecond))
	comp := track("t_comp", "r_1", "", "", 0)
	comp.Kind, comp.Source, comp.Subjects = store.TrackComposite, "composite", []string{"u_ana", "p_b"}
	mustAddTrack(t, rs, comp)
	if err := rs.AddRecordingTrack(ctx, track("t_x", "r_9", "p_a", "u_ana", 0)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("track of unknown recording: %v", err)
	}
	end := store.RecordingTrackEnd{Frames: 90, Bytes: 12345, Duration: 3 * time.Second, Complete: true}
	if err := rs.FinishRecordingTrack(ctx, "t_early", end); err != nil {
		t.Fatal(err)
	}
	if err := rs.FinishRecordingTrack(ctx, "t_none", end); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("finish unknown: %v", err)
	}
	got, err := rs.RecordingTrack(ctx, "r_1", "t_early")
	if err != nil {
		t.Fatal(err)
	}
	want := track("t_early", "r_1", "p_a", "u_ana", 1500*time.Millisecond)
	if got.MeetingID != recMeeting || got.Frames != 90 || got.Bytes != 12345 || got.Duration != 3*time.Second ||
		!got.Complete || !got.Finished || !bytes.Equal(got.Key, want.Key) || got.OwnerName != want.OwnerName ||
		got.Offset != want.Offset || got.Subject != "u_ana" || got.Owner != "p_a" || got.Kind != store.TrackVideo {
		t.Fatalf("got %+v", got)
	}
	sameTime(t, "CreatedAt", got.CreatedAt, want.CreatedAt)
	if _, err := rs.RecordingTrack(ctx, "r_2", "t_early"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("track through another recording: %v", err)
	}
	list, err := rs.RecordingTracks(ctx, "r_1")
	if err != nil || !slices.Equal(trackIDs(list), []string{"t_early", "t_late", "t_comp"}) {
		t.Fatalf("tracks: %v %v", trackIDs(list), err)
	}
	if c := list[2]; !slices.Equal(c.Subjects, []string{"p_b", "u_ana"}) || c.Finished {
		t.Fatalf("composite: %+v", c)
	}
	if list[1].Finished || list[1].Complete {
		t.Fatalf("unfinished track: %+v", list[1])
	}
}

func testRecordingsForAccount(t *testing.T, s store.Store) {
	ctx := context.Background()
	rs := recordingWorld(t, s)
	mustAddRecording(t, rs, recording("r_old", recMeeting, base))
	mustAddRecording(t, rs, recording("r_new", recMeeting, base.Add(time.Hour)))
	mustAddRecording(t, rs, recording("r_theirs", recOther, base.Add(2*time.Hour)))
	check := func(who string, want ...string) {
		t.Helper()
		got, err := rs.RecordingsForAccount(ctx, who)
		if err != nil || !slices.Equal(recordingIDs(got), want) {
			t.Fatalf("for %s: %v %v, want %v", who, recordingIDs(got), err, want)
		}
	}
	check("u_host", "r_new", "r_old")
	check("u_ana")
	if err := rs.ShareRecording(ctx, store.RecordingShare{RecordingID: "r_old", AccountID: "u_ana", SharedBy: "u_host", SharedAt: base}); err != nil {
		t.Fatal(err)
	}
	// A repeat keeps the first share.
	if err := rs.ShareRecording(ctx, store.RecordingShare{RecordingID: "r_old", AccountID: "u_ana", SharedBy: "u_other", SharedAt: base.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := rs.ShareRecording(ctx, store.RecordingShare{RecordingID: "r_none", AccountID: "u_ana", SharedBy: "u_host", SharedAt: base}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("share unknown: %v", err)
	}
	check("u_ana", "r_old")
	shares, err := rs.RecordingShares(ctx, "r_old")
	if err != nil || len(shares) != 1 || shares[0].SharedBy != "u_host" || shares[0].AccountID != "u_ana" {
		t.Fatalf("shares: %+v %v", shares, err)
	}
	sameTime(t, "SharedAt", shares[0].SharedAt, base)
	all, err := rs.AllRecordings(ctx)
	if err != nil || !slices.Equal(recordingIDs(all), []string{"r_theirs", "r_new", "r_old"}) {
		t.Fatalf("all: %v %v", recordingIDs(all), err)
	}
	of, err := rs.RecordingsOfMeeting(ctx, recOther)
	if err != nil || !slices.Equal(recordingIDs(of), []string{"r_theirs"}) {
		t.Fatalf("of meeting: %v %v", recordingIDs(of), err)
	}
	if err := rs.UnshareRecording(ctx, "r_old", "u_ana"); err != nil {
		t.Fatal(err)
	}
	check("u_ana")
}

func testRecordingTracksOfSubject(t *testing.T, s store.Store) {
	ctx := context.Background()
	rs := recordingWorld(t, s)
	mustAddRecording(t, rs, recording("r_1", recMeeting, base))
	mustAddTrack(t, rs, track("t_ana", "r_1", "p_a", "u_ana", 0))
	mustAddTrack(t, rs, track("t_guest", "r_1", "p_g", "p_g", time.Second))
	comp := track("t_comp", "r_1", "", "", 2*time.Second)
	comp.Kind, comp.Subjects = store.TrackComposite, []string{"u_ana", "p_g"}
	mustAddTrack(t, rs, comp)
	for who, want := range map[string][]string{
		"u_ana": {"t_ana", "t_comp"}, "p_a": {"t_ana"}, "p_g": {"t_guest", "t_comp"}, "u_host": nil,
	} {
		got, err := rs.RecordingTracksOfSubject(ctx, who)
		if err != nil || !slices.Equal(trackIDs(got), want) {
			t.Errorf("%s: %v %v, want %v", who, trackIDs(got), err, want)
		}
	}
}

func testRecordingEraseSubject(t *testing.T, s store.Store) {
	ctx := context.Background()
	rs := recordingWorld(t, s)
	r := recording("r_1", recMeeting, base)
	r.StartedBy = "u_ana"
	mustAddRecording(t, rs, r)
	mustAddRecording(t, rs, recording("r_2", recMeeting, base))
	for _, sh := range []store.RecordingShare{
		{RecordingID: "r_1", AccountID: "u_other", SharedBy: "u_ana", SharedAt: base},
		{RecordingID: "r_2", AccountID: "u_ana", SharedBy: "u_host", SharedAt: base},
	} {
		if err := rs.ShareRecording(ctx, sh); err != nil {
			t.Fatal(err)
		}
	}
	er, err := rs.EraseRecordingSubject(ctx, "u_ana")
	if err != nil || er.Shares != 1 || er.Pseudonymised != 2 {
		t.Fatalf("erase: %+v %v", er, err)
	}
	got, err := rs.Recording(ctx, "r_1")
	if err != nil || got.StartedBy != store.ErasedSubject {
		t.Fatalf("started_by after erasure: %+v %v", got, err)
	}
	shares, err := rs.RecordingShares(ctx, "r_1")
	if err != nil || len(shares) != 1 || shares[0].SharedBy != store.ErasedSubject {
		t.Fatalf("shares after erasure: %+v %v", shares, err)
	}
	if mine, err := rs.RecordingsForAccount(ctx, "u_ana"); err != nil || len(mine) != 0 {
		t.Fatalf("erased account still sees %v %v", recordingIDs(mine), err)
	}
}

func testRecordingExpire(t *testing.T, s store.Store) {
	ctx := context.Background()
	rs := recordingWorld(t, s)
	mustAddRecording(t, rs, recording("r_ended_old", recMeeting, base))
	mustAddRecording(t, rs, recording("r_ended_new", recMeeting, base))
	mustAddRecording(t, rs, recording("r_never_ended", recMeeting, base))
	mustAddRecording(t, rs, recording("r_other", recOther, base))
	if err := rs.EndRecording(ctx, "r_ended_old", base.Add(time.Hour), "stopped"); err != nil {
		t.Fatal(err)
	}
	if err := rs.EndRecording(ctx, "r_ended_new", base.Add(5*time.Hour), "stopped"); err != nil {
		t.Fatal(err)
	}
	if err := rs.EndRecording(ctx, "r_other", base.Add(time.Hour), "stopped"); err != nil {
		t.Fatal(err)
	}
	// The end counts, not the start: r_ended_new ended after the cut-off.
	ids, err := rs.RecordingIDsEndedBefore(ctx, base.Add(2*time.Hour), nil)
	if err != nil || !slices.Equal(ids, []string{"r_ended_old", "r_never_ended", "r_other"}) {
		t.Fatalf("ended before: %v %v", ids, err)
	}
	// recOther keeps its recordings longer.
	ids, err = rs.RecordingIDsEndedBefore(ctx, base.Add(2*time.Hour), map[string]time.Time{recOther: base})
	if err != nil || !slices.Equal(ids, []string{"r_ended_old", "r_never_ended"}) {
		t.Fatalf("with cut-offs: %v %v", ids, err)
	}
	// recMeeting keeps them shorter.
	ids, err = rs.RecordingIDsEndedBefore(ctx, base, map[string]time.Time{recMeeting: base.Add(6 * time.Hour)})
	if err != nil || !slices.Equal(ids, []string{"r_ended_new", "r_ended_old", "r_never_ended"}) {
		t.Fatalf("shorter cut-off: %v %v", ids, err)
	}
}

func testRecordingDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	rs := recordingWorld(t, s)
	mustAddRecording(t, rs, recording("r_1", recMeeting, base))
	mustAddRecording(t, rs, recording("r_2", recMeeting, base))
	mustAddTrack(t, rs, track("t_1", "r_1", "p_a", "u_ana", 0))
	mustAddTrack(t, rs, track("t_2", "r_1", "p_b", "p_b", 0))
	mustAddTrack(t, rs, track("t_3", "r_2", "p_b", "p_b", 0))
	if n, err := rs.DeleteRecordingTracks(ctx, []string{"t_2", "t_none"}); err != nil || n != 1 {
		t.Fatalf("delete tracks: %d %v", n, err)
	}
	if ex, err := rs.RecordingTracksExisting(ctx, []string{"t_1", "t_2", "t_3"}); err != nil || !ex["t_1"] || ex["t_2"] || !ex["t_3"] {
		t.Fatalf("tracks existing: %v %v", ex, err)
	}
	if n, err := rs.DeleteRecordings(ctx, []string{"r_1"}); err != nil || n != 1 {
		t.Fatalf("delete recordings: %d %v", n, err)
	}
	if ex, err := rs.RecordingsExisting(ctx, []string{"r_1", "r_2"}); err != nil || ex["r_1"] || !ex["r_2"] {
		t.Fatalf("existing: %v %v", ex, err)
	}
	if _, err := rs.RecordingTrack(ctx, "r_1", "t_1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("track of deleted recording: %v", err)
	}
}

// testRecordingsGoWithMeeting: deleting a meeting deletes its recordings'
// rows, their tracks and shares.
func testRecordingsGoWithMeeting(t *testing.T, s store.Store) {
	ctx := context.Background()
	rs := recordingWorld(t, s)
	mustAddRecording(t, rs, recording("r_1", recMeeting, base))
	mustAddTrack(t, rs, track("t_1", "r_1", "p_a", "u_ana", 0))
	deleter, ok := s.(interface {
		DeleteMeetings(ctx context.Context, ids []string) (int, error)
	})
	if !ok {
		t.Skip("this store cannot delete meetings")
	}
	if _, err := deleter.DeleteMeetings(ctx, []string{recMeeting}); err != nil {
		t.Fatal(err)
	}
	if ex, err := rs.RecordingTracksExisting(ctx, []string{"t_1"}); err != nil || ex["t_1"] {
		t.Fatalf("track after meeting deleted: %v %v", ex, err)
	}
	if all, err := rs.AllRecordings(ctx); err != nil || len(all) != 0 {
		t.Fatalf("recordings after meeting deleted: %v %v", recordingIDs(all), err)
	}
}
