package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/recorder"
	"github.com/conclave-meet/conclave/internal/recordings"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
)

const recMeetingID = "k3m9-x2qa-7hvt-p4dz"

type recEnv struct {
	*testEnv
	svc     *recordings.Service
	id      string // an ended recording of recMeetingID with one video track
	track   string
	content []byte
}

// newRecEnv serves recordings; host@ hosts recMeetingID, which has an
// ended recording with one sealed video track.
func newRecEnv(t *testing.T) (*recEnv, *http.Client) {
	t.Helper()
	re := &recEnv{}
	re.testEnv = newTestEnv(t, func(o *Options) {
		svc, err := recordings.New(recordings.Options{Dir: filepath.Join(t.TempDir(), "recordings"),
			Store: o.Store.(*sqlite.Store), Enabled: true, FFmpeg: "off"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { svc.Close() })
		re.svc, o.Recordings = svc, svc
		o.Transcripts = o.Store.(*sqlite.Store)
	})
	ctx := context.Background()
	hostClient, hostUser := re.signedInAs(t, "host@example.org", store.RoleMember)
	now := time.Now()
	if err := re.store.CreateMeeting(ctx, store.Meeting{ID: recMeetingID, Title: "Board", Passcode: "p4dzk3m97hvt",
		HostID: hostUser.ID, CreatedAt: now, ScreenShare: store.ScreenSharePresenters, Recurrence: store.RecurrenceNone,
		EndsAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	id, err := re.svc.Begin(ctx, recordings.Recording{MeetingID: recMeetingID, StartedBy: hostUser.ID, Purpose: "minutes"})
	if err != nil {
		t.Fatal(err)
	}
	re.id, re.content = id, make([]byte, 300_000)
	rand.Read(re.content)
	tf, err := re.svc.AddTrack(ctx, recorder.TrackMeta{RecordingID: id, MeetingID: recMeetingID, Owner: "p_host",
		Subject: hostUser.ID, Source: "camera", Kind: store.TrackVideo, Codec: "VP8", Offset: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	re.track = tf.ID
	f, err := os.OpenFile(tf.Path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	sw, err := recorder.NewSealWriter(f, tf.Key, tf.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sw.Write(re.content); err != nil {
		t.Fatal(err)
	}
	if err := sw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if err := re.svc.FinishTrack(ctx, tf.ID, recorder.TrackEnd{Bytes: sw.Written(), Duration: time.Second, Complete: true}); err != nil {
		t.Fatal(err)
	}
	if err := re.svc.End(ctx, id, "stopped"); err != nil {
		t.Fatal(err)
	}
	return re, hostClient
}

func (re *recEnv) trackURL() string {
	return re.srv.URL + "/api/recordings/" + re.id + "/tracks/" + re.track
}

func (re *recEnv) countEntries(t *testing.T, action audit.Action, outcome audit.Outcome) int {
	t.Helper()
	n := 0
	for _, en := range re.entries(t) {
		if en.Action == string(action) && en.Outcome == string(outcome) {
			n++
		}
	}
	return n
}

// TestRecordingPlaybackRanges: the host lists the recording and plays its
// track seekably: a range comes back as 206 with exactly those bytes of
// the decrypted content, never cached; a play is recorded once, not per
// range; a download is an attachment, recorded.
func TestRecordingPlaybackRanges(t *testing.T) {
	re, host := newRecEnv(t)
	var list recordingListResponse
	resp := do(t, host, "GET", re.srv.URL+"/api/recordings", "")
	expectStatus(t, resp, http.StatusOK)
	resp.json(t, &list)
	if len(list.Recordings) != 1 || !list.Recordings[0].Manage || len(list.Recordings[0].Tracks) != 1 ||
		list.Recordings[0].Tracks[0].OffsetMS != 250 || list.Recordings[0].Purpose != "minutes" || list.FFmpeg {
		t.Fatalf("list: %s", resp.body)
	}
	full := do(t, host, "GET", re.trackURL(), "")
	expectStatus(t, full, http.StatusOK)
	if !bytes.Equal(full.body, re.content) || full.Header.Get("Content-Type") != "video/webm" ||
		full.Header.Get("Cache-Control") != "no-store" || full.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("full: %d bytes, headers %v", len(full.body), full.Header)
	}
	for _, rng := range [][2]int{{1000, 1999}, {65530, 65600}, {299_990, 299_999}} {
		part := do(t, host, "GET", re.trackURL(), "", "Range", fmt.Sprintf("bytes=%d-%d", rng[0], rng[1]))
		expectStatus(t, part, http.StatusPartialContent)
		if !bytes.Equal(part.body, re.content[rng[0]:rng[1]+1]) {
			t.Fatalf("range %v: wrong bytes", rng)
		}
		if cr := part.Header.Get("Content-Range"); cr != fmt.Sprintf("bytes %d-%d/%d", rng[0], rng[1], len(re.content)) {
			t.Fatalf("Content-Range %q", cr)
		}
	}
	if n := re.countEntries(t, audit.RecordingView, audit.Success); n != 1 {
		t.Fatalf("%d recording.view entries, want 1 (the play, not each range)", n)
	}
	dl := do(t, host, "GET", re.trackURL()+"/download", "")
	expectStatus(t, dl, http.StatusOK)
	if !bytes.Equal(dl.body, re.content) || dl.Header.Get("Content-Disposition") == "" {
		t.Fatalf("download headers %v", dl.Header)
	}
	if n := re.countEntries(t, audit.RecordingDownload, audit.Success); n != 1 {
		t.Fatalf("%d recording.download entries", n)
	}
}

// TestRecordingRefusals: without a session 401; another host, a member
// it was not shared with and a share recipient acting as host are told
// it does not exist (404), recorded as denied; an officer reaches it.
func TestRecordingRefusals(t *testing.T) {
	re, host := newRecEnv(t)
	anon := re.client(t)
	for _, u := range []string{"/api/recordings", "/api/recordings/" + re.id, "/api/recordings/" + re.id + "/tracks/" + re.track} {
		expectError(t, do(t, anon, "GET", re.srv.URL+u, ""), http.StatusUnauthorized, "unauthorized")
	}
	other, _ := re.signedInAs(t, "other-host@example.org", store.RoleMember)
	member, _ := re.signedInAs(t, "member@example.org", store.RoleMember)
	for _, c := range []*http.Client{other, member} {
		expectError(t, do(t, c, "GET", re.srv.URL+"/api/recordings/"+re.id, ""), http.StatusNotFound, "not_found")
		expectError(t, do(t, c, "GET", re.trackURL(), ""), http.StatusNotFound, "not_found")
		expectError(t, do(t, c, "GET", re.trackURL()+"/download", ""), http.StatusNotFound, "not_found")
		expectError(t, do(t, c, "DELETE", re.srv.URL+"/api/recordings/"+re.id, ""), http.StatusNotFound, "not_found")
		expectError(t, do(t, c, "POST", re.srv.URL+"/api/recordings/"+re.id+"/shares", `{"emails":["member@example.org"]}`),
			http.StatusNotFound, "not_found")
		var list recordingListResponse
		resp := do(t, c, "GET", re.srv.URL+"/api/recordings", "")
		resp.json(t, &list)
		if len(list.Recordings) != 0 {
			t.Fatalf("list shows %s", resp.body)
		}
	}
	if re.countEntries(t, audit.RecordingView, audit.Denied) == 0 {
		t.Fatal("refusals not recorded")
	}
	// A track of another recording, or a made-up one, is not found either.
	expectError(t, do(t, host, "GET", re.srv.URL+"/api/recordings/"+re.id+"/tracks/t_00000000000000000000", ""), http.StatusNotFound, "not_found")
	expectError(t, do(t, host, "GET", re.srv.URL+"/api/recordings/r_../tracks/"+re.track, ""), http.StatusNotFound, "not_found")

	// Shared with member: it plays and downloads, but does not share on,
	// delete or export.
	resp := do(t, host, "POST", re.srv.URL+"/api/recordings/"+re.id+"/shares", `{"emails":["member@example.org"]}`)
	expectStatus(t, resp, http.StatusOK)
	if re.countEntries(t, audit.RecordingShare, audit.Success) != 1 {
		t.Fatal("share not recorded")
	}
	expectError(t, do(t, host, "POST", re.srv.URL+"/api/recordings/"+re.id+"/shares", `{"emails":["nobody@example.org"]}`),
		http.StatusBadRequest, "unknown_account")
	part := do(t, member, "GET", re.trackURL(), "", "Range", "bytes=10-19")
	expectStatus(t, part, http.StatusPartialContent)
	if !bytes.Equal(part.body, re.content[10:20]) {
		t.Fatal("recipient got wrong bytes")
	}
	expectError(t, do(t, member, "POST", re.srv.URL+"/api/recordings/"+re.id+"/shares", `{"emails":["other-host@example.org"]}`),
		http.StatusNotFound, "not_found")
	expectError(t, do(t, member, "DELETE", re.srv.URL+"/api/recordings/"+re.id, ""), http.StatusNotFound, "not_found")
	expectError(t, do(t, member, "POST", re.srv.URL+"/api/recordings/"+re.id+"/composite", ""), http.StatusNotFound, "not_found")
	// Still refused to the other host.
	expectError(t, do(t, other, "GET", re.trackURL(), ""), http.StatusNotFound, "not_found")

	officer, _ := re.signedInAs(t, "officer@example.org", store.RolePrivacyOfficer)
	expectStatus(t, do(t, officer, "GET", re.trackURL(), "", "Range", "bytes=0-9"), http.StatusPartialContent)
	// No ffmpeg here: the export says so.
	expectError(t, do(t, host, "POST", re.srv.URL+"/api/recordings/"+re.id+"/composite", ""), http.StatusServiceUnavailable, "no_ffmpeg")
}

// TestRecordingDeleteOverHTTP: the host deletes the recording; its files
// are gone and it is recorded.
func TestRecordingDeleteOverHTTP(t *testing.T) {
	re, host := newRecEnv(t)
	expectStatus(t, do(t, host, "DELETE", re.srv.URL+"/api/recordings/"+re.id, ""), http.StatusNoContent)
	expectError(t, do(t, host, "GET", re.trackURL(), ""), http.StatusNotFound, "not_found")
	if re.countEntries(t, audit.RecordingDelete, audit.Success) != 1 {
		t.Fatal("delete not recorded")
	}
}
