package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/conclave-meet/conclave/internal/store"
)

// ChatStore is what a backend that keeps chat implements (sqlite.Store
// does: signal.ChatStore plus what review, export, erasure and expiry
// need). It is not part of store.Store; the chat tests are skipped for a
// backend without it.
type ChatStore interface {
	AddChatMessage(ctx context.Context, m store.ChatMessage) error
	ChatToEveryoneSince(ctx context.Context, meetingID string, since time.Time) ([]store.ChatMessage, error)
	DeleteChatMessage(ctx context.Context, meetingID, id, by string, at time.Time) error
	ChatMessagesOfMeeting(ctx context.Context, meetingID string) ([]store.ChatMessage, error)
	ChatMessagesOfSubject(ctx context.Context, subjectID string) ([]store.ChatMessage, error)
	EraseChatSubject(ctx context.Context, subjectID string) (deleted, pseudonymised int, err error)
	ExpireChat(ctx context.Context, before time.Time, cutoffs map[string]time.Time) (int, error)
}

// chatTests are the conformance tests of stored chat, run by Run.
var chatTests = map[string]func(*testing.T, store.Store){
	"ChatRoundTrip":         testChatRoundTrip,
	"ChatUnknownMeeting":    testChatUnknownMeeting,
	"ChatToEveryoneSince":   testChatToEveryoneSince,
	"ChatDelete":            testChatDelete,
	"ChatOfSubject":         testChatOfSubject,
	"ChatEraseSubject":      testChatEraseSubject,
	"ChatExpire":            testChatExpire,
	"ChatGoesWithMeeting":   testChatGoesWithMeeting,
	"ChatSubjectIDRequired": testChatSubjectIDRequired,
	"ChatEndToEnd":          testChatEndToEnd,
}

const (
	chatMeeting = "k3m9-x2qa-7hvt-p4dz"
	chatOther   = "aaaa-bbbb-cccc-dddd"
)

// chatWorld is two meetings hosted by u_host, with u_ana (as p_ana) and a
// guest (p_gus) in the first.
func chatWorld(t *testing.T, s store.Store) ChatStore {
	t.Helper()
	cs, ok := s.(ChatStore)
	if !ok {
		t.Skip("this store keeps no chat")
	}
	mustCreateUser(t, s, user("u_host", "host@example.org", store.RoleMember, base))
	mustCreateUser(t, s, user("u_ana", "ana@example.org", store.RoleMember, base))
	mustCreateMeeting(t, s, meeting(chatMeeting, "u_host", base))
	mustCreateMeeting(t, s, meeting(chatOther, "u_host", base))
	return cs
}

func chatMsg(id, meeting, from, fromUser string, at time.Time, to ...store.ChatRecipient) store.ChatMessage {
	return store.ChatMessage{ID: id, MeetingID: meeting, SenderID: from, SenderUser: fromUser, SenderName: "Name " + from,
		Text: "text of " + id, CreatedAt: at, To: to}
}

var (
	toAna = store.ChatRecipient{ParticipantID: "p_ana", UserID: "u_ana"}
	toGus = store.ChatRecipient{ParticipantID: "p_gus"}
	toHst = store.ChatRecipient{ParticipantID: "p_host", UserID: "u_host"}
)

func mustAddChat(t *testing.T, cs ChatStore, ms ...store.ChatMessage) {
	t.Helper()
	for _, m := range ms {
		if err := cs.AddChatMessage(context.Background(), m); err != nil {
			t.Fatalf("AddChatMessage(%s): %v", m.ID, err)
		}
	}
}

func chatIDs(ms []store.ChatMessage) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func sameIDs(t *testing.T, what string, got []store.ChatMessage, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if ids := chatIDs(got); !reflect.DeepEqual(ids, want) {
		t.Fatalf("%s: %v, want %v", what, ids, want)
	}
}

// testChatRoundTrip: messages to everyone, to one and to a group read back
// with their sender, name, text, exact time (in UTC) and recipients in the
// order given, oldest first; equal times keep the order they were stored in.
func testChatRoundTrip(t *testing.T, s store.Store) {
	cs := chatWorld(t, s)
	all := chatMsg("c_1", chatMeeting, "p_ana", "u_ana", base)
	private := chatMsg("c_2", chatMeeting, "p_gus", "", base.Add(time.Nanosecond), toAna)
	group := chatMsg("c_3", chatMeeting, "p_host", "u_host", base.Add(time.Nanosecond), toGus, toAna)
	group.Text = "Grüße, 你好 \u2028 <b>"
	mustAddChat(t, cs, all, private, group)
	got, err := cs.ChatMessagesOfMeeting(context.Background(), chatMeeting)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "meeting", got, "c_1", "c_2", "c_3")
	for i, want := range []store.ChatMessage{all, private, group} {
		sameTime(t, "CreatedAt", got[i].CreatedAt, want.CreatedAt)
		got[i].CreatedAt = want.CreatedAt
		if !reflect.DeepEqual(got[i], want) {
			t.Errorf("message %d: got %+v, want %+v", i, got[i], want)
		}
	}
	if !got[0].ToEveryone() || got[1].ToEveryone() || got[0].Deleted() {
		t.Errorf("flags of %+v", got[:2])
	}
	if err := cs.AddChatMessage(context.Background(), all); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate ID: %v, want ErrConflict", err)
	}
	other, err := cs.ChatMessagesOfMeeting(context.Background(), chatOther)
	if err != nil || len(other) != 0 {
		t.Errorf("another meeting holds %v, %v", other, err)
	}
}

func testChatUnknownMeeting(t *testing.T, s store.Store) {
	cs := chatWorld(t, s)
	err := cs.AddChatMessage(context.Background(), chatMsg("c_1", "zzzz-zzzz-zzzz-zzzz", "p_ana", "", base))
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown meeting: %v, want ErrNotFound", err)
	}
}

// testChatToEveryoneSince: what a late joiner gets is the messages to
// everyone of this meeting from since on, not deleted, oldest first.
func testChatToEveryoneSince(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := chatWorld(t, s)
	mustAddChat(t, cs,
		chatMsg("c_old", chatMeeting, "p_ana", "u_ana", base.Add(-time.Nanosecond)),
		chatMsg("c_1", chatMeeting, "p_ana", "u_ana", base),
		chatMsg("c_private", chatMeeting, "p_ana", "u_ana", base.Add(time.Second), toGus),
		chatMsg("c_gone", chatMeeting, "p_gus", "", base.Add(2*time.Second)),
		chatMsg("c_2", chatMeeting, "p_gus", "", base.Add(3*time.Second)),
		chatMsg("c_elsewhere", chatOther, "p_x", "", base.Add(time.Second)),
	)
	if err := cs.DeleteChatMessage(ctx, chatMeeting, "c_gone", "p_host", base.Add(4*time.Second)); err != nil {
		t.Fatal(err)
	}
	got, err := cs.ChatToEveryoneSince(ctx, chatMeeting, base)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "since", got, "c_1", "c_2")
	if got[1].Text != "text of c_2" || got[1].SenderName != "Name p_gus" {
		t.Errorf("history message %+v", got[1])
	}
}

// testChatDelete: the text is gone and the deletion recorded; deleting
// again keeps the first; a message of another meeting, or none, is
// ErrNotFound.
func testChatDelete(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := chatWorld(t, s)
	mustAddChat(t, cs, chatMsg("c_1", chatMeeting, "p_ana", "u_ana", base), chatMsg("c_2", chatOther, "p_x", "", base))
	at := base.Add(time.Minute)
	if err := cs.DeleteChatMessage(ctx, chatMeeting, "c_1", "p_host", at); err != nil {
		t.Fatal(err)
	}
	if err := cs.DeleteChatMessage(ctx, chatMeeting, "c_1", "p_cohost", at.Add(time.Minute)); err != nil {
		t.Fatalf("deleting again: %v", err)
	}
	for _, id := range []string{"c_2", "c_none"} {
		if err := cs.DeleteChatMessage(ctx, chatMeeting, id, "p_host", at); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("delete %s: %v, want ErrNotFound", id, err)
		}
	}
	got, err := cs.ChatMessagesOfMeeting(ctx, chatMeeting)
	if err != nil || len(got) != 1 {
		t.Fatalf("after deletion: %+v %v", got, err)
	}
	m := got[0]
	sameTime(t, "DeletedAt", m.DeletedAt, at)
	if m.Text != "" || m.DeletedBy != "p_host" || !m.Deleted() || m.SenderName != "Name p_ana" {
		t.Fatalf("deleted message %+v", m)
	}
	other, err := cs.ChatMessagesOfMeeting(ctx, chatOther)
	if err != nil || len(other) != 1 || other[0].Deleted() || other[0].Text == "" {
		t.Fatalf("the other meeting's message was touched: %+v %v", other, err)
	}
}

// testChatOfSubject: an account's messages are found by account ID, a
// guest's by participant ID: those they sent, and private or group
// messages sent to them; others' messages to everyone are not theirs.
func testChatOfSubject(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := chatWorld(t, s)
	mustAddChat(t, cs,
		chatMsg("c_1", chatMeeting, "p_ana", "u_ana", base),
		chatMsg("c_2", chatMeeting, "p_gus", "", base.Add(time.Second)),
		chatMsg("c_3", chatMeeting, "p_gus", "", base.Add(2*time.Second), toAna),
		chatMsg("c_4", chatMeeting, "p_host", "u_host", base.Add(3*time.Second), toGus),
		chatMsg("c_5", chatOther, "p_ana2", "u_ana", base.Add(4*time.Second), toHst),
	)
	for subject, want := range map[string][]string{
		"u_ana":  {"c_1", "c_3", "c_5"},
		"p_ana":  {"c_1", "c_3"},
		"p_gus":  {"c_2", "c_3", "c_4"},
		"u_host": {"c_4", "c_5"},
		"u_none": nil,
	} {
		got, err := cs.ChatMessagesOfSubject(ctx, subject)
		if err != nil {
			t.Fatal(err)
		}
		sameIDs(t, subject, got, want...)
	}
	got, _ := cs.ChatMessagesOfSubject(ctx, "p_gus")
	if !reflect.DeepEqual(got[1].To, []store.ChatRecipient{toAna}) {
		t.Errorf("recipients of c_3: %+v", got[1].To)
	}
}

// testChatEraseSubject: what the person sent is deleted; where they
// received a message or deleted one, they are replaced by "erased" and the
// message stays for its sender.
func testChatEraseSubject(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := chatWorld(t, s)
	mustAddChat(t, cs,
		chatMsg("c_1", chatMeeting, "p_ana", "u_ana", base),
		chatMsg("c_2", chatMeeting, "p_gus", "", base.Add(time.Second), toAna, toHst),
		chatMsg("c_3", chatMeeting, "p_host", "u_host", base.Add(2*time.Second)),
		chatMsg("c_4", chatMeeting, "p_gus", "", base.Add(3*time.Second), toHst),
	)
	if err := cs.DeleteChatMessage(ctx, chatMeeting, "c_3", "p_ana", base.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	deleted, pseudo, err := cs.EraseChatSubject(ctx, "u_ana")
	if err != nil || deleted != 1 || pseudo != 2 {
		t.Fatalf("erase u_ana: %d deleted, %d pseudonymised, %v", deleted, pseudo, err)
	}
	got, err := cs.ChatMessagesOfMeeting(ctx, chatMeeting)
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "left", got, "c_2", "c_3", "c_4")
	erased := store.ChatRecipient{ParticipantID: store.ChatErased}
	if !reflect.DeepEqual(got[0].To, []store.ChatRecipient{erased, toHst}) || got[0].Text != "text of c_2" {
		t.Errorf("received message after erasure: %+v", got[0])
	}
	if got[1].DeletedBy != store.ChatErased {
		t.Errorf("deleted by %q, want erased", got[1].DeletedBy)
	}
	if mine, err := cs.ChatMessagesOfSubject(ctx, "u_ana"); err != nil || len(mine) != 0 {
		t.Errorf("still found by account: %v %v", chatIDs(mine), err)
	}
	// A guest is erased by participant ID.
	deleted, pseudo, err = cs.EraseChatSubject(ctx, "p_gus")
	if err != nil || deleted != 2 || pseudo != 0 {
		t.Fatalf("erase p_gus: %d deleted, %d pseudonymised, %v", deleted, pseudo, err)
	}
	got, _ = cs.ChatMessagesOfMeeting(ctx, chatMeeting)
	sameIDs(t, "left after the guest", got, "c_3")
	// Erasing again changes nothing.
	if deleted, pseudo, err = cs.EraseChatSubject(ctx, "u_ana"); err != nil || deleted+pseudo != 0 {
		t.Fatalf("erase twice: %d %d %v", deleted, pseudo, err)
	}
}

// testChatExpire: messages older than the cut-off go, except in a meeting
// with its own period, where its own cut-off applies (earlier or later).
func testChatExpire(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := chatWorld(t, s)
	mustAddChat(t, cs,
		chatMsg("c_old", chatMeeting, "p_ana", "u_ana", base.Add(-2*time.Hour), toGus),
		chatMsg("c_new", chatMeeting, "p_ana", "u_ana", base),
		chatMsg("c_other_old", chatOther, "p_x", "", base.Add(-2*time.Hour)),
		chatMsg("c_other_mid", chatOther, "p_x", "", base.Add(-30*time.Minute)),
	)
	// chatOther keeps its chat for less: everything before base goes there.
	n, err := cs.ExpireChat(ctx, base.Add(-time.Hour), map[string]time.Time{chatOther: base})
	if err != nil || n != 3 {
		t.Fatalf("expire: %d %v, want 3", n, err)
	}
	got, _ := cs.ChatMessagesOfMeeting(ctx, chatMeeting)
	sameIDs(t, "meeting", got, "c_new")
	got, _ = cs.ChatMessagesOfMeeting(ctx, chatOther)
	sameIDs(t, "other", got)
	if n, err := cs.ExpireChat(ctx, base.Add(-time.Hour), nil); err != nil || n != 0 {
		t.Fatalf("nothing left to expire: %d %v", n, err)
	}
}

// testChatGoesWithMeeting: deleting a meeting deletes its chat.
func testChatGoesWithMeeting(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := chatWorld(t, s)
	deleter, ok := s.(interface {
		DeleteMeetings(ctx context.Context, ids []string) (int, error)
	})
	if !ok {
		t.Skip("this store cannot delete meetings")
	}
	mustAddChat(t, cs, chatMsg("c_1", chatMeeting, "p_ana", "u_ana", base, toGus))
	if _, err := deleter.DeleteMeetings(ctx, []string{chatMeeting}); err != nil {
		t.Fatal(err)
	}
	for _, subject := range []string{"u_ana", "p_gus"} {
		if got, err := cs.ChatMessagesOfSubject(ctx, subject); err != nil || len(got) != 0 {
			t.Fatalf("%s after the meeting's deletion: %v %v", subject, chatIDs(got), err)
		}
	}
}

// testChatSubjectIDRequired: an empty or malformed subject matches
// nothing rather than every guest's messages.
func testChatSubjectIDRequired(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := chatWorld(t, s)
	mustAddChat(t, cs, chatMsg("c_1", chatMeeting, "p_gus", "", base))
	for _, bad := range []string{"", "u_", "p_", "x_1"} {
		if got, err := cs.ChatMessagesOfSubject(ctx, bad); err == nil {
			t.Errorf("subject %q: %v, want an error", bad, chatIDs(got))
		}
		if _, _, err := cs.EraseChatSubject(ctx, bad); err == nil {
			t.Errorf("erase %q accepted", bad)
		}
	}
}
