package storetest

import (
	"bytes"
	"context"
	"testing"

	"github.com/conclave-meet/conclave/internal/store"
)

// testChatEndToEnd: an end-to-end encrypted message (docs/e2ee.md, "Chat")
// reads back as the exact ciphertext it was stored with, never as text,
// from every read (meeting, subject, history); a message with both text
// and ciphertext, or a file and ciphertext, is refused; deleting one drops
// its ciphertext like a text.
func testChatEndToEnd(t *testing.T, s store.Store) {
	ctx := context.Background()
	cs := chatWorld(t, s)
	ct := append([]byte{1, 1, 0, 0, 0, 2, 0}, bytes.Repeat([]byte{0xa5, 0x00, 0xff}, 30)...)
	sealed := chatMsg("c_1", chatMeeting, "p_ana", "u_ana", base)
	sealed.Text, sealed.Ciphertext = "", ct
	private := chatMsg("c_2", chatMeeting, "p_gus", "", base.Add(1), toAna)
	private.Text, private.Ciphertext = "", []byte("private ciphertext, opaque to the store")
	mustAddChat(t, cs, sealed, private)

	both := chatMsg("c_3", chatMeeting, "p_ana", "u_ana", base)
	both.Ciphertext = ct
	withFile := chatMsg("c_4", chatMeeting, "p_ana", "u_ana", base)
	withFile.Text, withFile.Ciphertext, withFile.File = "", ct, &store.ChatFile{ID: "f_1"}
	for _, m := range []store.ChatMessage{both, withFile} {
		if err := cs.AddChatMessage(ctx, m); err == nil {
			t.Errorf("%s: an encrypted message with text or a file was stored", m.ID)
		}
	}

	check := func(what string, got []store.ChatMessage, want ...store.ChatMessage) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d messages, want %d", what, len(got), len(want))
		}
		for i, w := range want {
			if got[i].ID != w.ID || got[i].Text != "" || !got[i].E2EE() || !bytes.Equal(got[i].Ciphertext, w.Ciphertext) {
				t.Errorf("%s: %s read back as text %q, ciphertext %x", what, w.ID, got[i].Text, got[i].Ciphertext)
			}
		}
	}
	all, err := cs.ChatMessagesOfMeeting(ctx, chatMeeting)
	if err != nil {
		t.Fatal(err)
	}
	check("meeting", all, sealed, private)
	since, err := cs.ChatToEveryoneSince(ctx, chatMeeting, base)
	if err != nil {
		t.Fatal(err)
	}
	check("history", since, sealed)
	of, err := cs.ChatMessagesOfSubject(ctx, "u_ana")
	if err != nil {
		t.Fatal(err)
	}
	check("subject", of, sealed, private)

	if err := cs.DeleteChatMessage(ctx, chatMeeting, "c_2", "p_host", base.Add(2)); err != nil {
		t.Fatal(err)
	}
	all, err = cs.ChatMessagesOfMeeting(ctx, chatMeeting)
	if err != nil || len(all) != 2 || all[1].Ciphertext != nil || !all[1].Deleted() {
		t.Fatalf("after deleting: %+v, %v", all, err)
	}
}
