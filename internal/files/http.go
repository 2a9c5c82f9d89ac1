package files

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/store"
)

// Routes are the paths the handler serves; internal/web mounts the handler
// on each, outside its 64 KiB body limit and JSON content-type check
// (mux.Handle(path, h), not route()).
var Routes = []string{"/api/meetings/{id}/files", "/api/meetings/{id}/files/{file}"}

// Body timeouts of an upload: the server's general body deadline (20 s)
// is replaced while a file streams in by one that moves with progress, so
// a slow link can send the largest file and a stalled client is still cut
// off.
const (
	uploadIdleTimeout = 30 * time.Second
	uploadMaxDuration = 30 * time.Minute
	// announceTimeout bounds telling the meeting about a stored file.
	announceTimeout = 10 * time.Second
)

type handler struct {
	s         *Service
	access    Access
	uploads   *limiter
	downloads *limiter
}

// Handler serves POST /api/meetings/{id}/files (upload) and
// GET /api/meetings/{id}/files/{file} (download) for the participants
// access admits (docs/api.md, "Files").
func (s *Service) Handler(access Access) http.Handler {
	h := &handler{s: s, access: access, uploads: newLimiter(UploadRate, s.opts.Now),
		downloads: newLimiter(DownloadRate, s.opts.Now)}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+Routes[0], h.upload)
	mux.HandleFunc("GET "+Routes[1], h.download)
	mux.HandleFunc(Routes[0], methodNotAllowed("POST"))
	mux.HandleFunc(Routes[1], methodNotAllowed("GET, HEAD"))
	return mux
}

func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed")
	}
}

// participant resolves the meeting and the caller's capability; it
// answers the request itself when either fails.
func (h *handler) participant(w http.ResponseWriter, r *http.Request) (string, Participant, bool) {
	meetingID, err := meeting.NormalizeID(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusNotFound, "not_found", "no such meeting")
		return "", Participant{}, false
	}
	token, ok := bearer(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="meeting"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "a participant's meeting token is required")
		return "", Participant{}, false
	}
	p, ok := h.access.Participant(r.Context(), meetingID, token)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="meeting", error="invalid_token"`)
		writeError(w, http.StatusUnauthorized, "unauthorized", "you are not in this meeting")
		return "", Participant{}, false
	}
	return meetingID, p, true
}

func bearer(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

type uploadResponse struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Size int64  `json:"size"`
	Type string `json:"type"`
}

func (h *handler) upload(w http.ResponseWriter, r *http.Request) {
	meetingID, p, ok := h.participant(w, r)
	if !ok {
		return
	}
	if r.ContentLength > h.s.opts.MaxBytes {
		writeUploadError(w, h.s.tooLarge())
		return
	}
	q := r.URL.Query()
	name := q.Get("name")
	if strings.TrimSpace(name) == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "name= must give the file's name")
		return
	}
	to := splitList(q.Get("to"))
	if !h.access.MayShare(r.Context(), meetingID, p, len(to) > 0) {
		writeError(w, http.StatusForbidden, "forbidden", "you may not share files in this meeting now")
		return
	}
	var recipients []store.FileRecipient
	if len(to) > 0 {
		var err error
		if recipients, err = h.access.Recipients(r.Context(), meetingID, p, to); err != nil {
			if errors.Is(err, ErrRecipients) {
				writeError(w, http.StatusBadRequest, "bad_request", ErrRecipients.Error())
				return
			}
			h.internalError(w, r, "check recipients", err)
			return
		}
	}
	release, wait, ok := h.uploads.acquire(p.ID)
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, wait).Round(time.Second)/time.Second)))
		writeError(w, http.StatusTooManyRequests, "rate_limited", "too many files: wait a moment")
		return
	}
	defer release()
	// One byte over the limit is let through to Upload, which refuses it
	// with the limit in its message; nothing further is read.
	body := progressDeadline(w, http.MaxBytesReader(w, r.Body, h.s.opts.MaxBytes+1))
	f, err := h.s.Upload(r.Context(), Upload{MeetingID: meetingID, From: p, Name: name, To: recipients,
		Body: body, Length: r.ContentLength})
	if err != nil {
		h.logUploadError(r, err)
		writeUploadError(w, err)
		return
	}
	if err := h.announce(r.Context(), meetingID, f); err != nil {
		h.s.opts.Logger.ErrorContext(r.Context(), "announce shared file", "err", err)
		if _, derr := h.s.DeleteSharedFiles(context.WithoutCancel(r.Context()), []string{f.ID}); derr != nil {
			h.s.opts.Logger.ErrorContext(r.Context(), "delete unannounced file", "err", derr)
		}
		writeError(w, http.StatusServiceUnavailable, "unavailable", "the file could not be shared with the meeting and was not kept")
		return
	}
	writeJSON(w, http.StatusCreated, uploadResponse{ID: f.ID, Name: f.Name, Size: f.Size, Type: f.Type})
}

func (h *handler) announce(ctx context.Context, meetingID string, f store.SharedFile) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), announceTimeout)
	defer cancel()
	return h.access.Announce(ctx, meetingID, Shared{ID: f.ID, Name: f.Name, Size: f.Size, Type: f.Type,
		From: Participant{ID: f.UploaderID, UserID: f.UploaderUser}, To: f.To, CreatedAt: f.CreatedAt})
}

// splitList reads "a,b, c" into its non-empty elements.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// writeUploadError answers a failed upload with what the uploader can act
// on; internal details stay in the log.
func writeUploadError(w http.ResponseWriter, err error) {
	var infected *InfectedError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &infected):
		writeError(w, http.StatusUnprocessableEntity, "infected", infected.Error())
	case errors.Is(err, ErrTooLarge), errors.As(err, &tooBig):
		msg := err.Error()
		if tooBig != nil {
			msg = "file too large: the limit is " + formatSize(tooBig.Limit)
		}
		w.Header().Set("Connection", "close") // the rest of the body is not read
		writeError(w, http.StatusRequestEntityTooLarge, "too_large", msg)
	case errors.Is(err, ErrType):
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_type",
			"This file type is not allowed: "+strings.TrimPrefix(err.Error(), ErrType.Error()+": ")+".")
	case errors.Is(err, ErrEmpty):
		writeError(w, http.StatusBadRequest, "bad_request", "the file is empty")
	case errors.Is(err, ErrName):
		writeError(w, http.StatusBadRequest, "bad_request", ErrName.Error())
	case errors.Is(err, ErrNoSpace):
		writeError(w, http.StatusInsufficientStorage, "insufficient_storage", "The server has no room for this file just now; nothing was kept.")
	case errors.Is(err, ErrScan):
		writeError(w, http.StatusServiceUnavailable, "scan_unavailable", "The virus scanner could not check this file, so it was not shared. Try again later.")
	case errors.Is(err, ErrBody):
		writeError(w, http.StatusBadRequest, "incomplete", "the upload stopped before the end of the file; nothing was kept")
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "no such meeting")
	default:
		writeError(w, http.StatusInternalServerError, "internal", "internal error")
	}
}

// logUploadError logs what the operator must see: the uploader's own
// mistakes are debug, the server's failures errors.
func (h *handler) logUploadError(r *http.Request, err error) {
	var infected *InfectedError
	switch {
	case errors.As(err, &infected), errors.Is(err, ErrTooLarge), errors.Is(err, ErrType), errors.Is(err, ErrEmpty),
		errors.Is(err, ErrName), errors.Is(err, ErrBody):
		h.s.opts.Logger.DebugContext(r.Context(), "upload refused", "err", err)
	default:
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return
		}
		h.s.opts.Logger.ErrorContext(r.Context(), "upload failed", "err", err)
	}
}

func (h *handler) download(w http.ResponseWriter, r *http.Request) {
	meetingID, p, ok := h.participant(w, r)
	if !ok {
		return
	}
	f, err := h.s.File(r.Context(), meetingID, r.PathValue("file"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !mayDownload(p, f)) {
		// The same answer for a file that exists but is not the caller's:
		// a participant cannot probe for others' files.
		writeError(w, http.StatusNotFound, "not_found", "no such file")
		return
	}
	if err != nil {
		h.internalError(w, r, "read shared file", err)
		return
	}
	release, wait, ok := h.downloads.acquire(p.ID)
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(max(time.Second, wait).Round(time.Second)/time.Second)))
		writeError(w, http.StatusTooManyRequests, "rate_limited", "too many downloads: wait a moment")
		return
	}
	defer release()
	rc, err := h.s.Content(f)
	if err != nil {
		h.internalError(w, r, "open shared file", err)
		return
	}
	defer rc.Close()
	if r.Method != http.MethodHead {
		h.s.record(r.Context(), audit.Event{Action: audit.FileAccess, Actor: auditActor(p.ID), Meeting: auditMeeting(meetingID),
			Outcome: audit.Success, Details: map[string]string{"op": "download", "file": f.ID}})
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/octet-stream")
	hd.Set("Content-Disposition", ContentDisposition(f.Name))
	hd.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	buf := make([]byte, ChunkSize)
	if _, err := io.CopyBuffer(w, rc, buf); err != nil {
		if errors.Is(err, ErrCorrupt) {
			// The status is sent; cutting the connection keeps a damaged
			// file from looking complete (Content-Length is not reached).
			h.s.opts.Logger.ErrorContext(r.Context(), "shared file content does not authenticate", "file", f.ID, "err", err)
			panic(http.ErrAbortHandler)
		}
		h.s.opts.Logger.DebugContext(r.Context(), "download ended early", "err", err)
	}
}

func (h *handler) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.s.opts.Logger.ErrorContext(r.Context(), what, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "internal error")
}

// progressDeadline moves the connection's read deadline forward while the
// body arrives: uploadIdleTimeout from the last progress, never beyond
// uploadMaxDuration. Where the writer cannot set deadlines (tests) the
// body is read as it is.
func progressDeadline(w http.ResponseWriter, body io.Reader) io.Reader {
	rc := http.NewResponseController(w)
	start := time.Now()
	if err := rc.SetReadDeadline(start.Add(uploadIdleTimeout)); err != nil {
		return body
	}
	return &deadlineReader{r: body, rc: rc, end: start.Add(uploadMaxDuration), moved: start}
}

type deadlineReader struct {
	r          io.Reader
	rc         *http.ResponseController
	end, moved time.Time
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if now := time.Now(); n > 0 && now.Sub(d.moved) > time.Second {
		d.moved = now
		next := now.Add(uploadIdleTimeout)
		if next.After(d.end) {
			next = d.end
		}
		_ = d.rc.SetReadDeadline(next)
	}
	return n, err
}

// The API's JSON error shape (internal/web respond.go).
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v) // a failed write means the client left
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}})
}
