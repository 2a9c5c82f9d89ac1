package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/testlog"
)

// TestLogsHoldNoSecrets runs the server with debug logging through setup,
// sign-in, meeting creation and joins (with a wrong passcode too), then
// checks that no secret and no display name reached the logs.
func TestLogsHoldNoSecrets(t *testing.T) {
	var out, errb testlog.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	data := t.TempDir()
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--data", data,
			"--turn-port", "0", "--media-port", "0", "--log-level", "debug", "--mfa-roles", "none"}, e)
	}()
	base := waitFor(t, &out, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`))
	token := waitFor(t, &errb, regexp.MustCompile(`/setup#token=([A-Za-z0-9_-]{43})`))

	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	post := func(path, body string) []byte {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := hc.Do(req)
		if err != nil || resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %v %v", path, resp, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b
	}
	post("/api/setup", `{"token":"`+token+`","email":"ada@example.org","name":"Ada Secretname","password":"`+testPassword+`"}`)
	var m struct{ ID, Passcode string }
	// No waiting room and no wait for the host: the guest below joins alone.
	body := `{"title":"Board meeting","waiting_room":false,"join_before_host":true}`
	if err := json.Unmarshal(post("/api/meetings", body), &m); err != nil {
		t.Fatal(err)
	}
	var cookie string
	for _, c := range jar.Cookies(mustURL(t, base)) {
		cookie = c.Value
	}

	ws := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	jctx, jcancel := context.WithTimeout(ctx, 15*time.Second)
	defer jcancel()
	if _, err := client.Dial(jctx, ws, client.Hello{MeetingID: m.ID, Passcode: "wrong-passcode-x", Name: "Guest Hiddenname", NoticeVersion: 1}, client.Options{}); err == nil {
		t.Fatal("joined with a wrong passcode")
	}
	c, err := client.Dial(jctx, ws, client.Hello{MeetingID: m.ID, Passcode: m.Passcode, Name: "Guest Hiddenname", NoticeVersion: 1}, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	time.Sleep(200 * time.Millisecond)
	cancel()
	<-done

	// The joins are in the audit log, by subject ID only.
	r := cli(t, nil, "", "audit", "export", "--data", data, "--format", "json")
	for _, action := range []string{"meeting.join.refused", "meeting.join.allowed", "consent.given", "meeting.leave"} {
		if !strings.Contains(r.stdout, `"`+action+`"`) {
			t.Errorf("audit export lacks %s:\n%s", action, r.stdout)
		}
	}
	for _, name := range []string{"Hiddenname", "Secretname", m.Passcode, "wrong-passcode-x"} {
		if strings.Contains(r.stdout, name) {
			t.Errorf("audit log holds %q", name)
		}
	}
	if v := cli(t, nil, "", "audit", "verify", "--data", data); v.code != 0 {
		t.Errorf("audit verify after joins: %+v", v)
	}

	logs := logLines(errb.String())
	if !strings.Contains(logs, "participant joined") {
		t.Fatalf("debug log looks empty:\n%s", logs)
	}
	for what, secret := range map[string]string{
		"setup token": token, "password": testPassword, "passcode": m.Passcode, "wrong passcode": "wrong-passcode-x",
		"session cookie": cookie, "account name": "Secretname", "guest name": "Hiddenname", "e-mail": "ada@example.org",
	} {
		if secret != "" && strings.Contains(logs, secret) {
			t.Errorf("the %s appears in the logs", what)
		}
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
