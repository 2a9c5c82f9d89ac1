package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/pgtest"
)

// testCluster is nodes of one cluster, in this process, on one database.
type testCluster struct {
	dsn   string
	vars  map[string]string
	nodes []servedNode
	admin *http.Client
}

// startTestCluster runs n clustered nodes on a fresh database, the
// first set up with an administrator signed in as c.admin.
func startTestCluster(t *testing.T, n int) *testCluster {
	t.Helper()
	dsn := pgtest.New(t)
	c := &testCluster{dsn: dsn, vars: clusterVars(t, pgURL(t, dsn))}
	c.nodes = append(c.nodes, startServedNode(t, c.vars))
	c.admin = setUpAdmin(t, c.nodes[0])
	for range n - 1 {
		c.nodes = append(c.nodes, startServedNode(t, c.vars))
	}
	return c
}

// clusterVars are the settings every node of a test cluster shares: the
// store, the master key, the audit key file and a node URL on the port
// the node binds.
func clusterVars(t *testing.T, store string) map[string]string {
	t.Helper()
	master := make([]byte, 32)
	rand.Read(master)
	audit := make([]byte, 32)
	rand.Read(audit)
	keyFile := filepath.Join(t.TempDir(), "audit.key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(audit)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return map[string]string{
		"CONCLAVE_STORE":          store,
		"CONCLAVE_MASTER_KEY":     base64.StdEncoding.EncodeToString(master),
		"CONCLAVE_PASSWORD":       testPassword,
		"CONCLAVE_AUDIT_KEY_FILE": keyFile,
		"CONCLAVE_NODE_URL":       "http://127.0.0.1:0",
	}
}

func setUpAdmin(t *testing.T, n servedNode) *http.Client {
	t.Helper()
	token := waitMatch(t, n.errb, regexp.MustCompile(`/setup#token=([A-Za-z0-9_-]{43})`))
	admin := jarClient(t)
	post(t, admin, n.base+"/api/setup", `{"token":"`+token+`","email":"admin@example.org","name":"Admin","password":"`+testPassword+`"}`, http.StatusCreated)
	return admin
}

type openMeeting struct{ ID, Passcode string }

// meeting creates a meeting anyone with the passcode joins at once.
func (c *testCluster) meeting(t *testing.T, title string) openMeeting {
	t.Helper()
	var m openMeeting
	body := `{"title":"` + title + `","waiting_room":false,"join_before_host":true}`
	if err := json.Unmarshal(post(t, c.admin, c.nodes[0].base+"/api/meetings", body, http.StatusCreated), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// holder is the node URL the database names for the meeting's lease.
func (c *testCluster) holder(t *testing.T, meetingID string) string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var url string
	err = conn.QueryRow(context.Background(), `SELECT n.url FROM meeting_leases m JOIN cluster_nodes n ON n.id = m.node_id
		WHERE m.meeting_id = $1 AND m.expires_at > now()`, meetingID).Scan(&url)
	if err != nil {
		t.Fatalf("lease of %s: %v", meetingID, err)
	}
	return url
}

// participants is what node URL's heartbeat last said it carries.
func (c *testCluster) participants(t *testing.T, url string) int {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), c.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(context.Background(), `SELECT participants FROM cluster_nodes WHERE url = $1`, url).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func wsOf(base string) string { return "ws" + strings.TrimPrefix(base, "http") + "/ws" }

func join(t *testing.T, base string, m openMeeting, name string) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, wsOf(base), client.Hello{MeetingID: m.ID, Passcode: m.Passcode, Name: name, NoticeVersion: 1}, client.Options{})
	if err != nil {
		t.Fatalf("%s joining through %s: %v", name, base, err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestMeetingRunsOnOneNode: whichever node a participant reaches, they
// land in the one live copy of the meeting, on the node its lease names;
// the others are sent there (redirect, then the socket passed on). New
// meetings go to the least loaded node.
func TestMeetingRunsOnOneNode(t *testing.T) {
	c := startTestCluster(t, 3)
	m := c.meeting(t, "Board")
	ada := join(t, c.nodes[0].base, m, "Ada")
	home := c.holder(t, m.ID)
	for i, n := range c.nodes {
		if n.base == home {
			continue
		}
		p := join(t, n.base, m, "Guest "+string(rune('A'+i)))
		if !hasParticipant(p.Welcome.Participants, ada.ID()) {
			t.Fatalf("joined through %s: a meeting without Ada (%+v); the meeting runs on %s", n.base, p.Welcome.Participants, home)
		}
	}
	// Spread by load: once the heartbeat reports the first meeting's
	// three participants, a second meeting goes to another node.
	eventually.True(t, "the holder's heartbeat counts its participants", func() bool { return c.participants(t, home) == 3 })
	second := c.meeting(t, "Second")
	join(t, c.nodes[0].base, second, "Bea")
	if other := c.holder(t, second.ID); other == home {
		t.Fatalf("the second meeting went to the loaded node %s too", home)
	}
}

func hasParticipant(ps []client.Participant, id string) bool {
	for _, p := range ps {
		if p.ID == id {
			return true
		}
	}
	return false
}
