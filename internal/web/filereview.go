package web

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/authz"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/privacy"
	"github.com/conclave-meet/conclave/internal/store"
)

// Shared files, reviewed (docs/privacy.md, "Files"): a privacy officer or
// administrator lists a meeting's or a person's shared files and
// downloads them to answer a subject's request; every look is recorded
// (file.access, op review or review_download) before anything is sent.

// FileArchive is the shared files as the review reads them (files.Service
// implements it).
type FileArchive interface {
	SharedFilesOfMeeting(ctx context.Context, meetingID string) ([]store.SharedFile, error)
	SharedFilesOfSubject(ctx context.Context, subjectID string) ([]store.SharedFile, error)
	File(ctx context.Context, meetingID, id string) (store.SharedFile, error)
	Content(f store.SharedFile) (io.ReadCloser, error)
	// Scanning says whether uploads are scanned for malware, and by what.
	Scanning() (on bool, what string)
}

type fileJSON struct {
	ID         string      `json:"id"`
	Meeting    string      `json:"meeting"`
	Name       string      `json:"name"`
	Size       int64       `json:"size"`
	Type       string      `json:"type"`
	From       chatParty   `json:"from"`
	ToEveryone bool        `json:"to_everyone"`
	To         []chatParty `json:"to"`
	Time       time.Time   `json:"time"`
}

type fileListResponse struct {
	Files   []fileJSON `json:"files"`
	Scanned bool       `json:"scanned"`
	Scanner string     `json:"scanner"`
}

// fileReviewRoutes mounts the review where the server keeps files.
func (s *server) fileReviewRoutes(mux *http.ServeMux) {
	if s.SharedFiles == nil {
		return
	}
	route(mux, "/api/privacy/files", methods{"GET": s.fileReview})
	route(mux, "/api/privacy/files/{meeting}/{file}", methods{"GET": s.fileReviewDownload})
}

// fileReview serves GET /api/privacy/files?meeting=ID or ?subject=…: the
// files' descriptions, and whether uploads are scanned.
func (s *server) fileReview(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.FileReview, audit.FileAccess)
	if !ok {
		return
	}
	q := r.URL.Query()
	meetingRaw, subject := q.Get("meeting"), q.Get("subject")
	if len(q) != 1 || (meetingRaw == "") == (subject == "") {
		writeError(w, http.StatusBadRequest, "bad_request", "give either meeting (a meeting ID) or subject (u_… or p_…)")
		return
	}
	ev := audit.Event{Action: audit.FileAccess, Actor: u.ID, Outcome: audit.Success, Details: map[string]string{"op": "review"}}
	var list []store.SharedFile
	var err error
	if meetingRaw != "" {
		id, bad := meeting.NormalizeID(meetingRaw)
		if bad != nil {
			writeError(w, http.StatusBadRequest, "bad_request", "meeting must be a meeting ID")
			return
		}
		ev.Meeting = id
		list, err = s.SharedFiles.SharedFilesOfMeeting(r.Context(), id)
	} else {
		if privacy.CheckSubject(subject) != nil || !audit.ValidSubject(subject) {
			writeError(w, http.StatusBadRequest, "bad_request", "subject must be an account (u_…) or participant (p_…) ID")
			return
		}
		ev.Target = subject
		list, err = s.SharedFiles.SharedFilesOfSubject(r.Context(), subject)
	}
	if err != nil {
		s.internalError(w, r, "file review", err)
		return
	}
	out := make([]fileJSON, 0, len(list))
	for _, f := range list {
		out = append(out, fileDescription(f))
	}
	ev.Details["count"] = strconv.Itoa(len(out))
	on, what := s.SharedFiles.Scanning()
	if s.auditOrFail(w, r, ev) {
		writeJSON(w, http.StatusOK, fileListResponse{Files: out, Scanned: on, Scanner: what})
	}
}

func fileDescription(f store.SharedFile) fileJSON {
	j := fileJSON{ID: f.ID, Meeting: f.MeetingID, Name: f.Name, Size: f.Size, Type: f.Type, Time: f.CreatedAt,
		From: chatParty{ID: f.UploaderID, User: f.UploaderUser}, ToEveryone: f.ToEveryone(), To: []chatParty{}}
	for _, r := range f.To {
		j.To = append(j.To, chatParty{ID: r.ParticipantID, User: r.UserID})
	}
	return j
}

// fileReviewDownload serves one file's content to an officer, as an
// attachment that can never run in Conclave's origin.
func (s *server) fileReviewDownload(w http.ResponseWriter, r *http.Request) {
	u, ok := s.authorize(w, r, authz.FileReview, audit.FileAccess)
	if !ok {
		return
	}
	meetingID, err := meeting.NormalizeID(r.PathValue("meeting"))
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", "no such file")
		return
	}
	f, err := s.SharedFiles.File(r.Context(), meetingID, r.PathValue("file"))
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "not_found", "no such file")
		return
	}
	if err != nil {
		s.internalError(w, r, "file review download", err)
		return
	}
	body, err := s.SharedFiles.Content(f)
	if err != nil {
		s.internalError(w, r, "file review content", err)
		return
	}
	defer body.Close()
	ev := audit.Event{Action: audit.FileAccess, Actor: u.ID, Meeting: meetingID, Outcome: audit.Success,
		Details: map[string]string{"op": "review_download", "file": f.ID}}
	if !s.auditOrFail(w, r, ev) {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "no-store")
	if _, err := io.Copy(w, body); err != nil {
		s.Logger.WarnContext(r.Context(), "file review download cut", "err", err)
	}
}
