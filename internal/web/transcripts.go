package web

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/recordings"
	"github.com/conclave-meet/conclave/internal/retention"
	"github.com/conclave-meet/conclave/internal/store"
)

// Stored transcripts over HTTP (docs/transcripts.md, "The stored
// transcript"; docs/api.md): exactly those who may see a meeting's
// recordings list its transcripts, read and search them, and download
// them as text or WebVTT, under the same permission-table actions
// (recording.view, recording.download) and the same relation
// (recordings.Service.MeetingAccess). Anyone else is told the meeting
// has none, and a refusal is recorded. Reads and downloads are recorded
// before anything is sent.

// TranscriptArchive is the stored transcripts as these routes read them
// (sqlite.Store and postgres.Store implement it).
type TranscriptArchive interface {
	TranscriptsOfMeeting(ctx context.Context, meetingID string) ([]store.Transcript, error)
	TranscriptSegments(ctx context.Context, meetingID, transcriptionID string) ([]store.TranscriptSegment, error)
}

func (s *server) transcriptRoutes(mux *http.ServeMux) {
	if s.Recordings == nil || s.Transcripts == nil {
		return
	}
	route(mux, "/api/meetings/{id}/transcripts", methods{"GET": s.listTranscripts})
	route(mux, "/api/meetings/{id}/transcripts/{tid}", methods{"GET": s.getTranscript})
	route(mux, "/api/meetings/{id}/transcripts/{tid}/download", methods{"GET": s.downloadTranscript})
}

// maxTranscriptQuery bounds a search.
const maxTranscriptQuery = 200

// transcriptViewer authorises action and the viewer's relation to the
// meeting; it has answered when it returns false.
func (s *server) transcriptViewer(w http.ResponseWriter, r *http.Request, action authz.Action, auditAction audit.Action) (recordings.Viewer, bool) {
	v, ok := s.recordingViewer(w, r, action, auditAction)
	if !ok {
		return v, false
	}
	meetingID := r.PathValue("id")
	acc, err := s.Recordings.MeetingAccess(r.Context(), v, meetingID)
	if err != nil {
		s.internalError(w, r, "transcripts", err)
		return v, false
	}
	if acc == recordings.NoAccess {
		s.auditRefusal(r, audit.Event{Action: auditAction, Actor: v.AccountID, Meeting: auditMeetingID(meetingID), Outcome: audit.Denied,
			Details: map[string]string{"reason": "not_host"}})
		writeError(w, http.StatusNotFound, "not_found", "no such transcript")
		return v, false
	}
	return v, true
}

type transcriptJSON struct {
	ID        string     `json:"id"`
	Meeting   string     `json:"meeting"`
	First     time.Time  `json:"first_at"`
	Last      time.Time  `json:"last_at"`
	Segments  int        `json:"segments"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

type transcriptSegmentJSON struct {
	Speaker     string `json:"speaker"`
	SpeakerName string `json:"speaker_name"`
	StartMS     int64  `json:"start_ms"`
	EndMS       int64  `json:"end_ms"`
	Text        string `json:"text"`
}

type transcriptResponse struct {
	transcriptJSON
	Query string                  `json:"query,omitempty"`
	Lines []transcriptSegmentJSON `json:"lines"`
}

func (s *server) listTranscripts(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.transcriptViewer(w, r, authz.RecordingView, audit.TranscriptView); !ok {
		return
	}
	meetingID := r.PathValue("id")
	list, err := s.Transcripts.TranscriptsOfMeeting(r.Context(), meetingID)
	if err != nil {
		s.internalError(w, r, "transcripts", err)
		return
	}
	out := struct {
		Transcripts []transcriptJSON `json:"transcripts"`
	}{Transcripts: make([]transcriptJSON, 0, len(list))}
	for _, tr := range list {
		j, err := s.transcriptJSON(r.Context(), tr)
		if err != nil {
			s.internalError(w, r, "transcripts", err)
			return
		}
		out.Transcripts = append(out.Transcripts, j)
	}
	writeJSON(w, http.StatusOK, out)
}

// transcript reads one transcript's lines matching the ?q= search (all
// when empty); it has answered when it returns false.
func (s *server) transcript(w http.ResponseWriter, r *http.Request) (store.Transcript, []store.TranscriptSegment, string, bool) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > maxTranscriptQuery {
		writeError(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("a search is at most %d bytes", maxTranscriptQuery))
		return store.Transcript{}, nil, "", false
	}
	meetingID, tid := r.PathValue("id"), r.PathValue("tid")
	list, err := s.Transcripts.TranscriptsOfMeeting(r.Context(), meetingID)
	if err != nil {
		s.internalError(w, r, "transcript", err)
		return store.Transcript{}, nil, "", false
	}
	var tr store.Transcript
	for _, t := range list {
		if t.ID == tid {
			tr = t
		}
	}
	if tr.ID == "" {
		writeError(w, http.StatusNotFound, "not_found", "no such transcript")
		return store.Transcript{}, nil, "", false
	}
	segs, err := s.Transcripts.TranscriptSegments(r.Context(), meetingID, tid)
	if err != nil {
		s.internalError(w, r, "transcript", err)
		return store.Transcript{}, nil, "", false
	}
	return tr, searchSegments(segs, q), q, true
}

// searchSegments keeps the lines whose text or speaker's name holds
// every word of q, ignoring case: the text is sealed in the store, so the
// search runs here, over the opened lines.
func searchSegments(segs []store.TranscriptSegment, q string) []store.TranscriptSegment {
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 {
		return segs
	}
	var out []store.TranscriptSegment
	for _, seg := range segs {
		hay := strings.ToLower(seg.Text + " " + seg.SpeakerName)
		all := true
		for _, w := range words {
			if !strings.Contains(hay, w) {
				all = false
				break
			}
		}
		if all {
			out = append(out, seg)
		}
	}
	return out
}

func (s *server) getTranscript(w http.ResponseWriter, r *http.Request) {
	v, ok := s.transcriptViewer(w, r, authz.RecordingView, audit.TranscriptView)
	if !ok {
		return
	}
	tr, segs, q, ok := s.transcript(w, r)
	if !ok {
		return
	}
	details := map[string]string{"transcription": tr.ID}
	if q != "" {
		details["search"] = "yes" // what was searched is not recorded: it may be personal
	}
	if !s.auditOrFail(w, r, audit.Event{Action: audit.TranscriptView, Actor: v.AccountID, Meeting: auditMeetingID(tr.MeetingID),
		Outcome: audit.Success, Details: details}) {
		return
	}
	j, err := s.transcriptJSON(r.Context(), tr)
	if err != nil {
		s.internalError(w, r, "transcript", err)
		return
	}
	out := transcriptResponse{transcriptJSON: j, Query: q, Lines: make([]transcriptSegmentJSON, 0, len(segs))}
	for _, seg := range segs {
		out.Lines = append(out.Lines, transcriptSegmentJSON{Speaker: seg.SpeakerID, SpeakerName: seg.SpeakerName,
			StartMS: seg.Start.Milliseconds(), EndMS: seg.End.Milliseconds(), Text: seg.Text})
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

// downloadTranscript serves a transcript as an attachment, ?format=txt
// (the default) or vtt; every download is recorded.
func (s *server) downloadTranscript(w http.ResponseWriter, r *http.Request) {
	v, ok := s.transcriptViewer(w, r, authz.RecordingDownload, audit.TranscriptDownload)
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "txt"
	}
	if format != "txt" && format != "vtt" {
		writeError(w, http.StatusBadRequest, "bad_request", "format is txt or vtt")
		return
	}
	tr, segs, q, ok := s.transcript(w, r)
	if !ok {
		return
	}
	details := map[string]string{"transcription": tr.ID, "format": format}
	if q != "" {
		details["search"] = "yes"
	}
	if !s.auditOrFail(w, r, audit.Event{Action: audit.TranscriptDownload, Actor: v.AccountID, Meeting: auditMeetingID(tr.MeetingID),
		Outcome: audit.Success, Details: details}) {
		return
	}
	body, ctype := TranscriptText(segs), "text/plain; charset=utf-8"
	if format == "vtt" {
		body, ctype = TranscriptVTT(segs), "text/vtt; charset=utf-8"
	}
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment",
		map[string]string{"filename": tr.MeetingID + "-" + tr.ID + "." + format}))
	_, _ = w.Write([]byte(body))
}

func (s *server) transcriptJSON(ctx context.Context, tr store.Transcript) (transcriptJSON, error) {
	j := transcriptJSON{ID: tr.ID, Meeting: tr.MeetingID, First: tr.First, Last: tr.Last, Segments: tr.Segments}
	period, _ := retention.FromConfig(s.Config.Privacy).Period(privacy.CatTranscript)
	own, err := s.Store.MeetingRetention(ctx, tr.MeetingID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return transcriptJSON{}, err
	}
	if d, ok := own[string(privacy.CatTranscript)]; ok {
		period = d
	}
	if period > 0 {
		// Each line expires on its own; the last one goes at this time.
		at := tr.Last.Add(period)
		j.ExpiresAt = &at
	}
	return j, nil
}

// TranscriptText is a transcript as plain text: one line per segment,
// "[h:mm:ss] Speaker: text".
func TranscriptText(segs []store.TranscriptSegment) string {
	var b strings.Builder
	for _, seg := range segs {
		fmt.Fprintf(&b, "[%s] %s: %s\n", clock(seg.Start, false), oneLine(speakerName(seg)), oneLine(seg.Text))
	}
	return b.String()
}

// TranscriptVTT is a transcript as WebVTT: one cue per segment, the
// speaker as a voice span (<v Speaker>text).
func TranscriptVTT(segs []store.TranscriptSegment) string {
	var b strings.Builder
	b.WriteString("WEBVTT\n")
	for i, seg := range segs {
		end := seg.End
		if end <= seg.Start {
			end = seg.Start + time.Millisecond
		}
		fmt.Fprintf(&b, "\n%d\n%s --> %s\n<v %s>%s\n", i+1, clock(seg.Start, true), clock(end, true),
			vttEscape(oneLine(speakerName(seg))), vttEscape(oneLine(seg.Text)))
	}
	return b.String()
}

func speakerName(seg store.TranscriptSegment) string {
	if seg.SpeakerName != "" {
		return seg.SpeakerName
	}
	return seg.SpeakerID
}

// clock formats an offset as h:mm:ss, or hh:mm:ss.mmm for WebVTT.
func clock(d time.Duration, vtt bool) string {
	d = max(d, 0)
	h, m, sec := int(d/time.Hour), int(d/time.Minute)%60, int(d/time.Second)%60
	if vtt {
		return fmt.Sprintf("%02d:%02d:%02d.%03d", h, m, sec, int(d/time.Millisecond)%1000)
	}
	return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
}

// oneLine keeps a cue or line on one line: a blank line would end a
// WebVTT cue, and "-->" would start a timing line.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "-->", "->")
}

// vttEscape escapes what WebVTT cue text gives meaning to.
func vttEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
