package signal_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/audit"
	"github.com/conclave-meet/conclave/internal/eventually"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testclock"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// memChat is a ChatStore in memory; fail makes the next adds fail.
type memChat struct {
	mu   sync.Mutex
	msgs []store.ChatMessage
	fail bool
}

func (m *memChat) AddChatMessage(_ context.Context, msg store.ChatMessage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("disk full")
	}
	m.msgs = append(m.msgs, msg)
	return nil
}

func (m *memChat) ChatToEveryoneSince(_ context.Context, meetingID string, since time.Time) ([]store.ChatMessage, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []store.ChatMessage
	for _, msg := range m.msgs {
		if msg.MeetingID == meetingID && len(msg.To) == 0 && msg.DeletedAt.IsZero() && !msg.CreatedAt.Before(since) {
			out = append(out, msg)
		}
	}
	return out, nil
}

func (m *memChat) DeleteChatMessage(_ context.Context, meetingID, id, by string, at time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, msg := range m.msgs {
		if msg.ID == id && msg.MeetingID == meetingID {
			m.msgs[i].Text, m.msgs[i].DeletedAt, m.msgs[i].DeletedBy = "", at, by
			return nil
		}
	}
	return store.ErrNotFound
}

func (m *memChat) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.msgs)
}

func (m *memChat) get(id string) (store.ChatMessage, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	i := slices.IndexFunc(m.msgs, func(x store.ChatMessage) bool { return x.ID == id })
	if i < 0 {
		return store.ChatMessage{}, false
	}
	return m.msgs[i], true
}

type chatMsg struct {
	ID   string   `json:"id"`
	From string   `json:"from"`
	To   []string `json:"to"`
	Text string   `json:"text"`
	File *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"file"`
}

func chatOf(m msg) chatMsg {
	var c chatMsg
	_ = json.Unmarshal(m.Data, &c)
	return c
}

// trio joins three guests to the open test meeting.
func trio(t *testing.T, url string) (a, b, c *raw) {
	t.Helper()
	var rs []*raw
	for _, name := range []string{"Ada", "Bo", "Cy"} {
		r := dialAs(t, url, "")
		if m := r.hello(name, testserver.Passcode, nil); m.Type != "welcome" {
			t.Fatalf("%s: %s", name, code(m))
		}
		rs = append(rs, r)
	}
	return rs[0], rs[1], rs[2]
}

// TestChatPrivateAndGroup: a private or group message is stored, then
// reaches its recipients and the sender only, with one ID; a third
// participant never sees it, not even when asking for it by sending one.
func TestChatPrivateAndGroup(t *testing.T) {
	chat := &memChat{}
	srv := testserver.Start(t, testserver.Options{Chat: chat})
	a, b, c := trio(t, srv.WS)
	a.send("chat", map[string]any{"text": "just for Bo", "to": []string{b.id}})
	got := chatOf(b.next("chat"))
	mine := chatOf(a.next("chat"))
	if got.ID == "" || got.ID != mine.ID || got.Text != "just for Bo" || !slices.Equal(got.To, []string{b.id}) {
		t.Fatalf("recipient got %+v, sender %+v", got, mine)
	}
	stored, ok := chat.get(got.ID)
	if !ok || stored.Text != "just for Bo" || len(stored.To) != 1 || stored.To[0].ParticipantID != b.id || stored.SenderID != a.id {
		t.Fatalf("stored %+v", stored)
	}
	a.send("chat", map[string]any{"text": "Bo and Cy", "to": []string{b.id, c.id}})
	b.next("chat")
	// c's first chat is the group message: the private one never came.
	if first := chatOf(c.next("chat")); first.Text != "Bo and Cy" {
		t.Fatalf("c saw %+v first", first)
	}
	// Recipients must be in the meeting: unknown, foreign and repeated
	// ones are refused, and nothing is kept.
	before := chat.count()
	if v := a.outcome("chat", map[string]any{"text": "x", "to": []string{"p_nobody"}}); v != "not_found" {
		t.Fatalf("to an unknown participant: %s", v)
	}
	if v := a.outcome("chat", map[string]any{"text": "x", "to": []string{b.id, b.id}}); v != "bad_request" {
		t.Fatalf("to someone twice: %s", v)
	}
	if chat.count() != before {
		t.Fatal("a refused message was kept")
	}
}

// TestChatNotKeptNotSent: a message the store refuses reaches nobody, the
// sender is told, and later messages are not held up.
func TestChatNotKeptNotSent(t *testing.T) {
	chat := &memChat{fail: true}
	srv := testserver.Start(t, testserver.Options{Chat: chat})
	a, b, _ := trio(t, srv.WS)
	if v := a.outcome("chat", map[string]any{"text": "lost"}); v != "internal" {
		t.Fatalf("unkept message answered %s", v)
	}
	chat.mu.Lock()
	chat.fail = false
	chat.mu.Unlock()
	a.send("chat", map[string]any{"text": "kept"})
	if m := chatOf(b.next("chat")); m.Text != "kept" {
		t.Fatalf("b got %+v first", m)
	}
}

// TestChatDelete: a host deletes a message for everyone, recorded in the
// store and the audit log; nobody else may.
func TestChatDelete(t *testing.T) {
	chat := &memChat{}
	log := &fakeAudit{}
	srv := guardedWith(t, testserver.Options{Chat: chat, Audit: log})
	host := dialAs(t, srv.WS, hostUser.ID)
	if m := host.hello("Hana", testserver.Passcode, nil); m.Type != "welcome" {
		t.Fatalf("host: %s", code(m))
	}
	g := admitted(t, srv.WS, host, "", "Gus", 0)
	g.send("chat", map[string]any{"text": "regrettable"})
	id := chatOf(host.next("chat")).ID
	if v := g.outcome("chat_delete", map[string]string{"id": id}); v != "forbidden" {
		t.Fatalf("a guest deleting: %s", v)
	}
	if v := host.outcome("chat_delete", map[string]string{"id": "c_0000000000000000"}); v != "not_found" {
		t.Fatalf("deleting an unknown message: %s", v)
	}
	host.send("chat_delete", map[string]string{"id": id})
	if m := g.next("chat_deleted"); !m.has(id) {
		t.Fatalf("chat_deleted %s", m.Data)
	}
	if m, _ := chat.get(id); m.Text != "" || m.DeletedAt.IsZero() || m.DeletedBy != host.id {
		t.Fatalf("stored after delete %+v", m)
	}
	// Recorded once the deletion has reached everyone: wait for it.
	eventually.True(t, "one chat.delete entry", func() bool { return len(log.find(audit.ChatDelete, "")) == 1 })
}

// TestChatRateLimit: a burst is fine, a flood is refused per participant
// without closing the connection.
func TestChatRateLimit(t *testing.T) {
	clock := testclock.New(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	srv := testserver.Start(t, testserver.Options{Clock: clock.Now})
	a, _, _ := trio(t, srv.WS)
	for i := range 10 {
		if v := a.outcome("chat", map[string]any{"text": "burst"}); v != "ok" {
			t.Fatalf("message %d of the burst: %s", i, v)
		}
	}
	if v := a.outcome("chat", map[string]any{"text": "one too many"}); v != "rate_limited" {
		t.Fatalf("flood answered %s", v)
	}
	clock.Advance(2 * time.Second)
	if v := a.outcome("chat", map[string]any{"text": "later"}); v != "ok" {
		t.Fatalf("after a pause: %s", v)
	}
}
