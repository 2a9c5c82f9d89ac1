package web

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

// JSON endpoints take JSON only: a text/plain or form body, which a page
// on another site can send without a preflight, is refused with 415
// before anything else, so cross-site protection does not rest on the
// origin check alone.
func TestJSONEndpointsRefuseOtherContentTypes(t *testing.T) {
	e := newTestEnv(t)
	e.user(t, "a@example.org", store.RoleMember)
	login := `{"email":"a@example.org","password":"` + password + `"}`
	for _, ct := range []string{"text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x", "application/jsonp", "application/json-seq"} {
		r := do(t, e.client(t), "POST", e.srv.URL+"/api/login", login, "Content-Type", ct)
		expectError(t, r, http.StatusUnsupportedMediaType, "unsupported_media_type")
	}
	r := do(t, e.client(t), "POST", e.srv.URL+"/api/login", login, "Content-Type", "")
	expectError(t, r, http.StatusUnsupportedMediaType, "unsupported_media_type")
	for _, ct := range []string{"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"} {
		r := do(t, e.client(t), "POST", e.srv.URL+"/api/login", login, "Content-Type", ct)
		expectStatus(t, r, http.StatusOK)
	}
	// Requests without a body need no content type.
	c := e.signedIn(t, "b@example.org")
	expectStatus(t, do(t, c, "POST", e.srv.URL+"/api/logout", ""), http.StatusNoContent)
}

// The browser client declares its JSON bodies.
func TestWebClientSendsJSONContentType(t *testing.T) {
	for _, f := range []string{"../../web/src/api.ts", "../../web/src/requests.ts"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `'Content-Type': 'application/json'`) {
			t.Errorf("%s sends bodies without Content-Type: application/json", f)
		}
	}
}

// timeoutErr is what reading a body that stopped arriving returns.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

type failingBody struct{ err error }

func (b failingBody) Read([]byte) (int, error) { return 0, b.err }

// A body cut off by the server's read deadline is answered 408, not 400
// with the network error's text.
func TestSlowBodyAnswers408(t *testing.T) {
	req := httptest.NewRequest("POST", "/api/login", failingBody{timeoutErr{}})
	rec := httptest.NewRecorder()
	var dst struct{}
	if decodeJSON(rec, req, &dst) {
		t.Fatal("decoded a failed body")
	}
	if rec.Code != http.StatusRequestTimeout || !strings.Contains(rec.Body.String(), `"timeout"`) {
		t.Fatalf("status %d %s, want 408 timeout", rec.Code, rec.Body)
	}
}
