package files

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/store"
)

// fakeAccess is the live meeting: tokens issued to participants, who may
// leave; it refuses sharing to those in denied.
type fakeAccess struct {
	mu          sync.Mutex
	meeting     string
	tokens      map[string]Participant
	left        map[string]bool
	denied      map[string]bool
	announced   []Shared
	announceErr error
}

func newFakeAccess() *fakeAccess {
	return &fakeAccess{meeting: testMeeting, left: map[string]bool{}, denied: map[string]bool{},
		tokens: map[string]Participant{"tok-alice": alice, "tok-bob": bob, "tok-carol": carol}}
}

func (a *fakeAccess) Participant(_ context.Context, meetingID, token string) (Participant, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	p, ok := a.tokens[token]
	if !ok || meetingID != a.meeting || a.left[p.ID] {
		return Participant{}, false
	}
	return p, true
}

func (a *fakeAccess) MayShare(_ context.Context, _ string, p Participant, _ bool) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return !a.denied[p.ID]
}

func (a *fakeAccess) Recipients(_ context.Context, _ string, from Participant, to []string) ([]store.FileRecipient, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []store.FileRecipient
	for i, id := range to {
		if slices.Contains(to[:i], id) || id == from.ID || a.left[id] {
			return nil, ErrRecipients
		}
		found := false
		for _, p := range a.tokens {
			if p.ID == id {
				out, found = append(out, store.FileRecipient{ParticipantID: p.ID, UserID: p.UserID}), true
			}
		}
		if !found {
			return nil, ErrRecipients
		}
	}
	return out, nil
}

func (a *fakeAccess) Announce(_ context.Context, _ string, f Shared) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.announceErr != nil {
		return a.announceErr
	}
	a.announced = append(a.announced, f)
	return nil
}

func (a *fakeAccess) leave(p Participant) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.left[p.ID] = true
}

type server struct {
	*env
	access *fakeAccess
	url    string
}

func newServer(t *testing.T, mod func(*Options)) *server {
	t.Helper()
	e := newEnv(t, mod)
	a := newFakeAccess()
	ts := httptest.NewServer(e.svc.Handler(a))
	t.Cleanup(ts.Close)
	return &server{env: e, access: a, url: ts.URL}
}

func (s *server) filesURL(meeting string, query url.Values) string {
	return s.url + "/api/meetings/" + meeting + "/files?" + query.Encode()
}

func (s *server) post(t *testing.T, token, name, to string, body io.Reader) *http.Response {
	t.Helper()
	q := url.Values{"name": {name}}
	if to != "" {
		q.Set("to", to)
	}
	req, err := http.NewRequest(http.MethodPost, s.filesURL(testMeeting, q), body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "text/html") // what the browser claims counts for nothing
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (s *server) get(t *testing.T, token, meeting, id string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.url+"/api/meetings/"+meeting+"/files/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func decodeBody[T any](t *testing.T, resp *http.Response) T {
	t.Helper()
	var v T
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func wantError(t *testing.T, resp *http.Response, status int, code string) string {
	t.Helper()
	if resp.StatusCode != status {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d (%s), want %d %s", resp.StatusCode, b, status, code)
	}
	e := decodeBody[errorBody](t, resp)
	if e.Error.Code != code {
		t.Fatalf("code %q (%s), want %q", e.Error.Code, e.Error.Message, code)
	}
	return e.Error.Message
}

func TestHTTPUploadAndDownload(t *testing.T) {
	s := newServer(t, nil)
	img := pngBytes(t)
	resp := s.post(t, "tok-alice", "holiday.txt", "p_bob", bytes.NewReader(img))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	up := decodeBody[uploadResponse](t, resp)
	if !ValidID(up.ID) || up.Name != "holiday.txt.png" || up.Size != int64(len(img)) || up.Type != TypePNG {
		t.Fatalf("answer %+v", up)
	}
	if len(s.access.announced) != 1 || s.access.announced[0].ID != up.ID || s.access.announced[0].From != alice ||
		!slices.Equal(s.access.announced[0].To, []store.FileRecipient{{ParticipantID: "p_bob", UserID: "u_bob"}}) {
		t.Fatalf("announced %+v", s.access.announced)
	}

	for _, tok := range []string{"tok-bob", "tok-alice"} { // the recipient and the uploader
		resp := s.get(t, tok, testMeeting, up.ID)
		got, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !bytes.Equal(got, img) {
			t.Fatalf("%s: %d, %d bytes", tok, resp.StatusCode, len(got))
		}
		h := resp.Header
		for name, want := range map[string]string{
			"Content-Type":            "application/octet-stream",
			"Content-Disposition":     `attachment; filename="holiday.txt.png"; filename*=UTF-8''holiday.txt.png`,
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": "sandbox; default-src 'none'",
			"Cache-Control":           "no-store",
		} {
			if h.Get(name) != want {
				t.Errorf("%s: %q, want %q", name, h.Get(name), want)
			}
		}
		if resp.ContentLength != int64(len(img)) {
			t.Errorf("Content-Length %d", resp.ContentLength)
		}
	}
	if n := len(s.rec.find("download", audit.Success)); n != 2 {
		t.Fatalf("%d download entries", n)
	}

	// Carol was not sent it: the same answer as for no file at all.
	wantError(t, s.get(t, "tok-carol", testMeeting, up.ID), http.StatusNotFound, "not_found")
	wantError(t, s.get(t, "tok-bob", testMeeting, "f_0000000000000000000a"), http.StatusNotFound, "not_found")
	wantError(t, s.get(t, "tok-bob", testMeeting, "..%2f..%2fmaster.key"), http.StatusNotFound, "not_found")
	// Unknown, missing and other meetings' tokens.
	wantError(t, s.get(t, "tok-mallory", testMeeting, up.ID), http.StatusUnauthorized, "unauthorized")
	wantError(t, s.get(t, "", testMeeting, up.ID), http.StatusUnauthorized, "unauthorized")
	wantError(t, s.get(t, "tok-bob", otherMeeting, up.ID), http.StatusUnauthorized, "unauthorized")
	wantError(t, s.get(t, "tok-bob", "not-a-meeting", up.ID), http.StatusNotFound, "not_found")
	// Bob left the meeting: his token no longer opens anything.
	s.access.leave(bob)
	wantError(t, s.get(t, "tok-bob", testMeeting, up.ID), http.StatusUnauthorized, "unauthorized")
	if n := len(s.rec.find("download", audit.Success)); n != 2 {
		t.Fatalf("refused downloads were recorded as downloads: %d", n)
	}
}

func TestHTTPUploadToEveryone(t *testing.T) {
	s := newServer(t, nil)
	resp := s.post(t, "tok-carol", "notes", "", strings.NewReader("shared notes\n"))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	up := decodeBody[uploadResponse](t, resp)
	if up.Name != "notes.txt" || len(s.access.announced) != 1 || len(s.access.announced[0].To) != 0 {
		t.Fatalf("%+v %+v", up, s.access.announced)
	}
	for _, tok := range []string{"tok-alice", "tok-bob", "tok-carol"} {
		if resp := s.get(t, tok, testMeeting, up.ID); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", tok, resp.StatusCode)
		}
	}
	// A participant who left cannot upload.
	s.access.leave(carol)
	wantError(t, s.post(t, "tok-carol", "x.txt", "", strings.NewReader("x")), http.StatusUnauthorized, "unauthorized")
}

func TestHTTPUploadRefusals(t *testing.T) {
	s := newServer(t, func(o *Options) { o.MaxBytes = 100 << 10 })
	msg := wantError(t, s.post(t, "tok-alice", "cat.png", "", strings.NewReader("<html><script>alert(1)</script>")),
		http.StatusUnsupportedMediaType, "unsupported_type")
	if !strings.Contains(msg, "not allowed") || !strings.Contains(msg, "PDF") {
		t.Errorf("message %q", msg)
	}
	wantError(t, s.post(t, "tok-alice", "big.txt", "", bytes.NewReader(text(100<<10+1))), http.StatusRequestEntityTooLarge, "too_large")
	// Without a declared length (chunked), refused while streaming.
	pr, pw := io.Pipe()
	go func() {
		for i := 0; i < 20; i++ {
			if _, err := pw.Write(text(16 << 10)); err != nil {
				return
			}
		}
		pw.Close()
	}()
	msg = wantError(t, s.post(t, "tok-alice", "big.txt", "", pr), http.StatusRequestEntityTooLarge, "too_large")
	if !strings.Contains(msg, "100 KiB") {
		t.Errorf("message %q", msg)
	}
	pr.CloseWithError(errors.New("done"))
	wantError(t, s.post(t, "tok-alice", "empty.txt", "", strings.NewReader("")), http.StatusBadRequest, "bad_request")
	wantError(t, s.post(t, "tok-alice", "", "", strings.NewReader("x")), http.StatusBadRequest, "bad_request")
	wantError(t, s.post(t, "tok-alice", "a.txt", "p_alice", strings.NewReader("x")), http.StatusBadRequest, "bad_request")
	wantError(t, s.post(t, "tok-alice", "a.txt", "p_bob,p_bob", strings.NewReader("x")), http.StatusBadRequest, "bad_request")
	wantError(t, s.post(t, "tok-alice", "a.txt", "p_nobody", strings.NewReader("x")), http.StatusBadRequest, "bad_request")
	wantError(t, s.post(t, "", "a.txt", "", strings.NewReader("x")), http.StatusUnauthorized, "unauthorized")
	s.access.denied["p_alice"] = true
	wantError(t, s.post(t, "tok-alice", "a.txt", "", strings.NewReader("x")), http.StatusForbidden, "forbidden")
	s.env.assertStored(t, 0)

	req, _ := http.NewRequest(http.MethodDelete, s.url+"/api/meetings/"+testMeeting+"/files", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("DELETE: %d %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
}

// TestHTTPAnnounceFails: a file nobody could be told about is not kept.
func TestHTTPAnnounceFails(t *testing.T) {
	s := newServer(t, nil)
	s.access.announceErr = errors.New("the meeting ended")
	wantError(t, s.post(t, "tok-alice", "a.txt", "", strings.NewReader("hello")), http.StatusServiceUnavailable, "unavailable")
	s.env.assertStored(t, 0)
}

func TestHTTPUploadRateLimit(t *testing.T) {
	s := newServer(t, nil)
	for i := 0; i < UploadRate.Burst; i++ {
		if resp := s.post(t, "tok-alice", "a.txt", "", strings.NewReader("hello")); resp.StatusCode != http.StatusCreated {
			t.Fatalf("upload %d: %d", i, resp.StatusCode)
		}
	}
	resp := s.post(t, "tok-alice", "a.txt", "", strings.NewReader("hello"))
	wantError(t, resp, http.StatusTooManyRequests, "rate_limited")
	if resp.Header.Get("Retry-After") != "12" {
		t.Fatalf("Retry-After %q", resp.Header.Get("Retry-After"))
	}
	// Others are not held back, and Alice may go on after a while.
	if resp := s.post(t, "tok-bob", "b.txt", "", strings.NewReader("hello")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("bob: %d", resp.StatusCode)
	}
	s.clock.Advance(UploadRate.Every)
	if resp := s.post(t, "tok-alice", "a.txt", "", strings.NewReader("hello")); resp.StatusCode != http.StatusCreated {
		t.Fatalf("after waiting: %d", resp.StatusCode)
	}
}

// TestHTTPDownloadOfDamagedContent: altered content is never served as a
// complete file: the connection is cut before Content-Length is reached.
func TestHTTPDownloadOfDamagedContent(t *testing.T) {
	s := newServer(t, nil)
	content := text(3 * ChunkSize)
	f := s.mustUpload(t, alice, "a.txt", content)
	path := s.svc.path(f.ID)
	enc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	enc[len(enc)-100] ^= 1 // in the last chunk
	if err := os.WriteFile(path, enc, 0o600); err != nil {
		t.Fatal(err)
	}
	resp := s.get(t, "tok-alice", testMeeting, f.ID)
	got, err := io.ReadAll(resp.Body)
	if err == nil || len(got) >= len(content) {
		t.Fatalf("read %d of %d bytes, err %v: a damaged file looked complete", len(got), len(content), err)
	}
}

func TestLimiter(t *testing.T) {
	now := time.Unix(0, 0)
	l := newLimiter(Rate{Burst: 2, Every: 10 * time.Second, Concurrent: 1}, func() time.Time { return now })
	r1, _, ok := l.acquire("p")
	if !ok {
		t.Fatal("first")
	}
	if _, _, ok := l.acquire("p"); ok {
		t.Fatal("a second upload at once")
	}
	r1()
	r1() // releasing twice does not free a second slot
	r2, _, ok := l.acquire("p")
	if !ok {
		t.Fatal("second")
	}
	r2()
	if _, wait, ok := l.acquire("p"); ok || wait != 10*time.Second {
		t.Fatalf("third: %v %v", ok, wait)
	}
	now = now.Add(5 * time.Second)
	if _, wait, ok := l.acquire("p"); ok || wait != 5*time.Second {
		t.Fatalf("half way: %v %v", ok, wait)
	}
	now = now.Add(5 * time.Second)
	if _, _, ok := l.acquire("p"); !ok {
		t.Fatal("after refill")
	}
}
