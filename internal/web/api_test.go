package web

import (
	"context"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/store"
)

func TestSetupLoginMeetingFlow(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(t)
	url := e.srv.URL

	var st struct{ Needed bool }
	r := do(t, c, "GET", url+"/api/setup", "")
	expectStatus(t, r, http.StatusOK)
	if r.json(t, &st); !st.Needed {
		t.Fatal("setup should be needed on an empty server")
	}
	token, needed, err := e.opts.Setup.EnsureSetupToken(context.Background())
	if err != nil || !needed {
		t.Fatal(err)
	}
	body := func(tok, pw string) string {
		return `{"token":"` + tok + `","email":"Ada@Example.org","name":"Ada","password":"` + pw + `"}`
	}
	expectError(t, do(t, c, "POST", url+"/api/setup", body("wrong", password)), 401, "unauthorized")
	expectError(t, do(t, c, "POST", url+"/api/setup", body(token, "short")), 400, "bad_request")

	r = do(t, c, "POST", url+"/api/setup", body(token, password))
	expectStatus(t, r, http.StatusCreated)
	var created userResponse
	r.json(t, &created)
	if created.User.Email != "ada@example.org" || created.User.Role != "admin" || !strings.HasPrefix(created.User.ID, "u_") {
		t.Fatalf("setup user %+v", created.User)
	}
	r = do(t, c, "GET", url+"/api/setup", "")
	if r.json(t, &st); st.Needed {
		t.Fatal("setup still needed after completion")
	}
	expectError(t, do(t, c, "POST", url+"/api/setup", body(token, password)), 409, "conflict")

	// The setup response signed us in.
	var me userResponse
	r = do(t, c, "GET", url+"/api/me", "")
	expectStatus(t, r, http.StatusOK)
	if r.json(t, &me); me.User != created.User {
		t.Fatalf("me %+v, want %+v", me.User, created.User)
	}

	m := createMeeting(t, c, url, `{"title":"Weekly"}`)
	if m.Title != "Weekly" {
		t.Fatalf("title %q", m.Title)
	}
	var list struct{ Meetings []meetingJSON }
	r = do(t, c, "GET", url+"/api/meetings", "")
	expectStatus(t, r, http.StatusOK)
	if r.json(t, &list); len(list.Meetings) != 1 || !reflect.DeepEqual(list.Meetings[0], m) {
		t.Fatalf("list %+v, want [%+v]", list.Meetings, m)
	}

	expectStatus(t, do(t, c, "POST", url+"/api/logout", ""), http.StatusNoContent)
	expectError(t, do(t, c, "GET", url+"/api/me", ""), 401, "unauthorized")
	expectError(t, do(t, c, "GET", url+"/api/meetings", ""), 401, "unauthorized")

	r = do(t, c, "POST", url+"/api/login", `{"email":"ada@example.org","password":"`+password+`"}`)
	expectStatus(t, r, http.StatusOK)
	if r.json(t, &me); me.User.ID != created.User.ID {
		t.Fatalf("login user %+v", me.User)
	}
	expectStatus(t, do(t, c, "GET", url+"/api/me", ""), http.StatusOK)
}

var idPattern = regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$`)

func createMeeting(t *testing.T, c *http.Client, url, body string) meetingJSON {
	t.Helper()
	r := do(t, c, "POST", url+"/api/meetings", body)
	expectStatus(t, r, http.StatusCreated)
	var m meetingJSON
	r.json(t, &m)
	if !idPattern.MatchString(m.ID) || len(m.Passcode) != 12 || m.CreatedAt.IsZero() {
		t.Fatalf("meeting %+v", m)
	}
	if want := publicURL + "/m/" + m.ID + "#pwd=" + m.Passcode; m.JoinURL != want {
		t.Fatalf("join_url %q, want %q", m.JoinURL, want)
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("meeting response Cache-Control %q", cc)
	}
	return m
}

func TestCreateMeetingDefaultsAndValidation(t *testing.T) {
	e := newTestEnv(t)
	c := e.signedIn(t, "a@example.org")
	if m := createMeeting(t, c, e.srv.URL, `{}`); m.Title != "Meeting" {
		t.Fatalf("default title %q", m.Title)
	}
	long := strings.Repeat("x", 121)
	expectError(t, do(t, c, "POST", e.srv.URL+"/api/meetings", `{"title":"`+long+`"}`), 400, "bad_request")
	expectError(t, do(t, e.client(t), "POST", e.srv.URL+"/api/meetings", `{"title":"x"}`), 401, "unauthorized")
}

func TestMeetingsListedOnlyForTheirHost(t *testing.T) {
	e := newTestEnv(t)
	a := e.signedIn(t, "a@example.org")
	b := e.signedIn(t, "b@example.org")
	createMeeting(t, a, e.srv.URL, `{"title":"A's"}`)
	var list struct{ Meetings []meetingJSON }
	r := do(t, b, "GET", e.srv.URL+"/api/meetings", "")
	expectStatus(t, r, http.StatusOK)
	if r.json(t, &list); list.Meetings == nil || len(list.Meetings) != 0 {
		t.Fatalf("b sees %s", r.body)
	}
	if !strings.Contains(string(r.body), `"meetings":[]`) {
		t.Fatalf("empty list must be [], got %s", r.body)
	}
}

func TestLoginFailuresIndistinguishable(t *testing.T) {
	e := newTestEnv(t)
	e.user(t, "a@example.org", store.RoleMember)
	c := e.client(t)
	bodies := []string{
		`{"email":"a@example.org","password":"wrong password!"}`,
		`{"email":"nobody@example.org","password":"wrong password!"}`,
		`{"email":"not an address","password":"x"}`,
		`{"email":"","password":""}`,
	}
	var first string
	for _, b := range bodies {
		r := do(t, c, "POST", e.srv.URL+"/api/login", b)
		expectError(t, r, 401, "unauthorized")
		if first == "" {
			first = string(r.body)
		}
		if string(r.body) != first {
			t.Fatalf("responses differ: %s vs %s", r.body, first)
		}
		if len(r.Cookies()) != 0 {
			t.Fatal("failed login set a cookie")
		}
	}
}

func TestLogoutRevokesServerSide(t *testing.T) {
	e := newTestEnv(t)
	c := e.signedIn(t, "a@example.org")
	u, _ := http.NewRequest("GET", e.srv.URL, nil)
	cookies := c.Jar.Cookies(u.URL)
	if len(cookies) != 1 || cookies[0].Name != auth.CookieName {
		t.Fatalf("cookies %v", cookies)
	}
	stolen := cookies[0].Value
	r := do(t, c, "POST", e.srv.URL+"/api/logout", "")
	expectStatus(t, r, http.StatusNoContent)
	if cs := r.Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Fatalf("logout did not clear the cookie: %v", cs)
	}
	// Replaying the old cookie value, as a thief would, must fail.
	r = do(t, http.DefaultClient, "GET", e.srv.URL+"/api/me", "", "Cookie", auth.CookieName+"="+stolen)
	expectError(t, r, 401, "unauthorized")
	// Logging out without a session is harmless.
	expectStatus(t, do(t, e.client(t), "POST", e.srv.URL+"/api/logout", ""), http.StatusNoContent)
}

func TestCookieAttributes(t *testing.T) {
	e := newTestEnv(t)
	e.user(t, "a@example.org", store.RoleMember)
	r := do(t, http.DefaultClient, "POST", e.srv.URL+"/api/login", `{"email":"a@example.org","password":"`+password+`"}`)
	expectStatus(t, r, http.StatusOK)
	set := r.Header.Get("Set-Cookie")
	for _, want := range []string{auth.CookieName + "=", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=604800"} { // auth.DefaultSessionTTL, 7 days
		if !strings.Contains(set, want) {
			t.Errorf("Set-Cookie %q lacks %q", set, want)
		}
	}
	if strings.Contains(set, "Secure") {
		t.Errorf("loopback test server must not set Secure: %q", set)
	}
}

func TestBadJSONBodies(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(t)
	cases := map[string]string{
		"unknown field":  `{"email":"a@example.org","password":"x","admin":true}`,
		"trailing data":  `{"email":"a@example.org","password":"x"} {}`,
		"wrong type":     `{"email":1,"password":"x"}`,
		"not an object":  `["email"]`,
		"syntax":         `{"email":`,
		"garbage":        `hello`,
		"empty object 2": `{}{}`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			expectError(t, do(t, c, "POST", e.srv.URL+"/api/login", body), 400, "bad_request")
		})
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/api/login", nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("empty body: %d", resp.StatusCode)
	}
}

func TestUnknownFieldMessageNamesField(t *testing.T) {
	e := newTestEnv(t)
	r := do(t, e.client(t), "POST", e.srv.URL+"/api/login", `{"emial":"a"}`)
	if !strings.Contains(string(r.body), "emial") {
		t.Fatalf("message should name the field: %s", r.body)
	}
}

func TestMethodNotAllowedAndUnknownAPI(t *testing.T) {
	e := newTestEnv(t)
	c := e.client(t)
	r := do(t, c, "DELETE", e.srv.URL+"/api/meetings", "")
	expectError(t, r, 405, "method_not_allowed")
	if allow := r.Header.Get("Allow"); allow != "GET, POST, HEAD" {
		t.Fatalf("Allow %q", allow)
	}
	r = do(t, c, "GET", e.srv.URL+"/api/login", "")
	expectError(t, r, 405, "method_not_allowed")
	if allow := r.Header.Get("Allow"); allow != "POST" {
		t.Fatalf("Allow %q", allow)
	}
	expectError(t, do(t, c, "GET", e.srv.URL+"/api/nope", ""), 404, "not_found")
}

func TestSetupNotNeededWhenUsersExist(t *testing.T) {
	e := newTestEnv(t)
	e.user(t, "cli@example.org", store.RoleAdmin)
	r := do(t, e.client(t), "GET", e.srv.URL+"/api/setup", "")
	if strings.TrimSpace(string(r.body)) != `{"needed":false}` {
		t.Fatalf("body %s", r.body)
	}
	body := `{"token":"x","email":"a@example.org","name":"A","password":"` + password + `"}`
	expectError(t, do(t, e.client(t), "POST", e.srv.URL+"/api/setup", body), 409, "conflict")
}
