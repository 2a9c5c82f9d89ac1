package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/meeting"
)

// TestTranscriptionOptionOverAPI: POST /api/meetings makes a meeting
// transcribable only where the organisation allows transcription and not
// with media encrypted end to end, each refusal naming the option;
// /api/me tells the form whether to offer it.
func TestTranscriptionOptionOverAPI(t *testing.T) {
	e := newTestEnv(t, func(o *Options) { o.Meetings.Policy = meeting.Policy{Recording: true} })
	c := e.signedIn(t, "host@example.org")
	r := do(t, c, "POST", e.srv.URL+"/api/meetings", `{"title":"T","transcription":true}`)
	expectStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(string(r.body), "transcription") || !strings.Contains(string(r.body), "does not allow transcribing") {
		t.Fatalf("organisation off: %s", r.body)
	}
	var me struct {
		Recording     bool `json:"recording"`
		Transcription bool `json:"transcription"`
	}
	do(t, c, "GET", e.srv.URL+"/api/me", "").json(t, &me)
	if !me.Recording || me.Transcription {
		t.Fatalf("/api/me with recording only: %+v", me)
	}

	e = newTestEnv(t, func(o *Options) { o.Meetings.Policy = meeting.Policy{Transcription: true} })
	c = e.signedIn(t, "host@example.org")
	do(t, c, "GET", e.srv.URL+"/api/me", "").json(t, &me)
	if me.Recording || !me.Transcription {
		t.Fatalf("/api/me with transcription only: %+v", me)
	}
	r = do(t, c, "POST", e.srv.URL+"/api/meetings", `{"title":"T","transcription":true,"e2ee":true}`)
	expectStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(string(r.body), "no audio to transcribe") {
		t.Fatalf("encrypted: %s", r.body)
	}
	r = do(t, c, "POST", e.srv.URL+"/api/meetings", `{"title":"T","transcription":true}`)
	expectStatus(t, r, http.StatusCreated)
	var m meetingJSON
	r.json(t, &m)
	stored, err := e.store.MeetingByID(context.Background(), m.ID)
	if err != nil || !m.Transcription || m.Recording || !stored.Transcription || stored.Recording {
		t.Fatalf("created %s, stored %+v %v", r.body, stored, err)
	}
}
