package browser

import (
	"context"
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/clustertest"
	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/pgtest"
)

// TestClusterRedirectAndMove: two nodes on one PostgreSQL. The pages are
// served by node X, which already runs another meeting, so the browsers'
// meeting is placed on the idle node Y: the first hello is answered with
// redirect and the page follows it (through X, which passes the socket
// on to Y). Then Y stops for an upgrade: both people are told the meeting
// moved, their pages join again on their own, and they are back in one
// call on X, seeing each other, without touching anything.
func TestClusterRedirectAndMove(t *testing.T) {
	dsn := pgtest.New(t)
	shareClusterSettings(t, dsn)
	data := t.TempDir()
	cli(t, data, "user", "add", "--data", data, "--email", hostEmail, "--name", hostName, "--role", "admin")
	meetingOf := func(title string) (id, passcode string) {
		var m struct{ ID, Passcode string }
		out := cli(t, data, "meeting", "create", "--data", data, "--title", title, "--json", "--no-waiting-room", "--join-before-host")
		if err := json.Unmarshal([]byte(out), &m); err != nil {
			t.Fatal(err)
		}
		return m.ID, m.Passcode
	}
	callID, callPass := meetingOf("Browser cluster test")
	otherID, otherPass := meetingOf("Other meeting")
	pid1, base1 := serveData(t, t.TempDir())
	pid2, base2 := serveData(t, t.TempDir())
	pids := map[string]int{base1: pid1, base2: pid2}

	// Another meeting loads one node: X.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	other, err := client.Dial(ctx, "ws"+strings.TrimPrefix(base1, "http")+"/ws",
		client.Hello{MeetingID: otherID, Passcode: otherPass, Name: "Other", NoticeVersion: 1}, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	x := holderOf(t, dsn, otherID)
	y := base1
	if x == base1 {
		y = base2
	}
	eventually.True(t, "X's heartbeat counting its participant", func() bool { return nodeParticipants(t, dsn, x) == 1 })

	srv := &server{base: x, meetingID: callID, passcode: callPass, meetingURL: x + "/m/" + callID + "#pwd=" + callPass}
	browser := newBrowser(t)
	ada := join(t, browser, srv, "Ada", devices{camera: true, mic: true})
	bea := join(t, browser, srv, "Bea", devices{camera: true, mic: true})
	if got := holderOf(t, dsn, callID); got != y {
		t.Fatalf("the meeting runs on %s, want the idle node %s", got, y)
	}
	first := map[*person]string{}
	for _, p := range []*person{ada, bea} {
		p.waitFor("the other in the call", `window.conclave.state().others.length === 1`, 15*time.Second)
		first[p] = eval[string](p, `window.conclave.state().selfId`)
	}

	if err := syscall.Kill(pids[y], syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// A new participant ID: each page joined again (a resume would have
	// kept it, and cannot reach a node that stopped).
	for _, p := range []*person{ada, bea} {
		p.waitFor("back in the call on the other node", `(() => { const s = window.conclave.state();
			return s.status === "joined" && s.others.length === 1 && s.selfId !== null && s.selfId !== `+jsString(first[p])+` })()`, 30*time.Second)
	}
	if got := holderOf(t, dsn, callID); got != x {
		t.Fatalf("after the stop the meeting runs on %q, want %s", got, x)
	}
	for _, p := range []*person{ada, bea} {
		p.waitFor("the other's camera playing", `window.conclave.state().tiles.some(t => !t.self && t.source === "camera" && t.videoWidth > 0)`, 20*time.Second)
	}
}

// shareClusterSettings gives every process this test starts the settings
// a cluster's nodes share (through the environment, which the CLI and the
// servers inherit): the database, the master key, the audit key file, the
// shared content directory and a node URL on the port each node binds.
func shareClusterSettings(t *testing.T, dsn string) {
	t.Helper()
	for k, v := range clustertest.Env(t, dsn) {
		t.Setenv(k, v)
	}
	t.Setenv("CONCLAVE_TURN_PORT", "0") // the servers run without TURN, as every browser test
}

func queryOne[T any](t *testing.T, dsn, sql string, args ...any) T {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var v T
	_ = conn.QueryRow(context.Background(), sql, args...).Scan(&v)
	return v
}

// holderOf is the node URL of the meeting's live lease ("" when none).
func holderOf(t *testing.T, dsn, meetingID string) string {
	return queryOne[string](t, dsn, `SELECT n.url FROM meeting_leases m JOIN cluster_nodes n ON n.id = m.node_id
		WHERE m.meeting_id = $1 AND m.expires_at > now()`, meetingID)
}

func nodeParticipants(t *testing.T, dsn, url string) int {
	return queryOne[int](t, dsn, `SELECT participants FROM cluster_nodes WHERE url = $1`, url)
}
