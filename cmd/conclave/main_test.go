package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/auth"
	"github.com/conclave-meet/conclave/internal/meeting"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/store/sqlite"
	"github.com/conclave-meet/conclave/internal/testlog"
)

const testPassword = "correct horse battery"

type result struct {
	code           int
	stdout, stderr string
}

// cli runs one command in-process with only the given environment.
func cli(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb testlog.Buffer
	e := env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	code := run(context.Background(), args, e)
	return result{code, out.String(), errb.String()}
}

func addAdmin(t *testing.T, dir, email string) string {
	t.Helper()
	r := cli(t, map[string]string{"CONCLAVE_PASSWORD": testPassword}, "",
		"user", "add", "--data", dir, "--email", email, "--name", "Admin", "--role", "admin")
	if r.code != 0 {
		t.Fatalf("user add: %d %s", r.code, r.stderr)
	}
	return strings.TrimSpace(r.stdout)
}

func TestUserAddThenLogin(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	id := addAdmin(t, dir, "Ada@Example.org")
	if !regexp.MustCompile(`^u_[a-z2-7]{20}$`).MatchString(id) {
		t.Fatalf("printed id %q", id)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	accounts := auth.NewAccounts(st, auth.NewHasher(auth.DefaultParams, 1), nil)
	u, err := accounts.Login(context.Background(), "ada@example.org", testPassword)
	if err != nil || u.ID != id || u.Role != "admin" {
		t.Fatalf("login: %+v %v", u, err)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data dir mode: %v %v", fi.Mode(), err)
	}
}

func TestUserAddPasswordFromStdin(t *testing.T) {
	dir := t.TempDir()
	r := cli(t, nil, testPassword+"\n", "user", "add", "--data", dir, "--email", "m@example.org", "--name", "M")
	if r.code != 0 {
		t.Fatalf("stdin password: %d %s", r.code, r.stderr)
	}
	if strings.Contains(r.stdout+r.stderr, testPassword) {
		t.Fatal("password echoed")
	}
	st, _ := sqlite.Open(context.Background(), filepath.Join(dir, "conclave.db"))
	defer st.Close()
	u, err := st.UserByEmail(context.Background(), "m@example.org")
	if err != nil || u.Role != "member" {
		t.Fatalf("default role: %+v %v", u, err)
	}
}

// TestUserAddPrivacyOfficer: the role is stored and its creation audited.
func TestUserAddPrivacyOfficer(t *testing.T) {
	dir := t.TempDir()
	r := cli(t, map[string]string{"CONCLAVE_PASSWORD": testPassword}, "",
		"user", "add", "--data", dir, "--email", "dpo@example.org", "--name", "DPO", "--role", "privacy_officer")
	if r.code != 0 {
		t.Fatalf("user add: %d %s", r.code, r.stderr)
	}
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "conclave.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByEmail(context.Background(), "dpo@example.org")
	if err != nil || u.Role != store.RolePrivacyOfficer || u.ID != strings.TrimSpace(r.stdout) {
		t.Fatalf("stored %+v %v", u, err)
	}
	es, err := st.AuditEntries(context.Background(), store.AuditFilter{Action: "user.create"})
	if err != nil || len(es) != 1 || es[0].Target != u.ID || es[0].Details["role"] != "privacy_officer" {
		t.Fatalf("audit %+v %v", es, err)
	}
}

func TestUserAddErrors(t *testing.T) {
	dir := t.TempDir()
	addAdmin(t, dir, "a@example.org")
	pw := map[string]string{"CONCLAVE_PASSWORD": testPassword}
	cases := []struct {
		name  string
		vars  map[string]string
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"duplicate", pw, "", []string{"--email", "A@example.org", "--name", "x"}, 1, "already exists"},
		{"short password", map[string]string{"CONCLAVE_PASSWORD": "short"}, "", []string{"--email", "b@example.org", "--name", "x"}, 1, "at least 12"},
		{"no password", nil, "", []string{"--email", "b@example.org", "--name", "x"}, 1, "CONCLAVE_PASSWORD"},
		{"missing email", pw, "", []string{"--name", "x"}, 2, "--email and --name"},
		{"bad role", pw, "", []string{"--email", "b@example.org", "--name", "x", "--role", "root"}, 2, "--role"},
		{"bad email", pw, "", []string{"--email", "nope", "--name", "x"}, 1, "e-mail address is not valid"},
		{"unknown flag", pw, "", []string{"--bogus"}, 2, "bogus"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := cli(t, tc.vars, tc.stdin, append([]string{"user", "add", "--data", dir}, tc.args...)...)
			if r.code != tc.code || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("code %d stderr %q; want %d and %q", r.code, r.stderr, tc.code, tc.want)
			}
		})
	}
}

func TestMeetingCreateJSON(t *testing.T) {
	dir := t.TempDir()
	addAdmin(t, dir, "admin@example.org")
	r := cli(t, nil, "", "meeting", "create", "--data", dir, "--title", "Weekly", "--json")
	if r.code != 0 {
		t.Fatalf("meeting create: %d %s", r.code, r.stderr)
	}
	var out meetingOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("output %q: %v", r.stdout, err)
	}
	if id, err := meeting.NormalizeID(out.ID); err != nil || id != out.ID {
		t.Fatalf("id %q: %v", out.ID, err)
	}
	if !regexp.MustCompile(`^[0-9a-hjkmnp-tv-z]{12}$`).MatchString(out.Passcode) {
		t.Fatalf("passcode %q", out.Passcode)
	}
	if want := "http://localhost:8080/m/" + out.ID + "#pwd=" + out.Passcode; out.JoinURL != want {
		t.Fatalf("join_url %q, want %q", out.JoinURL, want)
	}
	if out.Title != "Weekly" || out.Host != "admin@example.org" {
		t.Fatalf("output %+v", out)
	}
	// The meeting is stored and the passcode admits.
	st, _ := sqlite.Open(context.Background(), filepath.Join(dir, "conclave.db"))
	defer st.Close()
	svc := &meeting.Service{Store: st}
	if _, err := svc.Authorize(context.Background(), out.ID, out.Passcode); err != nil {
		t.Fatalf("authorize created meeting: %v", err)
	}
}

func TestMeetingCreateHostAndPublicURL(t *testing.T) {
	dir := t.TempDir()
	addAdmin(t, dir, "admin@example.org")
	pw := map[string]string{"CONCLAVE_PASSWORD": testPassword, "CONCLAVE_PUBLIC_URL": "https://env.example.org"}
	if r := cli(t, pw, "", "user", "add", "--data", dir, "--email", "m@example.org", "--name", "M"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	r := cli(t, pw, "", "meeting", "create", "--data", dir, "--host", "M@example.org", "--json")
	var out meetingOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Host != "m@example.org" || out.Title != "Meeting" {
		t.Fatalf("host: %+v %v %s", out, err, r.stderr)
	}
	if !strings.HasPrefix(out.JoinURL, "https://env.example.org/m/") {
		t.Fatalf("env public URL ignored: %s", out.JoinURL)
	}
	r = cli(t, pw, "", "meeting", "create", "--data", dir, "--public-url", "https://flag.example.org", "--json")
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || !strings.HasPrefix(out.JoinURL, "https://flag.example.org/m/") {
		t.Fatalf("flag public URL: %+v %v", out, err)
	}
	r = cli(t, nil, "", "meeting", "create", "--data", dir)
	if r.code != 0 || !strings.Contains(r.stdout, "Join URL: http://localhost:8080/m/") {
		t.Fatalf("text output: %d %q", r.code, r.stdout)
	}
}

func TestMeetingCreateErrors(t *testing.T) {
	empty := t.TempDir()
	if r := cli(t, nil, "", "meeting", "create", "--data", empty); r.code != 1 || !strings.Contains(r.stderr, "no admin account") {
		t.Fatalf("no admin: %d %s", r.code, r.stderr)
	}
	dir := t.TempDir()
	addAdmin(t, dir, "admin@example.org")
	cases := map[string][]string{
		"unknown host": {"--host", "ghost@example.org"},
		"long title":   {"--title", strings.Repeat("x", 121)},
		"bad url":      {"--public-url", "ftp://x"},
	}
	for name, args := range cases {
		r := cli(t, nil, "", append([]string{"meeting", "create", "--data", dir}, args...)...)
		if r.code == 0 {
			t.Errorf("%s: succeeded", name)
		}
	}
}

func TestDispatch(t *testing.T) {
	if r := cli(t, nil, "", "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "conclave ") {
		t.Fatalf("version: %+v", r)
	}
	if r := cli(t, nil, "", "help"); r.code != 0 || !strings.Contains(r.stdout, "meeting create") {
		t.Fatalf("help: %+v", r)
	}
	for _, args := range [][]string{{}, {"bogus"}, {"user"}, {"user", "delete"}, {"meeting"}} {
		if r := cli(t, nil, "", args...); r.code != 2 || !strings.Contains(r.stderr, "Usage:") {
			t.Errorf("%q: %+v", args, r)
		}
	}
	if r := cli(t, nil, "", "serve", "--help"); r.code != 0 || !strings.Contains(r.stdout, "-media-port") {
		t.Fatalf("serve --help: %+v", r)
	}
	if r := cli(t, nil, "", "serve", "--listen", "0.0.0.0:8080", "--data", t.TempDir()); r.code != 1 || !strings.Contains(r.stderr, "HTTPS") {
		t.Fatalf("insecure serve: %+v", r)
	}
}

// TestServe runs the real server in-process on 127.0.0.1, completes setup
// through the printed link and shuts it down with the context.
func TestServe(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // created private, so no warning
	var out, errb testlog.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--data", dir, "--turn-port", "0", "--media-port", "0"}, e)
	}()

	base := waitFor(t, &out, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`))
	token := waitFor(t, &errb, regexp.MustCompile(`/setup#token=([A-Za-z0-9_-]{43})`))

	resp, err := http.Get(base + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	body := `{"token":"` + token + `","email":"a@example.org","name":"Ada","password":"` + testPassword + `"}`
	resp, err = http.Post(base+"/api/setup", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("setup via printed link: %v %v", resp, err)
	}
	resp.Body.Close()
	if strings.Contains(errb.String(), "level=") && strings.Contains(logLines(errb.String()), token) {
		t.Fatal("setup token reached the structured log")
	}

	cancel()
	awaitExit(t, done, &errb)
	if !strings.Contains(errb.String(), "shutting down") {
		t.Fatalf("no shutdown log: %s", errb.String())
	}
	// A clean start and stop leaves nothing for an operator to chase (the
	// media socket's closing was once logged as a warning).
	for _, l := range strings.Split(logLines(errb.String()), "\n") {
		if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
			t.Errorf("clean run logged %s", l)
		}
	}
	// The server logged the audit head at start; setup and the retention
	// sweep the server runs at start are on record.
	if !strings.Contains(errb.String(), `msg="audit log" entries=0`) {
		t.Fatalf("no audit head log: %s", errb.String())
	}
	if r := cli(t, nil, "", "audit", "verify", "--data", dir); r.code != 0 || !strings.Contains(r.stdout, "intact: 2 entries") {
		t.Fatalf("audit after serve: %+v", r)
	}
}

// logLines keeps only slog text lines.
func logLines(s string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "time=") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// awaitExit waits for a serve the test cancelled to exit cleanly.
func awaitExit(t *testing.T, done <-chan int, log *testlog.Buffer) {
	t.Helper()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, log.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not shut down")
	}
}

func waitFor(t *testing.T, buf *testlog.Buffer, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(buf.String()); m != nil {
			return m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no match for %s in %q", re, buf.String())
	return ""
}
