package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/conclave-meet/conclave/internal/client"
	"github.com/conclave-meet/conclave/internal/eventually"
)

// person is a participant who keeps coming back: their client, what they
// receive, and the chat history the meeting gave them.
type person struct {
	name     string
	mu       sync.Mutex
	c        *client.Client
	received map[string]*atomic.Int64 // owner participant → packets
	history  []string                 // chat texts in chat_history
	chats    atomic.Int64             // chat messages delivered (own echo included)
	bye      atomic.Value             // the reason of the last bye (string)
	stop     context.CancelFunc
}

func (p *person) onTrack(owner, _ string, tr *webrtc.TrackRemote) {
	p.mu.Lock()
	n := p.received[owner]
	if n == nil {
		n = &atomic.Int64{}
		p.received[owner] = n
	}
	p.mu.Unlock()
	go func() {
		for {
			if _, _, err := tr.ReadRTP(); err != nil {
				return
			}
			n.Add(1)
		}
	}()
}

func (p *person) onMessage(typ string, data json.RawMessage) {
	if typ == "chat" {
		p.chats.Add(1)
	}
	if typ == "bye" {
		var b struct{ Reason string }
		_ = json.Unmarshal(data, &b)
		p.bye.Store(b.Reason)
	}
	if typ != "chat_history" {
		return
	}
	var h struct {
		Messages []struct{ Text string } `json:"messages"`
	}
	_ = json.Unmarshal(data, &h)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range h.Messages {
		p.history = append(p.history, m.Text)
	}
}

// join dials through base, once; the person then publishes media.
func (p *person) join(ctx context.Context, base string, m meeting) error {
	p.mu.Lock()
	p.received, p.history = map[string]*atomic.Int64{}, nil
	p.mu.Unlock()
	c, err := client.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/ws",
		client.Hello{MeetingID: m.ID, Passcode: m.Passcode, Name: p.name, NoticeVersion: 1},
		client.Options{OnTrack: p.onTrack, OnMessage: p.onMessage})
	if err != nil {
		return err
	}
	pctx, stop := context.WithCancel(context.Background())
	go c.Pump(pctx, client.PumpOptions{VideoPacketsPerSecond: 50})
	p.mu.Lock()
	p.c, p.stop = c, stop
	p.mu.Unlock()
	return nil
}

func (p *person) leave() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.c != nil {
		p.stop()
		p.c.Close()
	}
}

// hears reports whether the person receives media from every other.
func (p *person) hears(others []*person) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, o := range others {
		if o == p {
			continue
		}
		n := p.received[o.id()]
		if n == nil || n.Load() < 20 {
			return false
		}
	}
	return true
}

func (p *person) id() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.c.ID()
}

func (p *person) client() *client.Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.c
}

func (p *person) heard(text string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, h := range p.history {
		if h == text {
			return true
		}
	}
	return false
}

// ward is a meeting of three people who joined through three different
// nodes, see and hear each other, and have one chat message on record.
type ward struct {
	c         *cluster
	m         meeting
	people    []*person
	home      *node   // the node that runs the meeting
	survivors []*node // the others
}

const said = "the chart is on the shared drive"

func newWard(t *testing.T, ctx context.Context) *ward {
	c := newCluster(t)
	nodes := []*node{c.start()}
	c.setUp(nodes[0])
	nodes = append(nodes, c.start(), c.start())
	w := &ward{c: c, m: c.meeting(nodes[0].base, "Ward round"), people: []*person{{name: "Ada"}, {name: "Bea"}, {name: "Cy"}}}
	for i, p := range w.people {
		if err := p.join(ctx, nodes[i].base, w.m); err != nil {
			t.Fatalf("%s joining through node %d: %v", p.name, i, err)
		}
		t.Cleanup(p.leave)
	}
	eventually.True(t, "everyone receiving everyone", w.working)
	if err := w.people[0].client().Send(ctx, "chat", map[string]any{"text": said}); err != nil {
		t.Fatal(err)
	}
	// The echo is the acknowledgement: the server stores a message
	// before it delivers it to anyone.
	eventually.True(t, "the chat message acknowledged", func() bool { return w.people[0].chats.Load() > 0 })
	holder := c.holder(w.m.ID)
	for _, n := range nodes {
		if n.base == holder {
			w.home = n
		} else {
			w.survivors = append(w.survivors, n)
		}
	}
	if w.home == nil {
		t.Fatalf("no node holds the meeting (lease names %q)", holder)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, p := range w.people {
				t.Logf("%s: %s", p.name, p.describe())
			}
		}
	})
	return w
}

// working: everyone receives media from everyone.
func (w *ward) working() bool {
	for _, p := range w.people {
		if !p.hears(w.people) {
			return false
		}
	}
	return true
}

// rejoin has each person's client, once it noticed the end of its
// connection, join again through a surviving node, as a browser does
// after a failed resume or a bye moved; it returns when all are back.
func (w *ward) rejoin(t *testing.T, ctx context.Context, since time.Time) time.Duration {
	var wg sync.WaitGroup
	for i, p := range w.people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-p.client().Done()
			for attempt := 0; ctx.Err() == nil; attempt++ {
				actx, acancel := context.WithTimeout(ctx, 3*time.Second)
				err := p.join(actx, w.survivors[(i+attempt)%len(w.survivors)].base, w.m)
				acancel()
				if err == nil {
					t.Logf("%s back after %s, attempt %d", p.name, time.Since(since).Round(time.Millisecond), attempt)
					return
				}
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond): // a client's retry pause, not a guess at timing
				}
			}
		}()
	}
	wg.Wait()
	return time.Since(since)
}

// checkGoesOn: after the move the meeting runs on a surviving node, with
// everyone in it, its chat history whole and the audit chain intact.
func (w *ward) checkGoesOn(t *testing.T) {
	eventually.True(t, "everyone receiving everyone again", w.working)
	if now := w.c.holder(w.m.ID); now == "" || now == w.home.base {
		t.Fatalf("the meeting's lease names %q after %s went", now, w.home.base)
	}
	for _, p := range w.people {
		if !p.heard(said) {
			t.Errorf("%s's chat history lacks the message acknowledged before the move", p.name)
		}
	}
	if out := w.c.verifyAudit(); !strings.Contains(out, "audit log intact") {
		t.Fatalf("audit verify: %s", out)
	}
}

// TestNodeKilledMidMeeting: three nodes, one meeting with three people
// who joined through different nodes and see and hear each other. The
// meeting's node is killed with SIGKILL. Within 10 s everyone is back,
// through the surviving nodes, in one working meeting on one of them
// (media flowing between all three), the chat message acknowledged before
// the crash is still there, and the audit chain verifies.
func TestNodeKilledMidMeeting(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := newWard(t, ctx)
	killed := time.Now()
	w.home.kill()
	back := w.rejoin(t, ctx, killed)
	w.checkGoesOn(t)
	t.Logf("after SIGKILL: everyone rejoined in %s, media flowing between all in %s", back.Round(time.Millisecond), time.Since(killed).Round(time.Millisecond))
	if back > 10*time.Second {
		t.Errorf("everyone rejoined %s after the crash, want within 10 s", back.Round(time.Millisecond))
	}
}

// TestNodeStoppedHandsOver: the meeting's node stopped cleanly (SIGTERM,
// as for an upgrade node by node) tells everyone the meeting moved and
// gives its lease back at once: they are back on another node without
// waiting for an expiry, chat history and audit chain whole.
func TestNodeStoppedHandsOver(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	w := newWard(t, ctx)
	stopped := time.Now()
	w.home.stop()
	for _, p := range w.people {
		<-p.client().Done()
		if got, _ := p.bye.Load().(string); got != "moved" {
			t.Fatalf("%s was told %q, want moved", p.name, got)
		}
	}
	back := w.rejoin(t, ctx, stopped)
	w.checkGoesOn(t)
	t.Logf("after SIGTERM: everyone rejoined in %s", back.Round(time.Millisecond))
}

func (p *person) describe() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "id %s, welcome lists", p.c.ID())
	for _, o := range p.c.Welcome.Participants {
		fmt.Fprintf(&b, " %s", o.ID)
	}
	b.WriteString("; received")
	for owner, n := range p.received {
		fmt.Fprintf(&b, " %s=%d", owner, n.Load())
	}
	return b.String()
}
