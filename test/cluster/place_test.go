package cluster_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/eventually"
)

// participants is what the node at url said it carries in its last
// heartbeat.
func (c *cluster) participants(url string) int {
	conn, err := pgx.Connect(context.Background(), c.dsn)
	if err != nil {
		c.t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var n int
	_ = conn.QueryRow(context.Background(), `SELECT participants FROM cluster_nodes WHERE url = $1`, url).Scan(&n)
	return n
}

// TestMeetingsSpreadByLoad: three meetings whose first participants all
// arrive through the same node run on three different nodes, each placed
// on the least loaded one as the heartbeats report; a participant who
// reaches a node that does not run their meeting lands in it all the
// same.
func TestMeetingsSpreadByLoad(t *testing.T) {
	c := newCluster(t)
	nodes := []*node{c.start()}
	c.setUp(nodes[0])
	nodes = append(nodes, c.start(), c.start())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	used := map[string]bool{}
	for i, title := range []string{"Ward round", "Board", "Clinic"} {
		m := c.meeting(nodes[0].base, title)
		host := &person{name: "Host " + title}
		if err := host.join(ctx, nodes[0].base, m); err != nil {
			t.Fatalf("%s: %v", title, err)
		}
		t.Cleanup(host.leave)
		home := c.holder(m.ID)
		if used[home] {
			t.Fatalf("meeting %d went to %s, which already runs one while others run none", i, home)
		}
		used[home] = true
		// Everyone else arrives through the other nodes, and meets the
		// host in the one live copy of the meeting.
		for j, n := range nodes {
			if n.base == home {
				continue
			}
			guest := &person{name: "Guest " + title + string(rune('A'+j))}
			if err := guest.join(ctx, n.base, m); err != nil {
				t.Fatalf("%s through %s: %v", guest.name, n.base, err)
			}
			t.Cleanup(guest.leave)
			if !hasID(guest.client().Welcome.Participants, host.id()) {
				t.Fatalf("%s reached %s and landed in a meeting without its host (it runs on %s)", guest.name, n.base, home)
			}
		}
		eventually.True(t, "the heartbeat of "+home+" counting the meeting", func() bool { return c.participants(home) == 3 })
	}
}

func hasID(ps []client.Participant, id string) bool {
	for _, p := range ps {
		if p.ID == id {
			return true
		}
	}
	return false
}

// TestDeletingAMeetingEndsItOnItsNode: an administrator who deletes a
// live meeting through a node that does not run it ends it all the same:
// the action travels to the meeting's node, and its participants are told
// the meeting ended.
func TestDeletingAMeetingEndsItOnItsNode(t *testing.T) {
	c := newCluster(t)
	nodes := []*node{c.start()}
	c.setUp(nodes[0])
	nodes = append(nodes, c.start())
	m := c.meeting(nodes[0].base, "Ward round")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := &person{name: "Ada"}
	if err := p.join(ctx, nodes[0].base, m); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.leave)
	other := nodes[0]
	if home := c.holder(m.ID); home == other.base {
		other = nodes[1]
	}
	req, _ := http.NewRequest(http.MethodDelete, other.base+"/api/meetings/"+m.ID, nil)
	// The admin's cookie was issued by node 0; every node accepts it.
	req.Header.Set("Origin", other.base)
	for _, ck := range c.admin.Jar.Cookies(mustURL(t, nodes[0].base)) {
		req.AddCookie(ck)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("DELETE through %s: %d", other.base, resp.StatusCode)
	}
	select {
	case <-p.client().Done():
	case <-ctx.Done():
		t.Fatal("the participant is still in the deleted meeting")
	}
	if got, _ := p.bye.Load().(string); got != "meeting_ended" {
		t.Fatalf("bye %q, want meeting_ended", got)
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
