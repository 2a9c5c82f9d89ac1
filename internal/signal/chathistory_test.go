package signal_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/files"
	"github.com/conclave-meet/conclave/internal/store"
	"github.com/conclave-meet/conclave/internal/testserver"
)

// TestChatHistoryFromStoredPolicy: the stored meeting's chat_history
// option reaches the live meeting: a late joiner gets the earlier
// messages to everyone (never a private one); without the option nobody
// does. A shared file in the history keeps its reference, not only its
// name.
func TestChatHistoryFromStoredPolicy(t *testing.T) {
	for _, keep := range []bool{true, false} {
		chat := &historyCount{memChat: &memChat{}}
		m := store.Meeting{Title: "Test", JoinBeforeHost: true, ScreenShare: store.ScreenShareEveryone, ChatHistory: keep}
		srv := testserver.Start(t, testserver.Options{Chat: chat, Meeting: &m})
		a := dialAs(t, srv.WS, "")
		b := dialAs(t, srv.WS, "")
		for r, name := range map[*raw]string{a: "Ada", b: "Bo"} {
			if w := r.hello(name, testserver.Passcode, nil); w.Type != "welcome" {
				t.Fatalf("%s: %s", name, code(w))
			}
		}
		if v := a.outcome("chat", map[string]any{"text": "before you came"}); v != "ok" {
			t.Fatal(v)
		}
		if v := a.outcome("chat", map[string]any{"text": "only for Bo", "to": []string{b.id}}); v != "ok" {
			t.Fatal(v)
		}
		shared := files.Shared{ID: "f_hist", Name: "notes.pdf", Size: 10, Type: "application/pdf",
			From: files.Participant{ID: a.id}, CreatedAt: time.Now()}
		if err := srv.Signal.Announce(context.Background(), testserver.MeetingID, shared); err != nil {
			t.Fatal(err)
		}
		late := dialAs(t, srv.WS, "")
		if w := late.hello("Cy", testserver.Passcode, nil); w.Type != "welcome" {
			t.Fatalf("late: %s", code(w))
		}
		if !keep {
			// Whether to load the history is decided before welcome.
			if v := late.outcome("chat", map[string]any{"text": "hi"}); v != "ok" || chat.loads.Load() != 0 {
				t.Fatalf("history loaded %d times without chat_history (%s)", chat.loads.Load(), v)
			}
			continue
		}
		var h struct {
			Messages []chatMsg `json:"messages"`
		}
		if err := json.Unmarshal(late.next("chat_history").Data, &h); err != nil {
			t.Fatal(err)
		}
		if len(h.Messages) != 2 || h.Messages[0].Text != "before you came" || h.Messages[0].From != a.id ||
			h.Messages[0].File != nil {
			t.Fatalf("history %+v", h.Messages)
		}
		if f := h.Messages[1].File; f == nil || f.ID != "f_hist" || f.Name != "notes.pdf" {
			t.Fatalf("the shared file in the history: %+v", h.Messages[1])
		}
	}
}

// historyCount counts the history loads of a memChat.
type historyCount struct {
	*memChat
	loads atomic.Int32
}

func (h *historyCount) ChatToEveryoneSince(ctx context.Context, meetingID string, since time.Time) ([]store.ChatMessage, error) {
	h.loads.Add(1)
	return h.memChat.ChatToEveryoneSince(ctx, meetingID, since)
}
