package privacy

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// chatWorld is newWorld with chat in meeting m-1: alice (p_alice) writes
// to everyone, the guest writes alice privately, the admin (p_admin)
// writes to everyone, and alice writes a group message to both.
func chatWorld(t *testing.T) (world, time.Time) {
	t.Helper()
	w := newWorld(t)
	at := time.Date(2025, 5, 1, 10, 0, 0, 0, time.UTC)
	alice := store.ChatRecipient{ParticipantID: "p_alice", UserID: "u_alice"}
	for _, m := range []store.ChatMessage{
		{ID: "c_1", SenderID: "p_alice", SenderUser: "u_alice", SenderName: "Alice", Text: "hello all"},
		{ID: "c_2", SenderID: "p_guest", SenderName: "Gus", Text: "psst alice", To: []store.ChatRecipient{alice}},
		{ID: "c_3", SenderID: "p_admin", SenderUser: "u_admin", SenderName: "Admin", Text: "admin speaking"},
		{ID: "c_4", SenderID: "p_alice", SenderUser: "u_alice", SenderName: "Alice", Text: "to you two",
			To: []store.ChatRecipient{{ParticipantID: "p_guest"}, {ParticipantID: "p_admin", UserID: "u_admin"}}},
	} {
		m.MeetingID, m.CreatedAt = "m-1", at
		at = at.Add(time.Minute)
		must(t, w.st.AddChatMessage(context.Background(), m))
	}
	return w, at
}

func TestChatKindDeclaration(t *testing.T) {
	d := ChatKind{}.Declare()
	if err := d.Validate(); err != nil || d.Category != CatChat || d.Name != "chat_message" {
		t.Fatalf("declaration %+v: %v", d, err)
	}
	sealed := 0
	for _, f := range d.Fields {
		if strings.HasSuffix(f, "(sealed)") {
			sealed++
		}
	}
	if sealed != 2 {
		t.Fatalf("text and sender name must be declared sealed: %v", d.Fields)
	}
}

// TestChatKindExport: the subject's own messages with their text and
// name, and the private messages sent to them with the sender's ID; not
// others' messages to everyone.
func TestChatKindExport(t *testing.T) {
	w, _ := chatWorld(t)
	k := ChatKind{Store: w.st}
	items, err := k.Export(context.Background(), Subject{ID: "u_alice"})
	if err != nil {
		t.Fatal(err)
	}
	var got []chatRecord
	for _, it := range items {
		got = append(got, it.Record.(chatRecord))
	}
	if len(got) != 3 || got[0].ID != "c_1" || got[1].ID != "c_2" || got[2].ID != "c_4" {
		t.Fatalf("exported %+v", got)
	}
	if got[0].Role != "sender" || got[0].FromName != "Alice" || got[0].Text != "hello all" || got[0].To[0] != "everyone" {
		t.Errorf("own message %+v", got[0])
	}
	if got[1].Role != "recipient" || got[1].From != "p_guest" || got[1].FromName != "" || got[1].Text != "psst alice" {
		t.Errorf("received message %+v", got[1])
	}
	if strings.Join(got[2].To, ",") != "p_guest,p_admin" || got[2].Meeting != "m-1" {
		t.Errorf("group message %+v", got[2])
	}
	guest := exportJSON(t, k, "p_guest")
	for _, want := range []string{"psst alice", "to you two", `"from_name":"Gus"`} {
		if !strings.Contains(guest, want) {
			t.Errorf("guest export lacks %s: %s", want, guest)
		}
	}
	if strings.Contains(guest, "hello all") || strings.Contains(guest, "admin speaking") {
		t.Errorf("guest export holds others' messages to everyone: %s", guest)
	}
	b, _ := json.Marshal(items[0].Record)
	if strings.Contains(string(b), "deleted_at") {
		t.Errorf("a message not deleted exports a deletion time: %s", b)
	}
}

// TestChatKindErase: alice's messages go; the guest's private message to
// her stays for the guest, addressed to "erased".
func TestChatKindErase(t *testing.T) {
	w, _ := chatWorld(t)
	ctx := context.Background()
	k := ChatKind{Store: w.st}
	e, err := k.Erase(ctx, Subject{ID: "u_alice"})
	if err != nil || e.Deleted != 2 || e.Pseudonymous != 1 || e.Note == "" {
		t.Fatalf("erased %+v %v", e, err)
	}
	if left := exportJSON(t, k, "u_alice"); left != "[]" {
		t.Fatalf("alice's export after erasure: %s", left)
	}
	ms, err := w.st.ChatMessagesOfMeeting(ctx, "m-1")
	if err != nil || len(ms) != 2 || ms[0].ID != "c_2" || ms[1].ID != "c_3" {
		t.Fatalf("left %+v %v", ms, err)
	}
	if ms[0].To[0].ParticipantID != store.ChatErased || ms[0].To[0].UserID != "" || ms[0].Text != "psst alice" {
		t.Fatalf("the guest's message to alice: %+v", ms[0])
	}
	if !strings.Contains(exportJSON(t, k, "p_guest"), `"to":["erased"]`) {
		t.Fatal("the guest's export does not show the erased recipient")
	}
	if _, err := k.Erase(ctx, Subject{ID: ""}); err == nil {
		t.Fatal("an empty subject was accepted")
	}
}

// TestChatKindExpire: messages older than the cut-off go, in a meeting
// with its own period by that one.
func TestChatKindExpire(t *testing.T) {
	w, end := chatWorld(t)
	ctx := context.Background()
	k := ChatKind{Store: w.st}
	n, err := k.Expire(ctx, end.Add(-2*time.Minute)) // c_1 and c_2 are older
	if err != nil || n != 2 {
		t.Fatalf("expired %d %v", n, err)
	}
	n, err = k.ExpireMeetings(ctx, time.Time{}, map[string]time.Time{"m-1": end})
	if err != nil || n != 2 {
		t.Fatalf("expired by the meeting's own cut-off %d %v", n, err)
	}
	if ms, _ := w.st.ChatMessagesOfMeeting(ctx, "m-1"); len(ms) != 0 {
		t.Fatalf("left %+v", ms)
	}
}
