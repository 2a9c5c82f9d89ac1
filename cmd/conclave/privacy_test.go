package main

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/config"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testlog"
)

// The person to erase, with strings distinctive enough that finding any of
// them in a file can only mean their data survived.
const (
	eraseName    = "Zebediah Quuxworth"
	eraseEmail   = "zebediah.quuxworth@example.org"
	eraseTitle   = "Quuxworth budget review"
	eraseAddress = "198.51.100.77"
	eraseChat    = "Quuxworth's secret plan for the merger"
)

// runningServer runs serve on dir until stop is called.
type runningServer struct {
	base, token string
	stop        func()
}

func startServe(t *testing.T, dir string) runningServer {
	t.Helper()
	var out, errb testlog.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	e := env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", "127.0.0.1:0", "--data", dir, "--turn-port", "0", "--media-port", "0",
			"--mfa-roles", "none"}, e) // the setup admin signs in with a password alone
	}()
	s := runningServer{base: waitFor(t, &out, regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`))}
	s.token = waitFor(t, &errb, regexp.MustCompile(`/setup#token=([A-Za-z0-9_-]{43})`))
	s.stop = func() {
		cancel()
		awaitExit(t, done, &errb)
	}
	return s
}

func jarClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

func post(t *testing.T, c *http.Client, url, body string, want int) []byte {
	t.Helper()
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s: %d %s", url, resp.StatusCode, b)
	}
	return b
}

// personLeavesTraces gives the person an account, a session, a meeting
// they host, a join with their client address and a ban, the way the
// server records them, and returns their account ID.
func personLeavesTraces(t *testing.T, dir string) string {
	t.Helper()
	srv := startServe(t, dir)
	admin := jarClient(t)
	post(t, admin, srv.base+"/api/setup", `{"token":"`+srv.token+`","email":"admin@example.org","name":"Admin","password":"`+testPassword+`"}`, http.StatusCreated)
	r := cli(t, map[string]string{"CONCLAVE_PASSWORD": testPassword}, "",
		"user", "add", "--data", dir, "--email", eraseEmail, "--name", eraseName)
	if r.code != 0 {
		t.Fatalf("user add: %s", r.stderr)
	}
	id := strings.TrimSpace(r.stdout)
	person := jarClient(t)
	post(t, person, srv.base+"/api/login", `{"email":"`+eraseEmail+`","password":"`+testPassword+`"}`, http.StatusOK)
	meeting := post(t, person, srv.base+"/api/meetings", `{"title":"`+eraseTitle+`"}`, http.StatusCreated)
	meetingID := regexp.MustCompile(`"id":"([^"]+)"`).FindSubmatch(meeting)[1]
	other := post(t, admin, srv.base+"/api/meetings", `{"title":"All hands"}`, http.StatusCreated)
	otherID := string(regexp.MustCompile(`"id":"([^"]+)"`).FindSubmatch(other)[1])
	srv.stop()

	// The signalling server records a signed-in join as the account
	// (actor) joining as a participant (target), from the client's
	// address; a host's ban is a meeting_bans row naming the account.
	ctx := context.Background()
	st, err := openKeyedStore(ctx, loadCfg(t, dir), env{getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log, err := openAuditLog(st, loadCfg(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range []audit.Event{
		{Action: audit.MeetingJoinAllowed, Actor: id, Target: "p_quux", Meeting: string(meetingID), ClientAddr: eraseAddress},
		{Action: audit.MeetingBan, Target: "p_quux", Meeting: string(meetingID)},
	} {
		ev.Outcome = audit.Success
		if _, err := log.Append(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.AddMeetingBan(ctx, string(meetingID), store.BanUser, id, time.Now()); err != nil {
		t.Fatal(err)
	}
	// In a meeting someone else hosts, they chat to everyone under their
	// name, and a guest writes to them privately (that message stays
	// with the guest after erasure).
	for _, m := range []store.ChatMessage{
		{ID: "c_quux1", SenderID: "p_quux", SenderUser: id, SenderName: eraseName, Text: eraseChat},
		{ID: "c_quux2", SenderID: "p_guest", SenderName: "Guest", Text: "a note for you",
			To: []store.ChatRecipient{{ParticipantID: "p_quux", UserID: id}}},
	} {
		m.MeetingID, m.CreatedAt = otherID, time.Now()
		if err := st.AddChatMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

func loadCfg(t *testing.T, dir string) config.Config {
	t.Helper()
	cf := cliFlags{data: dir}
	cfg, err := cf.load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestPrivacyExportCLI(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	id := personLeavesTraces(t, dir)
	out := filepath.Join(t.TempDir(), "export.zip")
	if r := cli(t, nil, "", "privacy", "export", "--data", dir, "--email", eraseEmail, "--out", out); r.code != 0 {
		t.Fatalf("export: %+v", r)
	}
	data := exportedData(t, out)
	for _, want := range []string{id, eraseName, eraseEmail, eraseTitle, eraseAddress, eraseChat, "a note for you", `"session"`, `"ban"`, `"chat_message"`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("data.json lacks %s", want)
		}
	}
	if r := cli(t, nil, "", "privacy", "export", "--data", dir, "--subject", id, "--out", out); r.code == 0 {
		t.Fatal("an existing file must not be overwritten")
	}
	if r := cli(t, nil, "", "privacy", "export", "--data", dir, "--out", out); r.code != 2 {
		t.Fatalf("no subject: %+v", r)
	}
}

// exportedData returns data.json from the archive at path.
func exportedData(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.Open("data.json")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestErasureLeavesNothingReadable erases a person and then reads every
// file in the data directory (database, WAL, keys, everything) for their
// name, e-mail, meeting title and client address.
func TestErasureLeavesNothingReadable(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	id := personLeavesTraces(t, dir)
	if r := cli(t, nil, "", "privacy", "erase", "--data", dir, "--email", eraseEmail); r.code != 2 {
		t.Fatalf("erase without --yes: %+v", r)
	}
	r := cli(t, nil, "", "privacy", "erase", "--data", dir, "--email", eraseEmail, "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, `"complete": true`) {
		t.Fatalf("erase: %+v", r)
	}
	if r := cli(t, nil, "", "audit", "verify", "--data", dir); r.code != 0 {
		t.Fatalf("chain after erasure: %+v", r)
	}
	needles := []string{eraseName, eraseEmail, eraseTitle, eraseAddress, eraseChat}
	scanDataDir(t, dir, needles...)
	// Encrypted fields are not plain text in the files even before
	// erasure; what shows they are gone is that the server itself, which
	// holds the keys, can no longer read them.
	out := filepath.Join(t.TempDir(), "after.zip")
	if r := cli(t, nil, "", "privacy", "export", "--data", dir, "--subject", id, "--out", out); r.code != 0 {
		t.Fatalf("export after erasure: %+v", r)
	}
	data := exportedData(t, out)
	for _, n := range needles {
		if bytes.Contains(data, []byte(n)) {
			t.Errorf("the server can still read %q after erasure", n)
		}
	}
	if r := cli(t, nil, "", "privacy", "export", "--data", dir, "--email", eraseEmail, "--out", out+"2"); r.code == 0 {
		t.Fatal("the e-mail address still finds the account")
	}
	// What stays is the meaningless ID, in the audit log.
	if r := cli(t, nil, "", "audit", "export", "--data", dir, "--format", "json"); !strings.Contains(r.stdout, id) {
		t.Fatalf("audit entries should keep the subject ID: %+v", r.code)
	}
}

func scanDataDir(t *testing.T, dir string, needles ...string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, n := range needles {
			for _, form := range [][]byte{[]byte(n), utf16le(n)} {
				if bytes.Contains(b, form) {
					t.Errorf("%s still contains %q", filepath.Base(path), n)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// utf16le catches text a component might have stored as UTF-16.
func utf16le(s string) []byte {
	out := make([]byte, 0, 2*len(s))
	for _, c := range []byte(s) {
		out = append(out, c, 0)
	}
	return out
}
