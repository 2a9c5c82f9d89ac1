package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestJoinInfo: with the meeting ID and passcode, anyone (no account) learns
// whether the meeting is end-to-end encrypted and sensitive, and nothing
// else; a wrong passcode and an unknown meeting get the same refusal, and
// both count against the passcode throttle until it locks the address out,
// right passcode or not.
func TestJoinInfo(t *testing.T) {
	e := newTestEnv(t)
	host := e.signedIn(t, "host@example.org")
	sensitive := createMeeting(t, host, e.srv.URL, `{"title":"Clinic","sensitive":true}`)
	plain := createMeeting(t, host, e.srv.URL, `{"title":"Standup"}`)
	optedOut := createMeeting(t, host, e.srv.URL, `{"title":"Clinic, recorded elsewhere","sensitive":true,"e2ee":false}`)
	if !sensitive.Sensitive || !sensitive.E2EE || !optedOut.Sensitive || optedOut.E2EE || plain.Sensitive {
		t.Fatalf("created: sensitive %+v, opted out %+v, plain %+v", sensitive, optedOut, plain)
	}
	guest := e.client(t)
	info := func(id, passcode string) response {
		t.Helper()
		return do(t, guest, "POST", e.srv.URL+"/api/meetings/"+id+"/join-info", `{"passcode":"`+passcode+`"}`)
	}
	for _, c := range []struct {
		m    meetingJSON
		want string
	}{
		{sensitive, `{"e2ee":true,"sensitive":true}`},
		{plain, `{"e2ee":false,"sensitive":false}`},
		{optedOut, `{"e2ee":false,"sensitive":true}`},
	} {
		r := info(c.m.ID, c.m.Passcode)
		expectStatus(t, r, http.StatusOK)
		if got := strings.TrimSpace(string(r.body)); got != c.want {
			t.Errorf("%s: %s, want %s", c.m.Title, got, c.want)
		}
		if strings.Contains(string(r.body), c.m.Title) {
			t.Errorf("join info reveals the title: %s", r.body)
		}
	}
	// The refused side: a wrong passcode and an unknown meeting look alike.
	wrong := info(sensitive.ID, "wrong-passcode")
	unknown := info("aaaa-bbbb-cccc-dddd", sensitive.Passcode)
	expectStatus(t, wrong, http.StatusNotFound)
	expectStatus(t, unknown, http.StatusNotFound)
	if string(wrong.body) != string(unknown.body) {
		t.Fatalf("wrong passcode %s and unknown meeting %s differ", wrong.body, unknown.body)
	}
	if n := e.auditCount(t, "meeting.join.refused", "failure"); n == 0 {
		t.Error("refused join-info not audited")
	}
	// Ten failures from one address (PasscodePolicy) lock it out: then the
	// right passcode is refused too, with the wait.
	for range 8 {
		expectStatus(t, info(sensitive.ID, "wrong-passcode"), http.StatusNotFound)
	}
	r := info(plain.ID, plain.Passcode)
	expectStatus(t, r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Error("lock-out without Retry-After")
	}
	if n := e.auditCount(t, "meeting.join.lockout", "denied"); n == 0 {
		t.Error("lock-out not audited")
	}
}
