package web

import (
	"context"
	"errors"
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

// Recordings over HTTP (docs/privacy.md, "Recordings"; docs/api.md): the
// host of the meeting and privacy officers list, play, download, share,
// delete and export a recording; accounts it was shared with play and
// download it. The permission table decides by role (authorize), package
// recordings by the relation to the recording; anyone else is told it
// does not exist, and a refusal for a real recording is recorded.
// Plays, downloads, shares, deletions and exports are recorded before
// anything is sent.

// RecordingCatalog is the recordings as these routes use them
// (*recordings.Service implements it).
type RecordingCatalog interface {
	List(ctx context.Context, v recordings.Viewer) ([]recordings.Summary, error)
	Get(ctx context.Context, v recordings.Viewer, id string) (recordings.Summary, error)
	OpenTrack(ctx context.Context, v recordings.Viewer, recordingID, trackID string) (*recordings.Playback, error)
	Share(ctx context.Context, v recordings.Viewer, recordingID string, accounts []string) error
	Unshare(ctx context.Context, v recordings.Viewer, recordingID, account string) error
	Delete(ctx context.Context, v recordings.Viewer, recordingID string) error
	StartComposite(ctx context.Context, v recordings.Viewer, recordingID string) error
	// FFmpeg says whether composites can be made, in words for the page.
	FFmpeg() (ok bool, what string)
	// MeetingAccess is what v may do with a meeting's recorded material
	// as a whole: its stored transcripts (transcripts.go).
	MeetingAccess(ctx context.Context, v recordings.Viewer, meetingID string) (recordings.Access, error)
}

func (s *server) recordingRoutes(mux *http.ServeMux) {
	if s.Recordings == nil {
		return
	}
	route(mux, "/api/recordings", methods{"GET": s.listRecordings})
	route(mux, "/api/recordings/{id}", methods{"GET": s.getRecording, "DELETE": s.deleteRecording})
	route(mux, "/api/recordings/{id}/shares", methods{"POST": s.shareRecording})
	route(mux, "/api/recordings/{id}/shares/{account}", methods{"DELETE": s.unshareRecording})
	route(mux, "/api/recordings/{id}/composite", methods{"POST": s.exportRecording})
	route(mux, "/api/recordings/{id}/tracks/{track}", methods{"GET": s.playTrack})
	route(mux, "/api/recordings/{id}/tracks/{track}/download", methods{"GET": s.downloadTrack})
}

// recordingViewer authorises action for the signed-in account and says
// whether it may act on every recording.
func (s *server) recordingViewer(w http.ResponseWriter, r *http.Request, action authz.Action, auditAction audit.Action) (recordings.Viewer, bool) {
	u, ok := s.authorize(w, r, action, auditAction)
	if !ok {
		return recordings.Viewer{}, false
	}
	return recordings.Viewer{AccountID: u.ID, Any: authz.Check(orgRole(u.Role), authz.RecordingAny, false) == nil}, true
}

// recordingError answers a refusal or failure: a recording the account
// may not reach is "not found", as a missing one, and recorded as denied.
func (s *server) recordingError(w http.ResponseWriter, r *http.Request, v recordings.Viewer, action audit.Action, err error) {
	switch {
	case errors.Is(err, recordings.ErrForbidden):
		s.auditRefusal(r, audit.Event{Action: action, Actor: v.AccountID, Outcome: audit.Denied,
			Details: map[string]string{"recording": r.PathValue("id"), "reason": "not_host"}})
		writeError(w, http.StatusNotFound, "not_found", "no such recording")
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such recording")
	case errors.Is(err, recordings.ErrActive):
		writeError(w, http.StatusConflict, "recording_active", "the recording is still running: stop it first")
	case errors.Is(err, recordings.ErrBusy):
		writeError(w, http.StatusConflict, "busy", "a composite of this recording is already being made")
	case errors.Is(err, recordings.ErrNoFFmpeg):
		writeError(w, http.StatusServiceUnavailable, "no_ffmpeg", "ffmpeg is not installed on the server")
	case errors.Is(err, recordings.ErrNoSpace):
		writeError(w, http.StatusInsufficientStorage, "no_space", "the server is low on disk space")
	default:
		s.internalError(w, r, "recordings", err)
	}
}

type recordingTrackJSON struct {
	ID        string    `json:"id"`
	Owner     string    `json:"owner,omitempty"`
	Name      string    `json:"name,omitempty"`
	Source    string    `json:"source"`
	Kind      string    `json:"kind"`
	Codec     string    `json:"codec"`
	OffsetMS  int64     `json:"offset_ms"`
	Duration  int64     `json:"duration_ms"`
	Bytes     int64     `json:"bytes"`
	Complete  bool      `json:"complete"`
	Finished  bool      `json:"finished"`
	People    int       `json:"people,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

type recordingShareJSON struct {
	Account string    `json:"account"`
	Name    string    `json:"name,omitempty"`
	Email   string    `json:"email,omitempty"`
	At      time.Time `json:"at"`
}

type recordingJSON struct {
	ID        string               `json:"id"`
	Meeting   string               `json:"meeting"`
	Purpose   string               `json:"purpose"`
	State     string               `json:"state"`
	StartedAt time.Time            `json:"started_at"`
	EndedAt   *time.Time           `json:"ended_at,omitempty"`
	EndReason string               `json:"end_reason,omitempty"`
	ExpiresAt *time.Time           `json:"expires_at,omitempty"`
	Manage    bool                 `json:"manage"`
	Exporting bool                 `json:"exporting"`
	Tracks    []recordingTrackJSON `json:"tracks"`
	Shares    []recordingShareJSON `json:"shares,omitempty"`
}

type recordingListResponse struct {
	Recordings []recordingJSON `json:"recordings"`
	FFmpeg     bool            `json:"ffmpeg"`
	FFmpegText string          `json:"ffmpeg_text"`
}

func (s *server) listRecordings(w http.ResponseWriter, r *http.Request) {
	v, ok := s.recordingViewer(w, r, authz.RecordingView, audit.RecordingView)
	if !ok {
		return
	}
	list, err := s.Recordings.List(r.Context(), v)
	if err != nil {
		s.recordingError(w, r, v, audit.RecordingView, err)
		return
	}
	out := recordingListResponse{Recordings: make([]recordingJSON, 0, len(list))}
	out.FFmpeg, out.FFmpegText = s.Recordings.FFmpeg()
	for _, sum := range list {
		j, err := s.recordingJSON(r.Context(), sum)
		if err != nil {
			s.internalError(w, r, "recordings list", err)
			return
		}
		out.Recordings = append(out.Recordings, j)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *server) getRecording(w http.ResponseWriter, r *http.Request) {
	v, ok := s.recordingViewer(w, r, authz.RecordingView, audit.RecordingView)
	if !ok {
		return
	}
	sum, err := s.Recordings.Get(r.Context(), v, r.PathValue("id"))
	if err != nil {
		s.recordingError(w, r, v, audit.RecordingView, err)
		return
	}
	j, err := s.recordingJSON(r.Context(), sum)
	if err != nil {
		s.internalError(w, r, "recording", err)
		return
	}
	writeJSON(w, http.StatusOK, j)
}

func (s *server) recordingJSON(ctx context.Context, sum recordings.Summary) (recordingJSON, error) {
	j := recordingJSON{ID: sum.ID, Meeting: sum.MeetingID, Purpose: sum.Purpose, State: sum.State, StartedAt: sum.StartedAt,
		EndReason: sum.EndReason, Manage: sum.Access == recordings.CanManage, Exporting: sum.Exporting,
		Tracks: make([]recordingTrackJSON, 0, len(sum.Tracks))}
	if !sum.EndedAt.IsZero() {
		j.EndedAt = &sum.EndedAt
		exp, err := s.recordingExpiry(ctx, sum.MeetingID, sum.EndedAt)
		if err != nil {
			return recordingJSON{}, err
		}
		j.ExpiresAt = exp
	}
	for _, t := range sum.Tracks {
		j.Tracks = append(j.Tracks, recordingTrackJSON{ID: t.ID, Owner: t.Owner, Name: t.OwnerName, Source: t.Source,
			Kind: t.Kind, Codec: t.Codec, OffsetMS: t.Offset.Milliseconds(), Duration: t.Duration.Milliseconds(),
			Bytes: t.Bytes, Complete: t.Complete, Finished: t.Finished, People: len(t.Subjects), CreatedAt: t.CreatedAt})
	}
	for _, sh := range sum.Shares {
		sj := recordingShareJSON{Account: sh.AccountID, At: sh.SharedAt}
		if u, err := s.Store.UserByID(ctx, sh.AccountID); err == nil {
			sj.Name, sj.Email = u.Name, u.Email
		}
		j.Shares = append(j.Shares, sj)
	}
	return j, nil
}

// recordingExpiry is when the retention sweep deletes a recording that
// ended at ended: the meeting's own period, or the organisation's; nil
// when recordings are kept until deleted.
func (s *server) recordingExpiry(ctx context.Context, meetingID string, ended time.Time) (*time.Time, error) {
	period, _ := retention.FromConfig(s.Config.Privacy).Period(privacy.CatRecording)
	own, err := s.Store.MeetingRetention(ctx, meetingID)
	if err != nil {
		return nil, err
	}
	if d, ok := own[string(privacy.CatRecording)]; ok {
		period = d
	}
	if period == 0 {
		return nil, nil
	}
	at := ended.Add(period)
	return &at, nil
}

// playTrack serves a track decrypted on the fly, seekable by range
// requests. The first request of a play (no range, or one from byte 0) is
// recorded; the ranges a player asks for while seeking are not, so that
// one viewing is one entry.
func (s *server) playTrack(w http.ResponseWriter, r *http.Request) {
	s.serveTrack(w, r, authz.RecordingView, audit.RecordingView, false)
}

// downloadTrack serves a track as an attachment; every download is
// recorded.
func (s *server) downloadTrack(w http.ResponseWriter, r *http.Request) {
	s.serveTrack(w, r, authz.RecordingDownload, audit.RecordingDownload, true)
}

func (s *server) serveTrack(w http.ResponseWriter, r *http.Request, action authz.Action, auditAction audit.Action, attach bool) {
	v, ok := s.recordingViewer(w, r, action, auditAction)
	if !ok {
		return
	}
	p, err := s.Recordings.OpenTrack(r.Context(), v, r.PathValue("id"), r.PathValue("track"))
	if err != nil {
		s.recordingError(w, r, v, auditAction, err)
		return
	}
	defer p.Close()
	if attach || playStart(r.Header.Get("Range")) {
		ev := audit.Event{Action: auditAction, Actor: v.AccountID, Meeting: auditMeetingID(p.Track.MeetingID),
			Outcome: audit.Success, Details: map[string]string{"recording": p.Track.RecordingID, "track": p.Track.ID}}
		if !s.auditOrFail(w, r, ev) {
			return
		}
	}
	h := w.Header()
	h.Set("Content-Type", p.ContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	if attach {
		name := p.Track.RecordingID + "-" + p.Track.ID + "-" + p.Track.Source + ".webm"
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	// No modification time: If-Modified-Since must not turn a play into
	// a cached 304 of content the browser was told not to keep.
	http.ServeContent(w, r, "", time.Time{}, p.Content())
}

// playStart reports whether a request starts a play: no range, or a
// range from the first byte.
func playStart(rng string) bool {
	return rng == "" || strings.HasPrefix(strings.TrimSpace(rng), "bytes=0-")
}

func auditMeetingID(id string) string {
	if audit.ValidMeetingID(id) {
		return id
	}
	return ""
}

type shareRequest struct {
	// Emails names the accounts by e-mail address, as people know them.
	Emails []string `json:"emails"`
}

// maxShares bounds one share request.
const maxShares = 50

func (s *server) shareRecording(w http.ResponseWriter, r *http.Request) {
	v, ok := s.recordingViewer(w, r, authz.RecordingShare, audit.RecordingShare)
	if !ok {
		return
	}
	var body shareRequest
	if !decodeJSON(w, r, &body) {
		return
	}
	if len(body.Emails) == 0 || len(body.Emails) > maxShares {
		writeError(w, http.StatusBadRequest, "bad_request", "give between 1 and 50 e-mail addresses in emails")
		return
	}
	var ids []string
	for _, e := range body.Emails {
		u, err := s.Store.UserByEmail(r.Context(), strings.TrimSpace(e))
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusBadRequest, "unknown_account", "no account has the address "+strings.TrimSpace(e))
			return
		}
		if err != nil {
			s.internalError(w, r, "share lookup", err)
			return
		}
		ids = append(ids, u.ID)
	}
	id := r.PathValue("id")
	if err := s.Recordings.Share(r.Context(), v, id, ids); err != nil {
		s.recordingError(w, r, v, audit.RecordingShare, err)
		return
	}
	for _, a := range ids {
		if !s.auditOrFail(w, r, audit.Event{Action: audit.RecordingShare, Actor: v.AccountID, Target: a, Outcome: audit.Success,
			Details: map[string]string{"recording": id, "op": "share"}}) {
			return
		}
	}
	s.getRecording(w, r)
}

func (s *server) unshareRecording(w http.ResponseWriter, r *http.Request) {
	v, ok := s.recordingViewer(w, r, authz.RecordingShare, audit.RecordingShare)
	if !ok {
		return
	}
	id, account := r.PathValue("id"), r.PathValue("account")
	if !audit.ValidSubject(account) || !strings.HasPrefix(account, "u_") {
		writeError(w, http.StatusBadRequest, "bad_request", "account must be an account ID")
		return
	}
	if err := s.Recordings.Unshare(r.Context(), v, id, account); err != nil {
		s.recordingError(w, r, v, audit.RecordingShare, err)
		return
	}
	if s.auditOrFail(w, r, audit.Event{Action: audit.RecordingShare, Actor: v.AccountID, Target: account, Outcome: audit.Success,
		Details: map[string]string{"recording": id, "op": "unshare"}}) {
		s.getRecording(w, r)
	}
}

func (s *server) deleteRecording(w http.ResponseWriter, r *http.Request) {
	v, ok := s.recordingViewer(w, r, authz.RecordingDelete, audit.RecordingDelete)
	if !ok {
		return
	}
	id := r.PathValue("id")
	sum, err := s.Recordings.Get(r.Context(), v, id)
	if err == nil {
		err = s.Recordings.Delete(r.Context(), v, id)
	}
	if err != nil {
		s.recordingError(w, r, v, audit.RecordingDelete, err)
		return
	}
	if s.auditOrFail(w, r, audit.Event{Action: audit.RecordingDelete, Actor: v.AccountID, Meeting: auditMeetingID(sum.MeetingID),
		Outcome: audit.Success, Details: map[string]string{"recording": id}}) {
		w.WriteHeader(http.StatusNoContent)
	}
}

// exportRecording starts a composite; 202, and the recording then lists
// exporting until the composite appears among its tracks.
func (s *server) exportRecording(w http.ResponseWriter, r *http.Request) {
	v, ok := s.recordingViewer(w, r, authz.RecordingExport, audit.RecordingExport)
	if !ok {
		return
	}
	id := r.PathValue("id")
	if err := s.Recordings.StartComposite(r.Context(), v, id); err != nil {
		s.recordingError(w, r, v, audit.RecordingExport, err)
		return
	}
	if s.auditOrFail(w, r, audit.Event{Action: audit.RecordingExport, Actor: v.AccountID, Outcome: audit.Success,
		Details: map[string]string{"recording": id}}) {
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "exporting"})
	}
}
