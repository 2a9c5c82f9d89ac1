package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
)

// addTranscript stores a transcript t_1 of recMeetingID: Ada, then a
// guest, then Ada again.
func (re *recEnv) addTranscript(t *testing.T) {
	t.Helper()
	at := time.Now()
	for i, seg := range []store.TranscriptSegment{
		{ID: "s_1", SpeakerID: "p_ada", SpeakerUser: "u_ada", SpeakerName: "Ada", Text: "the budget is approved"},
		{ID: "s_2", SpeakerID: "p_gus", SpeakerName: "Gus <guest>", Text: "what about the --> roadmap & dates"},
		{ID: "s_3", SpeakerID: "p_ada", SpeakerUser: "u_ada", SpeakerName: "Ada", Text: "the roadmap comes next week"},
	} {
		seg.MeetingID, seg.TranscriptionID, seg.CreatedAt = recMeetingID, "t_1", at.Add(time.Duration(i)*time.Second)
		seg.Start = time.Duration(i)*3*time.Second + 3723*time.Second
		seg.End = seg.Start + 2500*time.Millisecond
		if err := re.store.AddTranscriptSegment(context.Background(), seg); err != nil {
			t.Fatal(err)
		}
	}
}

func (re *recEnv) transcriptURL(rest string) string {
	return re.srv.URL + "/api/meetings/" + recMeetingID + "/transcripts" + rest
}

// TestTranscriptReadSearchDownload: the host lists the meeting's
// transcripts, reads one, searches it on the server, and downloads it as
// text and as WebVTT; reads and downloads are recorded.
func TestTranscriptReadSearchDownload(t *testing.T) {
	re, host := newRecEnv(t)
	re.addTranscript(t)
	var list struct {
		Transcripts []transcriptJSON `json:"transcripts"`
	}
	resp := do(t, host, "GET", re.transcriptURL(""), "")
	expectStatus(t, resp, http.StatusOK)
	resp.json(t, &list)
	if len(list.Transcripts) != 1 || list.Transcripts[0].ID != "t_1" || list.Transcripts[0].Segments != 3 {
		t.Fatalf("list: %s", resp.body)
	}
	var tr transcriptResponse
	resp = do(t, host, "GET", re.transcriptURL("/t_1"), "")
	expectStatus(t, resp, http.StatusOK)
	resp.json(t, &tr)
	if len(tr.Lines) != 3 || tr.Lines[0].SpeakerName != "Ada" || tr.Lines[1].Text != "what about the --> roadmap & dates" ||
		tr.Lines[0].StartMS != 3723000 {
		t.Fatalf("transcript: %s", resp.body)
	}
	resp = do(t, host, "GET", re.transcriptURL("/t_1?q=ROADMAP"), "")
	expectStatus(t, resp, http.StatusOK)
	tr = transcriptResponse{}
	resp.json(t, &tr)
	if len(tr.Lines) != 2 || tr.Query != "ROADMAP" || !strings.Contains(tr.Lines[1].Text, "next week") {
		t.Fatalf("search: %s", resp.body)
	}
	resp = do(t, host, "GET", re.transcriptURL("/t_1?q=ada+budget"), "")
	tr = transcriptResponse{}
	resp.json(t, &tr)
	if len(tr.Lines) != 1 || tr.Lines[0].Text != "the budget is approved" {
		t.Fatalf("search by speaker and word: %s", resp.body)
	}

	txt := do(t, host, "GET", re.transcriptURL("/t_1/download"), "")
	expectStatus(t, txt, http.StatusOK)
	wantTxt := "[1:02:03] Ada: the budget is approved\n" +
		"[1:02:06] Gus <guest>: what about the -> roadmap & dates\n" +
		"[1:02:09] Ada: the roadmap comes next week\n"
	if string(txt.body) != wantTxt || !strings.HasPrefix(txt.Header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(txt.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("text download %q, headers %v", txt.body, txt.Header)
	}
	vtt := do(t, host, "GET", re.transcriptURL("/t_1/download?format=vtt&q=roadmap"), "")
	expectStatus(t, vtt, http.StatusOK)
	wantVTT := "WEBVTT\n\n1\n01:02:06.000 --> 01:02:08.500\n<v Gus &lt;guest&gt;>what about the -&gt; roadmap &amp; dates\n" +
		"\n2\n01:02:09.000 --> 01:02:11.500\n<v Ada>the roadmap comes next week\n"
	if string(vtt.body) != wantVTT || !strings.HasPrefix(vtt.Header.Get("Content-Type"), "text/vtt") {
		t.Fatalf("WebVTT download %q, headers %v", vtt.body, vtt.Header)
	}
	expectError(t, do(t, host, "GET", re.transcriptURL("/t_1/download?format=pdf"), ""), http.StatusBadRequest, "bad_request")
	expectError(t, do(t, host, "GET", re.transcriptURL("/t_2"), ""), http.StatusNotFound, "not_found")
	if n := re.countEntries(t, audit.TranscriptView, audit.Success); n != 3 {
		t.Fatalf("%d transcript.view entries, want 3 (the reads and searches)", n)
	}
	if n := re.countEntries(t, audit.TranscriptDownload, audit.Success); n != 2 {
		t.Fatalf("%d transcript.download entries, want 2", n)
	}
	for _, en := range re.entries(t) {
		if d := strings.ToLower(fmt.Sprint(en.Details)); strings.Contains(d, "roadmap") {
			t.Fatalf("the search words are in the audit log: %+v", en)
		}
	}
}

// TestTranscriptRefusals: exactly those who may see the meeting's
// recordings reach its transcripts. Without a session (a guest has
// none) 401; another member, and a member after the host shared the
// recording with someone else, are told there is none (404), recorded
// as denied; once the recording is shared with them, they read it; an
// officer reads it.
func TestTranscriptRefusals(t *testing.T) {
	re, host := newRecEnv(t)
	re.addTranscript(t)
	urls := []string{re.transcriptURL(""), re.transcriptURL("/t_1"), re.transcriptURL("/t_1/download"),
		re.transcriptURL("/t_1/download?format=vtt")}
	anon := re.client(t)
	for _, u := range urls {
		expectError(t, do(t, anon, "GET", u, ""), http.StatusUnauthorized, "unauthorized")
	}
	other, _ := re.signedInAs(t, "other-host@example.org", store.RoleMember)
	member, _ := re.signedInAs(t, "member@example.org", store.RoleMember)
	expectStatus(t, do(t, host, "POST", re.srv.URL+"/api/recordings/"+re.id+"/shares", `{"emails":["other-host@example.org"]}`),
		http.StatusOK)
	for _, u := range urls {
		resp := do(t, member, "GET", u, "")
		expectError(t, resp, http.StatusNotFound, "not_found")
		if strings.Contains(string(resp.body), "budget") {
			t.Fatalf("a refusal leaks the text: %s", resp.body)
		}
	}
	if re.countEntries(t, audit.TranscriptView, audit.Denied) == 0 || re.countEntries(t, audit.TranscriptDownload, audit.Denied) == 0 {
		t.Fatal("refusals not recorded")
	}
	// Another meeting's transcript through this meeting's path is not found.
	expectError(t, do(t, host, "GET", re.srv.URL+"/api/meetings/aaaa-bbbb-cccc-dddd/transcripts/t_1", ""), http.StatusNotFound, "not_found")
	// Shared with: reads and downloads.
	expectStatus(t, do(t, other, "GET", re.transcriptURL("/t_1"), ""), http.StatusOK)
	expectStatus(t, do(t, other, "GET", re.transcriptURL("/t_1/download"), ""), http.StatusOK)
	officer, _ := re.signedInAs(t, "officer@example.org", store.RolePrivacyOfficer)
	expectStatus(t, do(t, officer, "GET", re.transcriptURL("/t_1/download?format=vtt"), ""), http.StatusOK)
}
