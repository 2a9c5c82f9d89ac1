package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/pgtest"
	"github.com/conclave-meet/conclave/internal/testlog"
)

// TestMain stops the PostgreSQL server the PostgreSQL tests start (on
// first use; tests that need none start none).
func TestMain(m *testing.M) { pgtest.Main(m) }

// pgPassword is put in the store URL to show it never reaches output: the
// test server trusts local connections and never asks for it.
const pgPassword = "pg-s3cret-never-shown"

// pgURL turns pgtest's key=value connection string into the postgres://
// URL the store setting takes, with a password the server does not ask
// for.
func pgURL(t *testing.T, dsn string) string {
	t.Helper()
	return pgtest.URL(t, dsn, pgPassword)
}

// TestServeOnPostgres: serve runs on PostgreSQL end to end. The setup
// link creates the first administrator; an account the CLI adds to the
// same database signs in over HTTP and creates a meeting, which is listed
// with one the CLI created; the audit log verifies through the API and
// the CLI; readiness probes the database; the keys and privacy commands
// work on it; no SQLite file appears and the password is never printed.
func TestServeOnPostgres(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	key := make([]byte, 32)
	rand.Read(key)
	vars := map[string]string{
		"CONCLAVE_STORE":      pgURL(t, pgtest.New(t)),
		"CONCLAVE_MASTER_KEY": base64.StdEncoding.EncodeToString(key),
		"CONCLAVE_PASSWORD":   testPassword,
	}
	var out, errb testlog.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(k string) string { return vars[k] }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--data", dir, "--turn-port", "0", "--media-port", "0",
			"--mfa-roles", "none"}, e)
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			awaitExit(t, done, &errb)
		}
	}
	defer stop() // before pgtest drops the database
	base := waitMatch(t, &out, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`))
	token := waitMatch(t, &errb, regexp.MustCompile(`/setup#token=([A-Za-z0-9_-]{43})`))

	admin := jarClient(t)
	post(t, admin, base+"/api/setup", `{"token":"`+token+`","email":"admin@example.org","name":"Admin","password":"`+testPassword+`"}`, http.StatusCreated)

	cliRun := func(args ...string) result {
		t.Helper()
		r := cli(t, vars, "", append(args[:2:2], append([]string{"--data", dir}, args[2:]...)...)...)
		if r.code != 0 {
			t.Fatalf("%s: %d %s", strings.Join(args, " "), r.code, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, pgPassword) {
			t.Fatalf("%s printed the database password", strings.Join(args, " "))
		}
		return r
	}
	cliRun("user", "add", "--email", "member@example.org", "--name", "Member")
	member := jarClient(t)
	post(t, member, base+"/api/login", `{"email":"member@example.org","password":"`+testPassword+`"}`, http.StatusOK)
	web := post(t, member, base+"/api/meetings", `{"title":"Quarterly planning"}`, http.StatusCreated)
	webID := regexp.MustCompile(`"id":"([^"]+)"`).FindSubmatch(web)[1]
	created := cliRun("meeting", "create", "--host", "member@example.org", "--title", "Made at the shell", "--json")
	var cliMeeting meetingOutput
	if err := json.Unmarshal([]byte(created.stdout), &cliMeeting); err != nil {
		t.Fatalf("meeting create --json: %v %q", err, created.stdout)
	}
	listed := get(t, member, base+"/api/meetings")
	for _, want := range []string{string(webID), cliMeeting.ID, "Quarterly planning", "Made at the shell"} {
		if !strings.Contains(listed, want) {
			t.Errorf("meetings list lacks %q: %s", want, listed)
		}
	}

	auditJSON := get(t, admin, base+"/api/audit")
	for _, action := range []string{"user.create", "meeting.create", "auth.login.success"} {
		if !strings.Contains(auditJSON, `"`+action+`"`) {
			t.Errorf("audit API lacks %s: %.500s", action, auditJSON)
		}
	}
	if v := cliRun("audit", "verify"); !strings.Contains(v.stdout, "audit log intact") {
		t.Fatalf("audit verify: %s", v.stdout)
	}
	get(t, http.DefaultClient, base+"/readyz") // the write probe reaches PostgreSQL
	stop()
	if k := cliRun("keys", "status"); !strings.Contains(k.stdout, "(current)") {
		t.Errorf("keys status: %s", k.stdout)
	}
	if r := cliRun("privacy", "report"); !strings.Contains(r.stdout, "PostgreSQL server") {
		t.Errorf("privacy report does not say the data is in PostgreSQL:\n%s", r.stdout)
	}
	if v := cliRun("audit", "verify"); !strings.Contains(v.stdout, "audit log intact") {
		t.Fatalf("audit verify after stop: %s", v.stdout)
	}

	if _, err := os.Stat(filepath.Join(dir, "conclave.db")); !os.IsNotExist(err) {
		t.Errorf("a SQLite database appeared in the data directory: %v", err)
	}
	if strings.Contains(out.String()+errb.String(), pgPassword) {
		t.Error("serve printed the database password")
	}
	if !strings.Contains(errb.String(), "backend=postgres") {
		t.Errorf("serve did not log its backend: %.2000s", errb.String())
	}
}

// TestStoreErrorsHideThePassword: a database that cannot be reached is
// named in the error, without its password.
func TestStoreErrorsHideThePassword(t *testing.T) {
	dir := t.TempDir()
	bad := "postgres://conclave:" + pgPassword + "@127.0.0.1:1/conclave?connect_timeout=5"
	r := cli(t, map[string]string{"CONCLAVE_STORE": bad, "CONCLAVE_PASSWORD": testPassword}, "",
		"user", "add", "--data", dir, "--email", "a@example.org", "--name", "A")
	if r.code == 0 || !strings.Contains(r.stderr, "127.0.0.1") || strings.Contains(r.stdout+r.stderr, pgPassword) {
		t.Fatalf("user add on an unreachable database: %d %q", r.code, r.stderr)
	}
	r = cli(t, map[string]string{"CONCLAVE_STORE": "mysql://conclave:" + pgPassword + "@db/conclave"}, "",
		"serve", "--data", dir)
	if r.code == 0 || !strings.Contains(r.stderr, "store") || strings.Contains(r.stdout+r.stderr, pgPassword) {
		t.Fatalf("serve with a foreign URL: %d %q", r.code, r.stderr)
	}
}

// waitMatch waits for re to match what buf holds and returns its first
// group.
func waitMatch(t *testing.T, buf *testlog.Buffer, re *regexp.Regexp) string {
	t.Helper()
	var m []string
	eventually.True(t, "output matching "+re.String(), func() bool {
		m = re.FindStringSubmatch(buf.String())
		return m != nil
	})
	return m[1]
}

func get(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}
